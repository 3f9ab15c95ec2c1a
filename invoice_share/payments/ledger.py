"""What a Stripe Balance Transaction means for the books (no Frappe).

Every movement of money at Stripe is one Balance Transaction: `amount` (gross, signed), `fee`
(Stripe's, signed) and `net` = amount - fee, in the currency it settled in. The books follow one
rule for every kind of movement, so the Stripe account's balance in ERPNext is the sum of the
`net`s, which is Stripe's balance:

- the Stripe account moves by `net`;
- the fee account moves by `fee` (an expense: a fee taken is a debit, a fee given back a credit);
- the movement's counterpart moves by `-amount`: the customer for payments, refunds and disputes,
  the payout bank account for payouts, and the fee account for Stripe's own fees and adjustments.

Nothing is computed here that Stripe has not said: the figures are Stripe's, in major units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from invoice_share.payments.amounts import from_minor_units, normalize_currency

PAYMENT = "Payment"
REFUND = "Refund"
REFUND_FAILURE = "Refund Failure"
DISPUTE = "Dispute"
DISPUTE_REVERSAL = "Dispute Reversal"
PAYOUT = "Payout"
PAYOUT_FAILURE = "Payout Failure"
FEE = "Stripe Fee"
ADJUSTMENT = "Adjustment"

# Stripe's reporting categories (https://docs.stripe.com/reports/reporting-categories), then types.
_BY_CATEGORY = {
	"charge": PAYMENT,
	"refund": REFUND,
	"refund_failure": REFUND_FAILURE,
	"dispute": DISPUTE,
	"dispute_reversal": DISPUTE_REVERSAL,
	"payout": PAYOUT,
	"payout_reversal": PAYOUT_FAILURE,
	"fee": FEE,
}
_BY_TYPE = {
	"charge": PAYMENT,
	"payment": PAYMENT,
	"refund": REFUND,
	"payment_refund": REFUND,
	"refund_failure": REFUND_FAILURE,
	"payment_failure_refund": REFUND_FAILURE,
	"payout": PAYOUT,
	"payout_failure": PAYOUT_FAILURE,
	"payout_cancel": PAYOUT_FAILURE,
	"stripe_fee": FEE,
	"application_fee": FEE,
	"tax_fee": FEE,
}

# Where the movement's counterpart goes, by kind.
CUSTOMER = "customer"
PAYOUT_BANK = "payout account"
FEE_ACCOUNT = "fee account"
STRIPE_ACCOUNT = "stripe account"
COUNTERPART = {
	PAYMENT: CUSTOMER,
	REFUND: CUSTOMER,
	REFUND_FAILURE: CUSTOMER,
	DISPUTE: CUSTOMER,
	DISPUTE_REVERSAL: CUSTOMER,
	PAYOUT: PAYOUT_BANK,
	PAYOUT_FAILURE: PAYOUT_BANK,
	FEE: FEE_ACCOUNT,
	ADJUSTMENT: FEE_ACCOUNT,
}
# Movements that belong to a customer's payment.
CUSTOMER_KINDS = (PAYMENT, REFUND, REFUND_FAILURE, DISPUTE, DISPUTE_REVERSAL)
# Object id prefixes a voucher's reference may name.
_REFERENCE_PREFIXES = ("pi_", "re_", "pyr_", "du_", "po_")


@dataclass(frozen=True)
class Movement:
	"""One balance transaction, in major units of its (upper-case) currency."""

	balance_transaction: str
	kind: str
	reference: str  # the Stripe object the voucher names: pi_…, re_…, du_…, po_…, else txn_…
	source: str | None
	currency: str
	amount: Decimal
	fee: Decimal
	net: Decimal
	exchange_rate: Decimal | None
	created: int
	reporting_category: str
	type: str

	def lines(self) -> list[tuple[str, Decimal]]:
		"""(where, signed change: debit positive) for each side; they sum to zero."""
		counterpart = COUNTERPART[self.kind]
		changes: dict[str, Decimal] = {STRIPE_ACCOUNT: self.net}
		changes[FEE_ACCOUNT] = changes.get(FEE_ACCOUNT, Decimal(0)) + self.fee
		changes[counterpart] = changes.get(counterpart, Decimal(0)) - self.amount
		return [(where, change) for where, change in changes.items() if change]


def kind_of(balance_transaction: Mapping[str, Any]) -> str:
	category = str(balance_transaction.get("reporting_category") or "")
	if category in _BY_CATEGORY:
		return _BY_CATEGORY[category]
	return _BY_TYPE.get(str(balance_transaction.get("type") or ""), ADJUSTMENT)


def movement(balance_transaction: Mapping[str, Any], reference: str | None = None) -> Movement:
	"""The balance transaction as a Movement. `reference` is the object the voucher names when the
	source is not it (a charge's PaymentIntent); by default the source (a refund, dispute or
	payout), else the balance transaction itself (Stripe's own fees)."""
	currency = normalize_currency(balance_transaction["currency"])
	source = balance_transaction.get("source")
	if isinstance(source, Mapping):
		source = source.get("id")
	if not reference:
		reference = (
			source
			if isinstance(source, str) and source.startswith(_REFERENCE_PREFIXES)
			else balance_transaction["id"]
		)
	rate = balance_transaction.get("exchange_rate")
	amount = int(balance_transaction["amount"])
	fee = int(balance_transaction.get("fee") or 0)
	net = int(balance_transaction["net"])
	if net != amount - fee:
		raise ValueError(
			f"Balance transaction {balance_transaction['id']}: net {net} is not amount {amount} less fee {fee}."
		)
	return Movement(
		balance_transaction=str(balance_transaction["id"]),
		kind=kind_of(balance_transaction),
		reference=str(reference),
		source=source if isinstance(source, str) else None,
		currency=currency,
		amount=from_minor_units(amount, currency),
		fee=from_minor_units(fee, currency),
		net=from_minor_units(net, currency),
		exchange_rate=Decimal(str(rate)) if rate not in (None, "") else None,
		created=int(balance_transaction.get("created") or 0),
		reporting_category=str(balance_transaction.get("reporting_category") or ""),
		type=str(balance_transaction.get("type") or ""),
	)
