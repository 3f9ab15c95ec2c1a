"""The money side of the Stripe stand-in: PaymentIntents, Charges, Balance Transactions (with
Stripe's fee and the settlement currency), Refunds (and their failure), Disputes, Stripe's own
fees, Payouts (and their failure) and the Balance, shaped as Stripe's API reference describes them.

Every movement of money is one Balance Transaction, as at Stripe; the balance is the sum of their
`net` per currency. Stripe computes its fees and rates itself, and so does this stand-in
(`fee_rate`, `fee_fixed`, `settlement`): the app under test must read them, never work them out.
Mixed into `StripeStandIn` (stdlib only); every method runs under the stand-in's lock.
"""

from __future__ import annotations

import copy
import re
import secrets
import time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO_DECIMAL_CURRENCIES = {
	"bif",
	"clp",
	"djf",
	"gnf",
	"jpy",
	"kmf",
	"krw",
	"mga",
	"pyg",
	"rwf",
	"vnd",
	"vuv",
	"xaf",
	"xof",
	"xpf",
}
THREE_DECIMAL_CURRENCIES = {"bhd", "jod", "kwd", "omr", "tnd"}

_OBJECT_PATH = re.compile(
	r"^/v1/(payment_intents|charges|balance_transactions|refunds|disputes|payouts)/([^/]+)$"
)
_LIST_PATHS = {"/v1/balance_transactions", "/v1/refunds", "/v1/disputes", "/v1/payouts"}
_PREFIX = {
	"payment_intents": "pi_",
	"charges": "ch_",
	"balance_transactions": "txn_",
	"refunds": "re_",
	"disputes": "du_",
	"payouts": "po_",
}
_NAMES = {
	"payment_intents": "payment_intent",
	"charges": "charge",
	"balance_transactions": "balance_transaction",
	"refunds": "refund",
	"disputes": "dispute",
	"payouts": "payout",
}


def _id(prefix: str) -> str:
	return prefix + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")


def _exponent(currency: str) -> int:
	currency = currency.lower()
	if currency in ZERO_DECIMAL_CURRENCIES:
		return 0
	return 3 if currency in THREE_DECIMAL_CURRENCIES else 2


def convert_minor(amount: int, source: str, target: str, rate: Decimal | str | float) -> int:
	"""Stripe's conversion of `amount` (minor units of `source`) into minor units of `target`."""
	major = Decimal(amount) / (Decimal(10) ** _exponent(source)) * Decimal(str(rate))
	return int((major * Decimal(10) ** _exponent(target)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class MoneyError(Exception):
	"""A money request Stripe would refuse: (status, message, code, param)."""

	def __init__(self, status: int, message: str, code: str | None = None, param: str | None = None):
		super().__init__(message)
		self.status, self.message, self.code, self.param = status, message, code, param


class StripeMoney:
	"""State and rules; `StripeStandIn` routes its API requests here and offers the test controls."""

	def __init__(self) -> None:
		# Stripe's processing fee on a charge: `fee_rate` (a fraction) of it plus `fee_fixed` minor
		# units of the settlement currency. Zero by default; tests that look at fees set them.
		self.fee_rate = Decimal("0")
		self.fee_fixed = 0
		self.dispute_fee = 1500  # minor units of the settlement currency
		# Charges in a currency listed here settle in another at Stripe's rate: {"eur": ("usd", "1.0812")}.
		self.settlement: dict[str, tuple[str, str]] = {}
		self.livemode = False
		self._objects: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in _PREFIX}
		self._order: list[str] = []  # balance transaction ids, oldest first
		self._paid_out: dict[str, str] = {}  # balance transaction id -> payout id
		self._clock = 0

	# -- reading -----------------------------------------------------------------------

	def get(self, object_id: str) -> dict[str, Any]:
		for kind, prefix in _PREFIX.items():
			if object_id.startswith(prefix) and object_id in self._objects[kind]:
				return self._objects[kind][object_id]
		raise KeyError(object_id)

	def balance(self) -> dict[str, int]:
		"""Stripe's balance (available + pending) per currency, in minor units."""
		totals: dict[str, int] = {}
		for txn in self._order:
			bt = self._objects["balance_transactions"][txn]
			totals[bt["currency"]] = totals.get(bt["currency"], 0) + bt["net"]
		return totals

	def balance_transactions(self) -> list[dict[str, Any]]:
		return [copy.deepcopy(self._objects["balance_transactions"][txn]) for txn in self._order]

	# -- what happens at Stripe ----------------------------------------------------------

	def settle_payment(
		self, amount: int, currency: str, metadata: dict[str, str], payment_intent: str | None = None
	) -> str:
		"""A successful charge of `amount` (minor units): its PaymentIntent, Charge and Balance
		Transaction (fee and settlement currency as set); returns the PaymentIntent's id."""
		currency = currency.lower()
		payment_intent, charge = payment_intent or _id("pi_"), _id("ch_")
		settle_currency, rate = self.settlement.get(currency, (currency, None))
		settled = convert_minor(amount, currency, settle_currency, rate) if rate else amount
		fee = int((Decimal(settled) * self.fee_rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)) + int(
			self.fee_fixed
		)
		bt = self._add_bt(
			type="charge",
			reporting_category="charge",
			source=charge,
			amount=settled,
			fee=fee,
			currency=settle_currency,
			exchange_rate=float(rate) if rate else None,
			description=f"Payment for {metadata.get('sales_invoice') or 'an order'}",
			fee_description="Stripe processing fees",
		)
		self._objects["charges"][charge] = {
			"id": charge,
			"object": "charge",
			"amount": amount,
			"amount_captured": amount,
			"amount_refunded": 0,
			"balance_transaction": bt["id"],
			"captured": True,
			"created": bt["created"],
			"currency": currency,
			"disputed": False,
			"livemode": self.livemode,
			"metadata": dict(metadata),
			"paid": True,
			"payment_intent": payment_intent,
			"refunded": False,
			"status": "succeeded",
		}
		self._objects["payment_intents"][payment_intent] = {
			"id": payment_intent,
			"object": "payment_intent",
			"amount": amount,
			"amount_received": amount,
			"created": bt["created"],
			"currency": currency,
			"latest_charge": charge,
			"livemode": self.livemode,
			"metadata": dict(metadata),
			"status": "succeeded",
		}
		return payment_intent

	def create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
		"""POST /v1/refunds (and a refund made in the dashboard): at most what is left of the charge;
		none while it is disputed."""
		charge_id = params.get("charge")
		if not charge_id and params.get("payment_intent"):
			intent = self._objects["payment_intents"].get(params["payment_intent"])
			if intent is None:
				raise MoneyError(
					404,
					f"No such payment_intent: '{params['payment_intent']}'",
					"resource_missing",
					"payment_intent",
				)
			charge_id = intent["latest_charge"]
		charge = self._objects["charges"].get(charge_id or "")
		if charge is None:
			raise MoneyError(404, f"No such charge: '{charge_id}'", "resource_missing", "charge")
		left = charge["amount"] - charge["amount_refunded"]
		amount = int(params["amount"]) if params.get("amount") not in (None, "") else left
		if charge["disputed"] and self._open_dispute(charge_id):
			raise MoneyError(
				400, f"Charge {charge_id} has been disputed; it cannot be refunded.", "charge_disputed"
			)
		if amount <= 0 or amount > left:
			raise MoneyError(
				400,
				f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
				"amount_too_large",
				"amount",
			)
		refund = _id("re_")
		charge_bt = self._objects["balance_transactions"][charge["balance_transaction"]]
		settled = self._settled(amount, charge["currency"], charge_bt)
		bt = self._add_bt(
			type="refund",
			reporting_category="refund",
			source=refund,
			amount=-settled,
			fee=0,
			currency=charge_bt["currency"],
			exchange_rate=charge_bt["exchange_rate"],
			description="REFUND FOR CHARGE",
		)
		charge["amount_refunded"] += amount
		charge["refunded"] = charge["amount_refunded"] == charge["amount"]
		self._objects["refunds"][refund] = {
			"id": refund,
			"object": "refund",
			"amount": amount,
			"balance_transaction": bt["id"],
			"charge": charge_id,
			"created": bt["created"],
			"currency": charge["currency"],
			"failure_balance_transaction": None,
			"failure_reason": None,
			"metadata": dict(params.get("metadata") or {}),
			"payment_intent": charge["payment_intent"],
			"reason": params.get("reason"),
			"status": "succeeded",
		}
		return copy.deepcopy(self._objects["refunds"][refund])

	def fail_refund(self, refund_id: str) -> dict[str, Any]:
		"""The bank sent the refund back (``refund.failed``): the money returns to the balance."""
		refund = self._objects["refunds"][refund_id]
		if refund["status"] != "succeeded":
			raise ValueError(f"Refund {refund_id} is {refund['status']}.")
		refund_bt = self._objects["balance_transactions"][refund["balance_transaction"]]
		bt = self._add_bt(
			type="refund_failure",
			reporting_category="refund_failure",
			source=refund_id,
			amount=-refund_bt["amount"],
			fee=0,
			currency=refund_bt["currency"],
			exchange_rate=refund_bt["exchange_rate"],
			description="REFUND FAILURE",
		)
		refund.update(
			status="failed", failure_reason="expired_or_canceled_card", failure_balance_transaction=bt["id"]
		)
		charge = self._objects["charges"][refund["charge"]]
		charge["amount_refunded"] -= refund["amount"]
		charge["refunded"] = False
		return copy.deepcopy(refund)

	def open_dispute(self, charge_or_intent: str, amount: int | None = None) -> dict[str, Any]:
		"""The buyer's bank disputes the charge: Stripe withdraws the amount and its dispute fee."""
		charge_id = charge_or_intent
		if charge_or_intent.startswith("pi_"):
			charge_id = self._objects["payment_intents"][charge_or_intent]["latest_charge"]
		charge = self._objects["charges"][charge_id]
		amount = charge["amount"] - charge["amount_refunded"] if amount is None else amount
		dispute = _id("du_")
		charge_bt = self._objects["balance_transactions"][charge["balance_transaction"]]
		settled = self._settled(amount, charge["currency"], charge_bt)
		bt = self._add_bt(
			type="adjustment",
			reporting_category="dispute",
			source=dispute,
			amount=-settled,
			fee=self.dispute_fee,
			currency=charge_bt["currency"],
			exchange_rate=charge_bt["exchange_rate"],
			description=f"Chargeback withdrawal for {charge_id}",
			fee_description="Dispute fee",
		)
		charge["disputed"] = True
		self._objects["disputes"][dispute] = {
			"id": dispute,
			"object": "dispute",
			"amount": amount,
			"balance_transactions": [copy.deepcopy(bt)],
			"charge": charge_id,
			"created": bt["created"],
			"currency": charge["currency"],
			"evidence_details": {
				"due_by": int(time.time()) + 7 * 86400,
				"has_evidence": False,
				"past_due": False,
				"submission_count": 0,
			},
			"is_charge_refundable": False,
			"livemode": self.livemode,
			"metadata": {},
			"payment_intent": charge["payment_intent"],
			"reason": "fraudulent",
			"status": "needs_response",
		}
		return copy.deepcopy(self._objects["disputes"][dispute])

	def close_dispute(self, dispute_id: str, won: bool, fee_returned: int = 0) -> dict[str, Any]:
		"""Won: Stripe reinstates the amount (and `fee_returned` of its fee); lost: nothing moves."""
		dispute = self._objects["disputes"][dispute_id]
		if dispute["status"] not in ("needs_response", "under_review", "warning_needs_response"):
			raise ValueError(f"Dispute {dispute_id} is {dispute['status']}.")
		if won:
			first = dispute["balance_transactions"][0]
			bt = self._add_bt(
				type="adjustment",
				reporting_category="dispute_reversal",
				source=dispute_id,
				amount=-first["amount"],
				fee=-fee_returned,
				currency=first["currency"],
				exchange_rate=first["exchange_rate"],
				description=f"Chargeback reversal for {dispute['charge']}",
				fee_description="Dispute fee refund" if fee_returned else None,
			)
			dispute["balance_transactions"].append(copy.deepcopy(bt))
		dispute["status"] = "won" if won else "lost"
		return copy.deepcopy(dispute)

	def stripe_fee(
		self, amount: int, currency: str, description: str = "Billing - Usage Fee"
	) -> dict[str, Any]:
		"""A fee Stripe takes on its own (Radar, Billing, a monthly fee): a Balance Transaction only."""
		return copy.deepcopy(
			self._add_bt(
				type="stripe_fee",
				reporting_category="fee",
				source=None,
				amount=-amount,
				fee=0,
				currency=currency.lower(),
				exchange_rate=None,
				description=description,
			)
		)

	def payout(self, currency: str) -> dict[str, Any]:
		"""An automatic payout of everything not yet paid out in `currency` (Stripe's own grouping)."""
		currency = currency.lower()
		included = [
			txn
			for txn in self._order
			if txn not in self._paid_out
			and self._objects["balance_transactions"][txn]["currency"] == currency
		]
		amount = sum(self._objects["balance_transactions"][txn]["net"] for txn in included)
		if amount <= 0:
			raise ValueError(f"Nothing to pay out in {currency}: the balance is {amount}.")
		payout = _id("po_")
		bt = self._add_bt(
			type="payout",
			reporting_category="payout",
			source=payout,
			amount=-amount,
			fee=0,
			currency=currency,
			exchange_rate=None,
			description="STRIPE PAYOUT",
		)
		for txn in [*included, bt["id"]]:
			self._paid_out[txn] = payout
		self._objects["payouts"][payout] = {
			"id": payout,
			"object": "payout",
			"amount": amount,
			"arrival_date": int(time.time()) + 2 * 86400,
			"automatic": True,
			"balance_transaction": bt["id"],
			"created": bt["created"],
			"currency": currency,
			"failure_balance_transaction": None,
			"failure_code": None,
			"livemode": self.livemode,
			"metadata": {},
			"method": "standard",
			"reconciliation_status": "completed",
			"status": "paid",
			"type": "bank_account",
		}
		return copy.deepcopy(self._objects["payouts"][payout])

	def fail_payout(self, payout_id: str) -> dict[str, Any]:
		"""The bank refused the payout: its amount returns to the balance (``payout.failed``)."""
		payout = self._objects["payouts"][payout_id]
		if payout["status"] != "paid":
			raise ValueError(f"Payout {payout_id} is {payout['status']}.")
		bt = self._add_bt(
			type="payout_failure",
			reporting_category="payout_reversal",
			source=payout_id,
			amount=payout["amount"],
			fee=0,
			currency=payout["currency"],
			exchange_rate=None,
			description="STRIPE PAYOUT FAILURE",
		)
		payout.update(status="failed", failure_code="account_closed", failure_balance_transaction=bt["id"])
		return copy.deepcopy(payout)

	# -- the API -------------------------------------------------------------------------

	def route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
		"""Answer a money request, or None when the path is not one of these."""
		if path == "/v1/balance" and method == "GET":
			totals = self.balance()
			return 200, {
				"object": "balance",
				"available": [
					{"amount": amount, "currency": currency} for currency, amount in totals.items()
				],
				"pending": [{"amount": 0, "currency": currency} for currency in totals],
				"livemode": self.livemode,
			}
		if path == "/v1/refunds" and method == "POST":
			return 200, self.create_refund(params)
		match = _OBJECT_PATH.match(path)
		if match and method == "GET":
			kind, object_id = match.groups()
			found = self._objects[kind].get(object_id)
			if found is None:
				raise MoneyError(404, f"No such {_NAMES[kind]}: '{object_id}'", "resource_missing", "id")
			return 200, self._expanded(copy.deepcopy(found), params.get("expand") or [])
		if path in _LIST_PATHS and method == "GET":
			return 200, self._list(path, params)
		return None

	def _list(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
		kind = path.rsplit("/", 1)[1]
		if kind == "balance_transactions":
			rows = [self._objects[kind][txn] for txn in reversed(self._order)]  # newest first
			if params.get("payout"):
				payout = params["payout"]
				if payout not in self._objects["payouts"]:
					raise MoneyError(404, f"No such payout: '{payout}'", "resource_missing", "payout")
				rows = [row for row in rows if self._paid_out.get(row["id"]) == payout]
			if params.get("type"):
				rows = [row for row in rows if row["type"] == params["type"]]
			if params.get("source"):
				rows = [row for row in rows if row["source"] == params["source"]]
		else:
			rows = sorted(self._objects[kind].values(), key=lambda row: row["created"], reverse=True)
			for key in ("charge", "payment_intent"):
				if params.get(key):
					rows = [row for row in rows if row.get(key) == params[key]]
		created = params.get("created")
		if isinstance(created, dict):
			for op, test in (
				("gte", int.__ge__),
				("gt", int.__gt__),
				("lte", int.__le__),
				("lt", int.__lt__),
			):
				if created.get(op) not in (None, ""):
					rows = [row for row in rows if test(int(row["created"]), int(created[op]))]
		if params.get("starting_after"):
			ids = [row["id"] for row in rows]
			if params["starting_after"] in ids:
				rows = rows[ids.index(params["starting_after"]) + 1 :]
		limit = max(1, min(100, int(params.get("limit") or 10)))
		return {
			"object": "list",
			"data": copy.deepcopy(rows[:limit]),
			"has_more": len(rows) > limit,
			"url": path,
		}

	def _expanded(self, found: dict[str, Any], expand: list[str]) -> dict[str, Any]:
		for path in expand if isinstance(expand, list) else [expand]:
			target = found
			parts = str(path).split(".")
			for index, part in enumerate(parts):
				value = target.get(part)
				if isinstance(value, str):
					try:
						value = copy.deepcopy(self.get(value))
					except KeyError:
						break
					target[part] = value
				if not isinstance(value, dict) or index == len(parts) - 1:
					break
				target = value
		return found

	# -- internals -----------------------------------------------------------------------

	def _open_dispute(self, charge_id: str) -> bool:
		return any(
			dispute["charge"] == charge_id and dispute["status"] in ("needs_response", "under_review")
			for dispute in self._objects["disputes"].values()
		)

	@staticmethod
	def _settled(amount: int, currency: str, charge_bt: dict[str, Any]) -> int:
		"""`amount` of the charge's currency in its settlement currency, at the charge's rate."""
		if charge_bt["exchange_rate"]:
			return convert_minor(amount, currency, charge_bt["currency"], charge_bt["exchange_rate"])
		return amount

	def _add_bt(
		self,
		*,
		type: str,
		reporting_category: str,
		source: str | None,
		amount: int,
		fee: int,
		currency: str,
		exchange_rate: float | None,
		description: str,
		fee_description: str | None = None,
	) -> dict[str, Any]:
		# Strictly increasing creation times, so "created since" and "newest first" are exact.
		self._clock = max(self._clock + 1, int(time.time()))
		txn = _id("txn_")
		bt = {
			"id": txn,
			"object": "balance_transaction",
			"amount": amount,
			"available_on": self._clock + 2 * 86400,
			"created": self._clock,
			"currency": currency,
			"description": description,
			"exchange_rate": exchange_rate,
			"fee": fee,
			"fee_details": (
				[
					{
						"amount": fee,
						"application": None,
						"currency": currency,
						"description": fee_description,
						"type": "stripe_fee",
					}
				]
				if fee
				else []
			),
			"net": amount - fee,
			"reporting_category": reporting_category,
			"source": source,
			"status": "pending",
			"type": type,
		}
		self._objects["balance_transactions"][txn] = bt
		self._order.append(txn)
		return bt
