"""Bring an Invoice Payment Link in line with Stripe, and record a payment exactly once.

Called by the webhook (with the event's session) and by the return page (with a session it
retrieved). Every decision is taken on a locking read of the payment link's row, so the same
event delivered twice, or two events for one payment at once, still make one Payment Entry.
"""

import frappe
from frappe import _
from frappe.utils import flt, fmt_money, getdate, now_datetime, nowdate

from invoice_share.core.documents import add_timeline_line, posting_for_guests
from invoice_share.core.settings import get_settings
from invoice_share.notifications import notices
from invoice_share.payments import amounts, books, ledger
from invoice_share.payments.gateway import PAYMENT_LINK, get_gateway
from invoice_share.payments.settlement import amount_due, build_payment_entry, same_money
from invoice_share.payments.stripe_api import StripeGatewayError, mask_secret, paid_amount

PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


class RecordingFailed(Exception):
	"""The payment is real but ERPNext refused the Payment Entry; Stripe should retry."""


def reconcile(session_id: str) -> str | None:
	"""Retrieve the session from Stripe and apply it; the link's status after, or None."""
	try:
		session = get_gateway().retrieve_checkout_session(session_id)
	except (StripeGatewayError, frappe.ValidationError) as exc:
		frappe.clear_last_message()
		frappe.log_error(
			title="Invoice Share: could not retrieve a checkout session",
			message=mask_secret(f"{session_id}: {exc}"),
			defer_insert=True,
		)
		return None
	try:
		return apply_session(session, None)
	except RecordingFailed:
		return None


def apply_session(
	session: dict,
	event_type: str | None,
	closed_status: str = "Expired",
	balance_transaction: dict | None = None,
) -> str | None:
	"""Apply Stripe's view of a Checkout Session to our payment link; returns its status.

	`event_type` is the webhook event, or None when the session was retrieved by us. An expired
	session closes the link with `closed_status` (Cancelled when its invoice was cancelled).
	A paid session is booked with its charge's balance transaction (Stripe's fee and net), read
	from Stripe here, before any row is locked, unless the caller has it already.
	Returns None for a session that is not ours.
	"""
	name = frappe.db.get_value(PAYMENT_LINK, {"checkout_session_id": session.get("id")}, "name")
	metadata = session.get("metadata") or {}
	if not name or metadata.get("site") not in (None, frappe.local.site):
		return None
	paid_now = session.get("status") == "complete" and session.get("payment_status") == "paid"
	if (
		balance_transaction is None
		and paid_now
		and event_type in (None, *PAID_EVENTS)
		and not frappe.db.get_value(PAYMENT_LINK, name, "payment_entry")
		and books.books_company()
	):
		try:
			balance_transaction = books.charge_balance_transaction(get_gateway(), _intent_id(session))
		except books.StripeUnavailable as exc:
			raise RecordingFailed(str(exc)) from exc

	# The locking read sees the latest committed row and holds it until our commit.
	link = frappe.db.get_value(
		PAYMENT_LINK,
		name,
		[
			"name",
			"status",
			"amount",
			"currency",
			"sales_invoice",
			"payment_entry",
			"creation",
		],
		as_dict=True,
		for_update=True,
	)
	_mark_committable()
	if link.status == "Paid" or link.payment_entry:
		return "Paid"

	complete = session.get("status") == "complete"
	paid = complete and session.get("payment_status") == "paid"
	if paid and event_type in (None, *PAID_EVENTS):
		return _record_payment(link, session, balance_transaction)
	if event_type == "checkout.session.async_payment_failed":
		frappe.db.set_value(
			PAYMENT_LINK, name, {"status": "Failed", "last_error": _("The payment failed at Stripe.")}
		)
		return "Failed"
	if complete and session.get("payment_status") == "unpaid" and link.status == "Open":
		# A method that settles later (SEPA Debit, ACH, Bacs…): nothing is booked until Stripe says
		# it succeeded, and no new session is offered meanwhile.
		frappe.db.set_value(PAYMENT_LINK, name, "status", "Processing")
		return "Processing"
	if session.get("status") == "expired" and link.status == "Open":
		frappe.db.set_value(PAYMENT_LINK, name, "status", closed_status)
		return closed_status
	return link.status


def _intent_id(session: dict) -> str:
	payment_intent = session.get("payment_intent") or session.get("id")
	return payment_intent.get("id") if isinstance(payment_intent, dict) else payment_intent


def _record_payment(link, session: dict, balance_transaction: dict | None = None) -> str:
	"""Book what Stripe took on one submitted Payment Entry, whatever the invoice's state now."""
	amount_minor, paid_currency = paid_amount(session)
	payment_intent = _intent_id(session)
	if paid_currency != link.currency.upper() or not isinstance(amount_minor, int):
		# Our sessions are made in the invoice's currency; anything else cannot be booked against it.
		message = _(
			"Stripe reported {0} {1} for this link, which was made in {2}. Nothing was booked; check payment {3} in Stripe."
		).format(amount_minor, paid_currency, link.currency.upper(), payment_intent)
		frappe.db.set_value(
			PAYMENT_LINK,
			link.name,
			{"needs_attention": 1, "attention_note": message, "payment_intent": payment_intent},
		)
		frappe.log_error(
			title="Invoice Share: Stripe currency does not match the payment link",
			message=f"{message}\nCheckout Session: {session.get('id')}",
			reference_doctype=PAYMENT_LINK,
			reference_name=link.name,
		)
		return link.status

	taken = flt(amounts.from_minor_units(amount_minor, paid_currency))
	money = fmt_money(taken, currency=link.currency)
	frappe.db.savepoint("invoice_share_payment")
	try:
		entry, matched, owed = _make_payment_entry(link, taken, payment_intent, balance_transaction)
	except Exception as exc:
		frappe.db.rollback(save_point="invoice_share_payment")
		reason = mask_secret(_refusal_reason(exc))
		frappe.clear_messages()
		frappe.log_error(
			title="Invoice Share: could not record a Stripe payment",
			reference_doctype=PAYMENT_LINK,
			reference_name=link.name,
		)
		flag_unbooked(link.name, reason, payment_intent, money)
		# Kept even when the caller's transaction is rolled back: written again in a job of its own.
		frappe.db.after_rollback.add(
			lambda: frappe.enqueue(
				"invoice_share.payments.recording.flag_unbooked",
				queue="short",
				name=link.name,
				reason=reason,
				payment_intent=payment_intent,
				money=money,
			)
		)
		raise RecordingFailed(reason) from exc

	values = {
		"status": "Paid",
		"paid_on": now_datetime(),
		"payment_intent": payment_intent,
		"payment_entry": entry.name,
		"received_amount": taken,
		"last_error": None,
	}
	if link.status == "Received":  # booked at last: the booking problem is solved
		values.update(needs_attention=0, attention_note=None)
	if matched and same_money(taken, link.amount, link.currency):
		line = _("Paid {0} by card through Stripe; recorded as Payment Entry {1}.").format(money, entry.name)
	else:
		allocated = sum(flt(row.allocated_amount) for row in entry.get("references"))
		party_currency = entry.paid_from_account_currency
		note = _(
			"Stripe took {0}, but the invoice asked for {1} when this link was made and owed {2} when the money arrived. "
			"Payment Entry {3} holds all of it: {4} allocated to the invoice and {5} left unallocated for the customer. "
			"Allocate the rest to another invoice or refund it."
		).format(
			money,
			fmt_money(link.amount, currency=link.currency),
			fmt_money(owed, currency=link.currency),
			entry.name,
			fmt_money(allocated, currency=party_currency),
			fmt_money(entry.unallocated_amount, currency=party_currency),
		)
		values.update(needs_attention=1, attention_note=note)
		line = note
	frappe.db.set_value(PAYMENT_LINK, link.name, values)
	add_timeline_line(link.sales_invoice, line)
	notices.notify_payment(link.sales_invoice, money)
	# The money is booked whatever becomes of the receipt (no email account, say).
	frappe.db.savepoint("invoice_share_receipt")
	try:
		notices.send_receipt(
			link.name, outstanding=amount_due(frappe.get_doc("Sales Invoice", link.sales_invoice))
		)
	except Exception:
		frappe.db.rollback(save_point="invoice_share_receipt")
		frappe.clear_messages()
		frappe.log_error(title="Invoice Share: the payment receipt email was not sent")
	return "Paid"


def _refusal_reason(exc: Exception) -> str:
	"""What ERPNext said when it refused: the message it showed (which names the field or the
	period), else the exception's own text."""
	said = []
	for message in getattr(frappe.local, "message_log", None) or []:
		if isinstance(message, str):
			try:
				message = frappe.parse_json(message)
			except Exception:
				message = {"message": message}
		text = (message or {}).get("message") if isinstance(message, dict) else None
		if text:
			said.append(frappe.utils.strip_html(str(text)))
	return " ".join(said) or frappe.utils.strip_html(str(exc)) or type(exc).__name__


def flag_unbooked(name: str, reason: str, payment_intent: str, money: str) -> None:
	"""Stripe took the money but ERPNext refused the Payment Entry: the link says so (Received,
	Needs Attention, with the reason), the seller is told once, and the buyer is told the payment
	is being recorded. The hourly sweep books it once the cause is fixed. Also a background job,
	for a caller whose transaction was rolled back."""
	link = frappe.db.get_value(PAYMENT_LINK, name, ["status", "sales_invoice"], as_dict=True)
	if not link or link.status == "Paid":
		return
	note = _(
		"Stripe took {0} (payment {1}), but ERPNext refused the Payment Entry: {2} Fix the cause;"
		" the payment is booked by the hourly check, or at once when the buyer opens the receipt page again."
	).format(money, payment_intent, reason)
	frappe.db.set_value(
		PAYMENT_LINK,
		name,
		{
			"status": "Received",
			"needs_attention": 1,
			"attention_note": note,
			"last_error": _("ERPNext refused the Payment Entry: {0}").format(reason),
			"payment_intent": payment_intent,
		},
	)
	if link.status != "Received":
		add_timeline_line(link.sales_invoice, note)
		notices.notify_unbooked(link.sales_invoice, money)


def _make_payment_entry(link, taken: float, payment_intent: str, balance_transaction: dict | None = None):
	"""Build, insert and submit the Payment Entry for `taken`; with the books set up for the
	company, the Stripe account receives Stripe's net and the fee is a deduction (`books`).

	Returns (entry, matched, owed): whether `taken` settled the invoice exactly, and what the
	invoice asked for (in its currency) when the money arrived.
	"""
	settings = get_settings()
	invoice = frappe.get_doc("Sales Invoice", link.sales_invoice)
	account = receiving_account(invoice.company, settings)
	accounts = books.books_accounts(invoice.company, settings)
	move = None
	if accounts:
		if not balance_transaction:
			frappe.throw(
				_("Stripe has no balance transaction for payment {0} yet.").format(payment_intent),
				title=_("Stripe Figures"),
			)
		move = ledger.movement(balance_transaction, reference=payment_intent)
		if not books.claim(move, invoice.company, sales_invoice=invoice.name, payment_link=link.name):
			frappe.throw(
				_("Stripe balance transaction {0} is booked already.").format(move.balance_transaction),
				title=_("Booked Already"),
			)
	# Guests (the webhook, the return page) post as the system; a desk user as themselves.
	with posting_for_guests():
		# The buyer was quoted on the day the link was made: an early-payment discount offered
		# then is honoured.
		entry, matched = build_payment_entry(
			invoice, taken, bank_account=account, reference_date=getdate(link.creation)
		)
		owed = taken if matched else amount_due(invoice, link.creation)
		entry.mode_of_payment = settings.stripe_mode_of_payment
		entry.reference_no = payment_intent
		entry.reference_date = nowdate()
		entry.remarks = _("Stripe Checkout payment {0} for Sales Invoice {1} ({2}).").format(
			payment_intent, invoice.name, link.name
		)
		if move:
			books.apply_stripe_figures(entry, move, accounts)
		entry.flags.ignore_permissions = True
		entry.insert()
		entry.submit()
		if move:
			books.record_voucher(move.balance_transaction, entry)
	return entry, matched, owed


def receiving_account(company: str, settings) -> str:
	"""The account from settings, or the Mode of Payment's account for another company."""
	if (
		settings.stripe_account
		and frappe.get_cached_value("Account", settings.stripe_account, "company") == company
	):
		return settings.stripe_account
	account = frappe.db.get_value(
		"Mode of Payment Account",
		{"parent": settings.stripe_mode_of_payment, "company": company},
		"default_account",
	)
	if not account:
		frappe.throw(
			_(
				"Set an account for company {0} in Mode of Payment {1}, or pick one in Invoice Share Settings."
			).format(company, settings.stripe_mode_of_payment),
			title=_("No Account for Stripe Payments"),
		)
	return account


def _mark_committable() -> None:
	# The return page is a GET; Frappe commits GETs only when asked (frappe.app.sync_database).
	frappe.local.flags.commit = True
