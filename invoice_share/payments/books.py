"""The books match Stripe: every Stripe balance transaction is booked by exactly one voucher.

`payments.ledger` says what a balance transaction means (the Stripe account moves by its `net`,
the fee account by its `fee`, the counterpart by `-amount`); this module books it in ERPNext:

- a payment: the Payment Entry of the payment link (`recording`), net on the Stripe account and
  Stripe's fee as a deduction row;
- a refund: a Payment Entry (Pay) to the customer from the Stripe account, allocated to the
  invoice's credit note that still has something to pay back, else left unallocated; a refund
  that failed: a Payment Entry (Receive) of its own, never a cancellation;
- a dispute, a won dispute, Stripe's own fees and adjustments, a payout and a failed payout:
  a Journal Entry whose reference (`cheque_no`) is the Stripe object's id.

Each booking writes a `Stripe Balance Transaction` row named by the balance transaction's id in
the same transaction as its voucher: a second delivery, or a concurrent one, finds the row (or
waits on its key) and books nothing. An event is only a hint: what happened is read from Stripe
(every call before anything is written), and objects of other integrations are left alone.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import flt, getdate, nowdate

from invoice_share.core.documents import add_timeline_line, posting_for_guests
from invoice_share.core.formats import from_timestamp
from invoice_share.core.settings import get_settings
from invoice_share.payments import ledger
from invoice_share.payments.gateway import PAYMENT_LINK
from invoice_share.payments.stripe_api import StripeGateway, StripeGatewayError, mask_secret

STRIPE_TXN = "Stripe Balance Transaction"


class StripeUnavailable(Exception):
	"""Stripe could not be asked what happened; the event is delivered again, the sweep retries."""


# -- settings ------------------------------------------------------------------------------


def books_accounts(company: str, settings=None) -> frappe._dict | None:
	"""The Stripe, fee and payout accounts for `company`, or None when the books are not set up
	for it (a site that had Stripe on before these settings: payments are booked as before)."""
	settings = settings or get_settings()
	names = (
		settings.stripe_account,
		settings.get("stripe_fee_account"),
		settings.get("stripe_payout_account"),
	)
	if not all(names):
		return None
	companies = {frappe.get_cached_value("Account", name, "company") for name in names}
	if companies != {company}:
		return None
	return frappe._dict(stripe=names[0], fee=names[1], payout=names[2], company=company)


def books_company(settings=None) -> str | None:
	settings = settings or get_settings()
	if not settings.stripe_account:
		return None
	company = frappe.get_cached_value("Account", settings.stripe_account, "company")
	return company if books_accounts(company, settings) else None


def currency_problem(move: ledger.Movement, accounts) -> str | None:
	"""Why `move` cannot be booked as it is: the Stripe account holds Stripe's balance in its own
	currency, the company's. None when it can."""
	account_currency = frappe.get_cached_value("Account", accounts.stripe, "account_currency")
	company_currency = frappe.get_cached_value("Company", accounts.company, "default_currency")
	if move.currency == account_currency == company_currency:
		return None
	return _(
		"Stripe settled {0} in {1}, but the Stripe account {2} is in {3} and company {4} keeps its books in {5}. Book it by hand, or keep the Stripe balance in the company's currency."
	).format(
		move.balance_transaction,
		move.currency,
		frappe.bold(accounts.stripe),
		account_currency,
		frappe.bold(accounts.company),
		company_currency,
	)


def _check_currency(move: ledger.Movement, accounts) -> None:
	problem = currency_problem(move, accounts)
	if problem:
		frappe.throw(problem, title=_("Stripe Currency"))


# -- the record of what is booked -----------------------------------------------------------


def voucher_of(balance_transaction: str) -> tuple[str, str] | None:
	row = frappe.db.get_value(STRIPE_TXN, balance_transaction, ["voucher_type", "voucher_no"])
	return (row[0], row[1]) if row and row[1] else None


def claim(move: ledger.Movement, company: str, **links) -> bool:
	"""Write the balance transaction's row before its voucher: False when it is booked already,
	by this request or another (a concurrent insert waits on the row's key, then fails)."""
	if frappe.db.exists(STRIPE_TXN, move.balance_transaction):
		return False
	frappe.db.savepoint("invoice_share_claim")
	try:
		frappe.get_doc(
			{
				"doctype": STRIPE_TXN,
				"balance_transaction": move.balance_transaction,
				"kind": move.kind,
				"reference": move.reference,
				"created_at": from_timestamp(move.created) if move.created else None,
				"company": company,
				"currency": move.currency,
				"amount": flt(move.amount),
				"fee": flt(move.fee),
				"net": flt(move.net),
				"exchange_rate": flt(move.exchange_rate) if move.exchange_rate else None,
				"reporting_category": move.reporting_category,
				"stripe_type": move.type,
				**{key: value for key, value in links.items() if value},
			}
		).insert(ignore_permissions=True)
	except frappe.DuplicateEntryError:
		frappe.db.rollback(save_point="invoice_share_claim")
		frappe.clear_messages()
		return False
	return True


def record_voucher(balance_transaction: str, voucher) -> None:
	frappe.db.set_value(
		STRIPE_TXN, balance_transaction, {"voucher_type": voucher.doctype, "voucher_no": voucher.name}
	)


# -- payments: net on the Stripe account, the fee a deduction -------------------------------


def apply_stripe_figures(entry, move: ledger.Movement, accounts) -> None:
	"""Make a Payment Entry (Receive) book what Stripe says: the Stripe account gets `net`, the fee
	account Stripe's fee (a deduction row); when Stripe converted the money, what differs from
	ERPNext's own conversion is exchange gain or loss, on the company's account for it."""
	_check_currency(move, accounts)
	company = frappe.get_cached_doc("Company", accounts.company)
	entry.paid_to = accounts.stripe
	entry.received_amount = flt(move.net)
	if entry.paid_from_account_currency == entry.paid_to_account_currency:
		entry.paid_amount = flt(move.net)
	if move.fee:
		entry.append(
			"deductions",
			{
				"account": accounts.fee,
				"cost_center": company.cost_center,
				"amount": flt(move.fee),
				"description": _("Stripe fee ({0})").format(move.balance_transaction),
			},
		)
	# (set_amounts books the difference of a customer in another currency as exchange gain or
	# loss, ERPNext's own row; what is left is Stripe's conversion against the invoice's rate.)
	entry.set_amounts()
	difference = flt(entry.difference_amount, entry.precision("difference_amount"))
	if not difference:
		return
	if not move.exchange_rate:
		frappe.throw(
			_("Stripe's figures for {0} leave {1} unexplained on the Payment Entry.").format(
				move.balance_transaction, difference
			),
			title=_("Stripe Figures"),
		)
	if not company.exchange_gain_loss_account:
		frappe.throw(
			_("Set an Exchange Gain / Loss Account for company {0}: Stripe converted this payment.").format(
				frappe.bold(company.name)
			),
			title=_("No Exchange Gain / Loss Account"),
		)
	entry.append(
		"deductions",
		{
			"account": company.exchange_gain_loss_account,
			"cost_center": company.cost_center,
			"amount": difference,
			# Not ERPNext's own exchange row (which it recomputes from the entry's two sides):
			# the difference between Stripe's conversion and the invoice's rate.
			"description": _("Stripe's conversion at {0}").format(move.exchange_rate),
		},
	)
	entry.set_amounts()


def charge_balance_transaction(gateway: StripeGateway, payment_intent: str) -> dict | None:
	"""The balance transaction of a PaymentIntent's charge (a network call), or None."""
	try:
		intent = gateway.retrieve_payment_intent(payment_intent)
	except StripeGatewayError as exc:
		raise StripeUnavailable(mask_secret(str(exc))) from None
	charge = intent.get("latest_charge")
	if not isinstance(charge, dict):
		return None
	bt = charge.get("balance_transaction")
	if isinstance(bt, str):
		try:
			bt = gateway.retrieve_balance_transaction(bt)
		except StripeGatewayError as exc:
			raise StripeUnavailable(mask_secret(str(exc))) from None
	return bt if isinstance(bt, dict) else None


# -- vouchers ---------------------------------------------------------------------------


def book_movement(move: ledger.Movement, accounts, *, link=None, context: dict | None = None) -> bool:
	"""Book a refund, refund failure, dispute, payout, Stripe fee or adjustment once; True when
	booked now. `link` is the payment link of the payment it belongs to, if any."""
	context = context or {}
	invoice = frappe.get_doc("Sales Invoice", link.sales_invoice) if link else None
	if invoice is not None and invoice.company != accounts.company:
		return False  # the books are kept for the company of the Stripe account
	links = {
		"sales_invoice": invoice.name if invoice else None,
		"payment_link": link.name if link else None,
		"payout": context.get("in_payout"),
	}
	problem = currency_problem(move, accounts)
	if problem:
		# Not booked, and said where a person looks (the link, the reconciliation report); Stripe's
		# event is answered, since delivering it again would not change the currency.
		if link:
			frappe.db.set_value(PAYMENT_LINK, link.name, {"needs_attention": 1, "attention_note": problem})
		frappe.log_error(title="Invoice Share: a Stripe movement in another currency", message=problem)
		return False
	if not claim(move, accounts.company, **links):
		return False
	with posting_for_guests():
		if move.kind == ledger.REFUND:
			voucher = _refund_entry(move, accounts, invoice, context.get("refund") or {})
		elif move.kind == ledger.REFUND_FAILURE:
			voucher = _refund_failure_entry(move, accounts, invoice)
		else:
			voucher = _journal_entry(move, accounts, invoice, context)
	record_voucher(move.balance_transaction, voucher)
	if link:
		_tell(link, move, voucher, context)
	return True


def _posting_date(move: ledger.Movement, context: dict):
	payout = context.get("payout")
	if move.kind == ledger.PAYOUT and payout and payout.get("arrival_date"):
		return getdate(from_timestamp(payout["arrival_date"]))
	return getdate(from_timestamp(move.created)) if move.created else getdate(nowdate())


def _refund_entry(move: ledger.Movement, accounts, invoice, refund: dict):
	"""Pay the customer back from the Stripe account: allocated to the invoice's credit note that
	still has something to pay back (the one the refund names first), else unallocated."""
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

	refunded = -flt(move.amount)
	credit_note = _credit_note_for(invoice, (refund.get("metadata") or {}).get("credit_note"))
	if credit_note:
		# A credit note's outstanding is negative, and so is what a payment allocates to it.
		entry = get_payment_entry(
			"Sales Invoice",
			credit_note.name,
			party_amount=max(-refunded, flt(credit_note.outstanding_amount)),
			bank_account=accounts.stripe,
		)
		frappe.clear_messages()
	else:
		entry = frappe.new_doc("Payment Entry")
		entry.update(
			{
				"payment_type": "Pay",
				"company": accounts.company,
				"party_type": "Customer",
				"party": invoice.customer,
				"paid_to": invoice.debit_to,
				"paid_from": accounts.stripe,
			}
		)
		entry.setup_party_account_field()
		entry.set_missing_values()
	entry.paid_from = accounts.stripe
	entry.paid_amount = entry.received_amount = -flt(move.net)
	entry.source_exchange_rate = entry.target_exchange_rate = 1
	if move.fee:
		entry.append(
			"deductions",
			{
				"account": accounts.fee,
				"cost_center": frappe.get_cached_value("Company", accounts.company, "cost_center"),
				"amount": flt(move.fee),
				"description": _("Stripe fee ({0})").format(move.balance_transaction),
			},
		)
	return _submit_payment_entry(
		entry, move, _("Stripe refund {0} of invoice {1}.").format(move.reference, invoice.name)
	)


def _refund_failure_entry(move: ledger.Movement, accounts, invoice):
	"""The refund came back: the customer is owed nothing for it any more (a voucher of its own)."""
	entry = frappe.new_doc("Payment Entry")
	entry.update(
		{
			"payment_type": "Receive",
			"company": accounts.company,
			"party_type": "Customer",
			"party": invoice.customer,
			"paid_from": invoice.debit_to,
			"paid_to": accounts.stripe,
		}
	)
	entry.setup_party_account_field()
	entry.set_missing_values()
	entry.paid_from = invoice.debit_to
	entry.paid_to = accounts.stripe
	entry.paid_amount = entry.received_amount = flt(move.net)
	entry.source_exchange_rate = entry.target_exchange_rate = 1
	return _submit_payment_entry(
		entry, move, _("Stripe refund {0} failed; its money is back in Stripe.").format(move.reference)
	)


def _submit_payment_entry(entry, move: ledger.Movement, remark: str):
	entry.mode_of_payment = get_settings().stripe_mode_of_payment
	entry.reference_no = move.reference
	entry.reference_date = _posting_date(move, {})
	entry.posting_date = _posting_date(move, {})
	entry.remarks = remark
	entry.flags.ignore_permissions = True
	entry.set_amounts()
	entry.insert()
	entry.submit()
	return entry


def _credit_note_for(invoice, named: str | None):
	"""A submitted credit note against the invoice that still has money to pay back."""
	filters = {"return_against": invoice.name, "docstatus": 1, "is_return": 1, "outstanding_amount": ["<", 0]}
	names = frappe.get_all(
		"Sales Invoice", filters=filters, pluck="name", order_by="posting_date asc, creation asc"
	)
	if named in names:
		names = [named]
	return frappe.get_doc("Sales Invoice", names[0]) if names else None


def _journal_entry(move: ledger.Movement, accounts, invoice, context: dict):
	"""A Journal Entry for `move` by `ledger`'s rule: Stripe account, fee account, counterpart."""
	company = frappe.get_cached_doc("Company", accounts.company)
	where_to = {
		ledger.STRIPE_ACCOUNT: accounts.stripe,
		ledger.FEE_ACCOUNT: accounts.fee,
		ledger.PAYOUT_BANK: accounts.payout,
		ledger.CUSTOMER: invoice.debit_to if invoice else company.default_receivable_account,
	}
	rows = []
	for where, change in move.lines():
		row = {
			"account": where_to[where],
			"debit_in_account_currency": flt(change) if change > 0 else 0,
			"credit_in_account_currency": -flt(change) if change < 0 else 0,
			"cost_center": company.cost_center,
		}
		if where == ledger.CUSTOMER:
			row.update(party_type="Customer", party=invoice.customer)
		rows.append(row)
	titles = {
		ledger.DISPUTE: _("Stripe dispute {0}: the amount and the dispute fee withdrawn"),
		ledger.DISPUTE_REVERSAL: _("Stripe dispute {0} won: the amount reinstated"),
		ledger.PAYOUT: _("Stripe payout {0} to the bank"),
		ledger.PAYOUT_FAILURE: _("Stripe payout {0} failed; its money is back in Stripe"),
		ledger.FEE: _("Stripe fee {0}"),
		ledger.ADJUSTMENT: _("Stripe adjustment {0}"),
	}
	posting_date = _posting_date(move, context)
	entry = frappe.get_doc(
		{
			"doctype": "Journal Entry",
			"voucher_type": "Bank Entry",
			"company": accounts.company,
			"posting_date": posting_date,
			"cheque_no": move.reference,
			"cheque_date": posting_date,
			"user_remark": titles[move.kind].format(move.reference)
			+ (f" ({move.balance_transaction})" if move.reference != move.balance_transaction else ""),
			"accounts": rows,
		}
	)
	entry.flags.ignore_permissions = True
	entry.insert()
	entry.submit()
	return entry


def _tell(link, move: ledger.Movement, voucher, context: dict) -> None:
	"""A refund, dispute or failed refund of a payment: the link says so, for a person to look at."""
	from invoice_share.core.formats import from_timestamp as when
	from invoice_share.notifications import notices

	money = frappe.utils.fmt_money(abs(flt(move.amount)), currency=move.currency)
	if move.kind == ledger.DISPUTE:
		due_by = ((context.get("dispute") or {}).get("evidence_details") or {}).get("due_by")
		note = _(
			"The buyer's bank disputed this payment: Stripe withdrew {0} and its dispute fee ({1}). Respond in Stripe by {2}."
		).format(
			money,
			voucher.name,
			frappe.utils.format_datetime(when(due_by)) if due_by else _("the deadline Stripe shows"),
		)
		notices.notify_seller(link.sales_invoice, note, "notify_on_payment")
	elif move.kind == ledger.DISPUTE_REVERSAL:
		note = _("The dispute was decided for you: Stripe reinstated {0} ({1}).").format(money, voucher.name)
	elif move.kind == ledger.REFUND:
		allocated = [row.reference_name for row in voucher.get("references") or []]
		if allocated:
			note = _("Refunded {0} through Stripe, paid against credit note {1} ({2}).").format(
				money, allocated[0], voucher.name
			)
		else:
			note = _(
				"Refunded {0} through Stripe ({1}), with no credit note to pay it against: the customer owes it until a credit note is made and reconciled."
			).format(money, voucher.name)
	elif move.kind == ledger.REFUND_FAILURE:
		note = _("A refund of {0} failed at the buyer's bank; the money is back in Stripe ({1}).").format(
			money, voucher.name
		)
	else:
		return
	# A person must act on a dispute, a refund that failed or one no credit note accounts for;
	# the rest is only noted on the invoice.
	act = move.kind in (ledger.DISPUTE, ledger.REFUND_FAILURE) or (
		move.kind == ledger.REFUND and not voucher.get("references")
	)
	if act:
		frappe.db.set_value(PAYMENT_LINK, link.name, {"needs_attention": 1, "attention_note": note})
	add_timeline_line(link.sales_invoice, note)
