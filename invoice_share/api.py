"""The whitelisted surface, for the desk and for integrators (`/api/method/invoice_share.api.*`).

Each method parses its arguments, checks permission on the Sales Invoice, calls the module that
does the work and answers JSON. Guest methods answer every bad token with the same 404.
"""

import datetime
from zoneinfo import ZoneInfo

import frappe
from frappe import _
from frappe.utils import get_system_timezone, validate_email_address
from werkzeug.wrappers import Response

from invoice_share import pdf
from invoice_share.buyer import answers, summary
from invoice_share.core import guest, params
from invoice_share.core.documents import load_invoice
from invoice_share.core.exceptions import InvalidArgument, PaymentPending, PaymentsNotConfigured
from invoice_share.core.formats import iso
from invoice_share.core.settings import get_settings
from invoice_share.core.urls import insecure_site_url_warning
from invoice_share.links import downloads, sharing
from invoice_share.payments import checkout, refunds, settlement, sync
from invoice_share.payments.books import books_company

# Share links


@frappe.whitelist(methods=["POST"])
def generate_share_link(
	sales_invoice: str | None = None, regenerate: str | int | None = 0, expires_on: str | None = None
) -> dict:
	"""Share the invoice: its current link when it has one (`already_shared`), a new one with
	`regenerate` (the old one stops working), else the first one."""
	invoice = load_invoice(sales_invoice, "write")
	issued = sharing.issue_link(
		invoice, regenerate=_flag(regenerate, "regenerate"), expires_on=expires_on or None
	)
	return {
		"share_token": issued.token,
		"share_url": sharing.share_url(issued.token) if issued.token else None,
		"already_shared": issued.already_shared,
		"share_token_created_at": iso(issued.link.creation),
		"expires_on": iso(issued.link.expires_on),
		# Set when the site's address is not https: the link would travel in clear text.
		"warning": insecure_site_url_warning(),
	}


@frappe.whitelist(methods=["POST"])
def revoke_share_link(sales_invoice: str | None = None) -> dict:
	invoice = load_invoice(sales_invoice, "write")
	return {"revoked": sharing.revoke_links(invoice.name)}


@frappe.whitelist(methods=["GET", "POST"])
def get_share_status(sales_invoice: str | None = None) -> dict:
	invoice = load_invoice(sales_invoice, "read")
	return {
		**sharing.link_status(invoice),
		"payment_status": summary.payment_status(invoice),
		"online_payment_status": checkout.latest_payment_status(invoice.name),
		# Whether the buyer can pay this invoice online now (Stripe set up, something to pay).
		"can_pay_online": summary.can_pay_online(invoice),
		# A credit note that can be paid back to the card the invoice was paid with.
		"can_refund_via_stripe": refunds.can_refund(invoice),
	}


@frappe.whitelist(methods=["POST"])
def email_share_link(
	sales_invoice: str | None = None,
	recipients: str | list | None = None,
	regenerate: str | int | None = 0,
) -> dict:
	invoice = load_invoice(sales_invoice, "write")
	to = _recipients(recipients) or sharing.default_recipients(invoice)
	if not to:
		frappe.throw(
			_("Customer {0} has no email address. Give the recipients.").format(
				frappe.bold(invoice.customer)
			),
			exc=InvalidArgument,
			title=_("No Recipient"),
		)
	return sharing.email_link(
		invoice,
		recipients=to,
		outstanding=settlement.amount_due(invoice),
		regenerate=_flag(regenerate, "regenerate"),
	)


# Download links


@frappe.whitelist(methods=["GET", "POST", "PUT"])
def get_download_link(sales_invoice: str | None = None, seconds_valid: str | int | None = None) -> dict:
	# A public PDF link is a print: Frappe's own download_pdf asks for print permission too.
	invoice = load_invoice(sales_invoice, "print")
	if seconds_valid in (None, ""):
		seconds = get_settings().download_link_lifetime
	else:
		seconds = params.parse_whole_number(seconds_valid)
	# The PDF shows the invoice's share link only to those who may share it themselves.
	answer = downloads.issue(
		invoice, downloads.validate_lifetime(seconds), with_share_link=invoice.has_permission("write")
	)
	pdf.prerender_after_commit(invoice.name)  # so the first download is served from the store
	return answer


# Guest routes


@frappe.whitelist(allow_guest=True, methods=["GET"])
@guest.rate_limited(guest.SUMMARY_LIMIT)
def shared_invoice(token=None):
	"""The JSON summary a buyer (or a custom front end) may see."""
	return answers.summary_answer(token)


@frappe.whitelist(allow_guest=True, methods=["GET"])
@guest.rate_limited(guest.PDF_LIMIT)
def shared_invoice_pdf(token=None):
	return answers.shared_pdf_answer(token)


@frappe.whitelist(allow_guest=True, methods=["GET"])
@guest.rate_limited(guest.PDF_LIMIT)
def signed_invoice_pdf(token=None):
	"""The PDF behind a signed download link, while the signature is valid."""
	return answers.signed_pdf_answer(token)


# Payments


@frappe.whitelist(methods=["POST"])
def create_payment_link(sales_invoice: str | None = None) -> dict:
	"""A Stripe Checkout URL for the outstanding amount (Lago's `payment_url`)."""
	invoice = load_invoice(sales_invoice, "write")
	return checkout.payment_link_details(checkout.checkout_for(invoice))


@frappe.whitelist(allow_guest=True, methods=["POST"])
@guest.rate_limited(guest.CHECKOUT_LIMIT)
def start_checkout(token=None, redirect=None):
	"""The buyer's "Pay now": `{id, url}`, or a 303 to Stripe when the page's form posts."""
	row = sharing.resolve_token(token)
	if row is None:
		return guest.not_found_json()
	invoice = frappe.get_doc("Sales Invoice", row.sales_invoice)
	from_page = params.parse_flag(redirect)
	frappe.db.savepoint("invoice_share_checkout")
	try:
		link = checkout.checkout_for(invoice, share_link=row.name)
	except PaymentPending as exc:
		# Paid already, or on its way: say so, and keep what was learnt (the link's flag).
		frappe.clear_messages()
		if from_page:
			return guest.message_page(_("Payment received"), str(exc), status=exc.http_status_code)
		return guest.json_response(
			{"pending": True, "message": frappe.utils.strip_html(str(exc))}, status=exc.http_status_code
		)
	except frappe.ValidationError as exc:
		if not from_page:
			raise
		# The buyer pressed "Pay now" (say, after paying in another tab): a page, not JSON,
		# and nothing of the attempt is kept.
		frappe.db.rollback(save_point="invoice_share_checkout")
		frappe.clear_messages()
		return guest.message_page(_("Payment not started"), str(exc), status=exc.http_status_code)
	if from_page:
		return guest.with_headers(
			Response(status=303, headers={"Location": link.payment_url}), guest.PRIVATE_HEADERS
		)
	return guest.json_response({"id": link.checkout_session_id, "url": link.payment_url})


@frappe.whitelist(methods=["POST"])
def refund_via_stripe(credit_note: str | None = None, amount: str | float | None = None) -> dict:
	"""Refund a credit note to the card the original invoice was paid with, and book it: at most
	what the credit note pays back and what is left of the payment."""
	invoice = load_invoice(credit_note, "read")
	if amount not in (None, ""):
		try:
			amount = float(amount)
		except (TypeError, ValueError):
			frappe.throw(_("amount must be a number."), exc=InvalidArgument, title=_("Invalid Amount"))
	return refunds.refund(invoice, amount)


@frappe.whitelist(methods=["POST"])
def sync_stripe(since: str | None = None) -> dict:
	"""Book whatever moved at Stripe since a date (YYYY-MM-DD) that is not booked yet: payments,
	fees, refunds, disputes and payouts. For those who may make Payment and Journal Entries."""
	for doctype in ("Payment Entry", "Journal Entry"):
		if not frappe.has_permission(doctype, "create"):
			frappe.throw(
				_("Only a user who may create Payment Entries and Journal Entries can sync from Stripe."),
				exc=frappe.PermissionError,
				title=_("Not Permitted"),
			)
	try:
		day = datetime.date.fromisoformat(str(since or "").strip())
	except ValueError:
		day = None
	if day is None:
		frappe.throw(
			_("since must be a date such as 2026-01-31."), exc=InvalidArgument, title=_("Invalid Date")
		)
	if not books_company():
		frappe.throw(
			_("Set the Stripe, Stripe fee and Stripe payout accounts in Invoice Share Settings first."),
			exc=PaymentsNotConfigured,
			title=_("Stripe Accounts Missing"),
		)
	start = datetime.datetime.combine(day, datetime.time.min, tzinfo=ZoneInfo(get_system_timezone()))
	booked = sync.sync_since(int(start.timestamp()))
	return {"booked": len(booked), "balance_transactions": booked}


@frappe.whitelist(allow_guest=True, methods=["POST"])
def stripe_webhook():
	"""Stripe's events: 200 for a correctly signed event, 400 otherwise. The signature is checked
	first: Stripe's own deliveries never count against a limit, only badly signed posts do."""
	from invoice_share.payments import webhook

	return webhook.handle(
		frappe.request.get_data(),
		frappe.get_request_header("Stripe-Signature"),
		rate_limited=lambda: (
			guest.counted_once() and guest.rate_limit_exceeded("api:stripe_webhook", guest.WEBHOOK_LIMIT)
		),
	)


# Argument parsing


def _flag(value, name: str) -> bool:
	parsed = params.parse_flag(value)
	if parsed is None:
		frappe.throw(_("{0} must be 0 or 1.").format(name), exc=InvalidArgument, title=_("Invalid Argument"))
	return parsed


def _recipients(value) -> list[str]:
	if value in (None, "", []):
		return []
	if isinstance(value, str):
		value = (
			frappe.parse_json(value) if value.strip().startswith("[") else value.replace(";", ",").split(",")
		)
	if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
		frappe.throw(
			_("recipients must be a list of email addresses."),
			exc=InvalidArgument,
			title=_("Invalid Argument"),
		)
	emails = [v.strip() for v in value if v.strip()]
	for email in emails:
		if not validate_email_address(email):
			frappe.throw(
				_("{0} is not a valid email address.").format(frappe.bold(email)),
				exc=InvalidArgument,
				title=_("Invalid Argument"),
			)
	return emails
