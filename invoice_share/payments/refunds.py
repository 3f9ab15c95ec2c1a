"""Refund a credit note through Stripe, from the desk or the API.

The buyer paid the original invoice by Stripe; the seller makes a credit note (a return against
that invoice) and clicks *Refund via Stripe*. Stripe is asked for at most what the credit note
still has to pay back and what is left of the payment (never a figure from the browser), under an
idempotency key made from the credit note and what it still owes, so a second click before the
refund is booked gets the same refund. Once Stripe answers, its balance transaction is booked by
`sync` like any refund: a Payment Entry (Pay) to the customer from the Stripe account, allocated
to the credit note. Stripe refusing (a dispute open, nothing left) books nothing.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import flt, fmt_money

from invoice_share.core.exceptions import InvalidArgument, InvoiceStateError, PaymentProviderError
from invoice_share.payments import amounts, sync
from invoice_share.payments.books import books_accounts
from invoice_share.payments.gateway import PAYMENT_LINK, get_gateway
from invoice_share.payments.stripe_api import StripeGatewayError, mask_secret


def refundable_payments(credit_note) -> list[frappe._dict]:
	"""The Stripe payments of the invoice the credit note returns, newest first."""
	if not (credit_note.docstatus == 1 and credit_note.is_return and credit_note.return_against):
		return []
	return frappe.get_all(
		PAYMENT_LINK,
		filters={
			"sales_invoice": credit_note.return_against,
			"status": "Paid",
			"payment_intent": ["is", "set"],
		},
		fields=["name", "payment_intent", "currency", "received_amount"],
		order_by="paid_on desc",
	)


def can_refund(credit_note) -> bool:
	"""Whether *Refund via Stripe* applies: a credit note with money to pay back, against an
	invoice paid through Stripe, the books set up, and a user who may make Payment Entries."""
	return bool(
		credit_note.docstatus == 1
		and credit_note.is_return
		and flt(credit_note.outstanding_amount) < 0
		and books_accounts(credit_note.company)
		and frappe.has_permission("Payment Entry", "create")
		and refundable_payments(credit_note)
	)


def refund(credit_note, amount=None) -> dict:
	"""Refund `amount` (default: all the credit note still pays back) through Stripe and book it."""
	if not can_refund(credit_note):
		if not frappe.has_permission("Payment Entry", "create"):
			frappe.throw(
				_("Only a user who may create Payment Entries can refund through Stripe."),
				exc=frappe.PermissionError,
				title=_("Not Permitted"),
			)
		frappe.throw(
			_(
				"{0} cannot be refunded through Stripe: it must be a submitted credit note with something to pay back, against an invoice paid through Stripe."
			).format(frappe.bold(credit_note.name)),
			exc=InvoiceStateError,
			title=_("Nothing to Refund"),
		)
	owed = -flt(credit_note.outstanding_amount)
	currency = credit_note.currency
	gateway = get_gateway()
	# The newest payment with something left to refund, as Stripe says (every call before anything
	# is written; the older ones are asked only when the newer have nothing left).
	for payment in refundable_payments(credit_note):
		try:
			intent = gateway.retrieve_payment_intent(payment.payment_intent)
		except StripeGatewayError as exc:
			_provider_error(exc)
		charge = intent.get("latest_charge") or {}
		left = int(charge.get("amount") or 0) - int(charge.get("amount_refunded") or 0)
		if left > 0 and str(charge.get("currency") or "").upper() == currency.upper():
			break
	else:
		frappe.throw(
			_("Nothing is left to refund of the Stripe payments of invoice {0}.").format(
				frappe.bold(credit_note.return_against)
			),
			exc=InvoiceStateError,
			title=_("Nothing to Refund"),
		)
	cap = min(owed, flt(amounts.from_minor_units(left, currency)))
	wanted = cap if amount in (None, "") else flt(amount)
	if wanted <= 0 or wanted > cap:
		frappe.throw(
			_("The amount to refund must be more than 0 and at most {0}.").format(
				fmt_money(cap, currency=currency)
			),
			exc=InvalidArgument,
			title=_("Invalid Amount"),
		)
	minor = amounts.to_minor_units(wanted, currency)
	owed_minor = amounts.to_minor_units(owed, currency)
	try:
		answer = gateway.create_refund(
			payment_intent=payment.payment_intent,
			amount_minor=minor,
			# The same click twice, before the refund is booked: the same refund.
			idempotency_key=f"invoice-share-refund:{frappe.local.site}:{credit_note.name}:{owed_minor}:{minor}",
			metadata={
				"site": frappe.local.site,
				"credit_note": credit_note.name,
				"payment_link": payment.name,
			},
		)
	except StripeGatewayError as exc:
		if exc.code == "charge_disputed":
			frappe.throw(
				_(
					"The payment of invoice {0} is disputed; Stripe refunds nothing while the dispute is open."
				).format(frappe.bold(credit_note.return_against)),
				exc=InvoiceStateError,
				title=_("Payment Disputed"),
			)
		_provider_error(exc)
	if answer.get("status") == "failed":
		frappe.throw(
			_("Stripe refused the refund: {0}").format(answer.get("failure_reason") or answer.get("status")),
			exc=PaymentProviderError,
			title=_("Refund Refused"),
		)
	# Stripe has refunded: book it now if ERPNext takes the Payment Entry; if not, the refund
	# stays at Stripe and is booked by its webhook or the hourly sync once the cause is fixed
	# (a second click meanwhile gets the same refund, under the same idempotency key).
	frappe.db.savepoint("invoice_share_refund")
	try:
		sync.sync_object(answer["id"])
	except Exception:
		frappe.db.rollback(save_point="invoice_share_refund")
		frappe.clear_messages()
		frappe.log_error(title="Invoice Share: a Stripe refund was not booked", message=answer["id"])
	voucher = frappe.db.get_value(
		"Stripe Balance Transaction", {"reference": answer["id"], "kind": "Refund"}, "voucher_no"
	)
	return {
		"refund": answer["id"],
		"status": answer.get("status"),
		"amount": wanted,
		"currency": currency,
		"payment_entry": voucher,
	}


def _provider_error(exc: StripeGatewayError):
	frappe.log_error(
		title="Invoice Share: Stripe refused a refund", message=mask_secret(str(exc)), defer_insert=True
	)
	frappe.throw(
		_("Stripe refused the refund: {0}").format(exc.user_message),
		exc=PaymentProviderError,
		title=_("Refund Refused"),
	)
