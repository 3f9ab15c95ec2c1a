"""Stripe Checkout for an invoice: make or reuse a session, expire, and report.

The amount is always the invoice's outstanding amount read on the server under a row lock,
in Stripe's minor units for the invoice's currency. The Stripe key goes into a client made
for the call (`stripe_api.StripeGateway`), never into the `stripe` module's globals.
"""

import time

import frappe
from frappe import _
from frappe.query_builder import DocType
from frappe.utils import add_to_date, cint, flt, fmt_money, get_url, now_datetime

from invoice_share.exceptions import InvoiceStateError, PaymentProviderError, PaymentsNotConfigured
from invoice_share.payments import amounts
from invoice_share.payments.stripe_api import StripeGateway, StripeGatewayError, mask_secret
from invoice_share.routes import RETURN_ROUTE
from invoice_share.utils import ensure_submitted, from_timestamp, get_settings, iso

PAYMENT_LINK = "Invoice Payment Link"
# An open session about to expire is not handed out again.
REUSE_MARGIN_MINUTES = 10


def _stripe_secret_key() -> str | None:
	"""The secret key when Stripe is enabled and completely set up, else None."""
	settings = get_settings()
	if settings.stripe_enabled and settings.stripe_mode_of_payment and settings.stripe_account:
		return settings.get_password("stripe_secret_key", raise_exception=False) or None
	return None


def stripe_ready() -> bool:
	return bool(_stripe_secret_key())


def get_gateway() -> StripeGateway:
	secret = _stripe_secret_key()
	if not secret:
		frappe.throw(
			_("Online payment is not set up: enable Stripe in Invoice Share Settings."),
			exc=PaymentsNotConfigured,
			title=_("Stripe Not Enabled"),
		)
	return StripeGateway(secret, get_settings().stripe_api_base or None)


def ensure_payable(invoice) -> None:
	ensure_submitted(invoice)
	if invoice.is_return:
		frappe.throw(
			_("{0} is a credit note; credit notes get no payment link.").format(frappe.bold(invoice.name)),
			exc=InvoiceStateError,
			title=_("Credit Note"),
		)
	if flt(invoice.outstanding_amount, invoice.precision("outstanding_amount")) <= 0:
		frappe.throw(
			_("Sales Invoice {0} has nothing outstanding.").format(frappe.bold(invoice.name)),
			exc=InvoiceStateError,
			title=_("Nothing to Pay"),
		)


def checkout_for(invoice, *, share_link: str | None = None):
	"""An Open Invoice Payment Link for the current outstanding amount: reused, or made now."""
	# Lock the invoice, then read what is owed: a payment being recorded cannot slip in between.
	locked = frappe.db.get_value(
		"Sales Invoice", invoice.name, ["outstanding_amount", "docstatus"], as_dict=True, for_update=True
	)
	invoice.outstanding_amount, invoice.docstatus = locked.outstanding_amount, locked.docstatus
	ensure_payable(invoice)
	gateway = get_gateway()
	amount = flt(invoice.outstanding_amount, invoice.precision("outstanding_amount"))
	currency = invoice.currency
	minor = _minor_units(amount, currency)

	reusable = None
	for link in _open_links(invoice.name):
		fresh = link.expires_on and link.expires_on > add_to_date(
			now_datetime(), minutes=REUSE_MARGIN_MINUTES
		)
		same = link.currency == currency and _minor_units(link.amount, link.currency) == minor
		if reusable is None and fresh and same:
			reusable = link
		else:
			# A session for another amount (or about to lapse) must not be paid any more.
			_expire_quietly(gateway, link.name, link.checkout_session_id, "Expired")
	if reusable:
		return frappe.get_doc(PAYMENT_LINK, reusable.name)

	link = frappe.get_doc(
		{
			"doctype": PAYMENT_LINK,
			"sales_invoice": invoice.name,
			"share_link": share_link,
			"provider": "Stripe",
			"status": "Open",
			"amount": amount,
			"currency": currency,
		}
	).insert(ignore_permissions=True)

	lifetime = cint(get_settings().checkout_session_lifetime) or 60
	return_url = get_url(f"/{RETURN_ROUTE}?session_id={{CHECKOUT_SESSION_ID}}")
	try:
		session = gateway.create_checkout_session(
			amount_minor=minor,
			currency=currency,
			product_name=_("Invoice {0}").format(invoice.name),
			description=_("Invoice {0} from {1}").format(invoice.name, invoice.company),
			success_url=return_url,
			cancel_url=f"{return_url}&cancelled=1",
			expires_at=int(time.time()) + lifetime * 60,
			metadata={
				"site": frappe.local.site,
				"sales_invoice": invoice.name,
				"payment_link": link.name,
			},
			# A retried call (ours or stripe-python's) for this link cannot make a second session.
			idempotency_key=f"invoice-share:{frappe.local.site}:{link.name}",
			client_reference_id=link.name,
			customer_email=invoice.get("contact_email") or None,
		)
	except StripeGatewayError as exc:
		frappe.log_error(
			title="Invoice Share: Stripe refused a checkout session",
			message=mask_secret(str(exc)),
			defer_insert=True,
		)
		frappe.throw(
			_("Stripe could not start the payment: {0}").format(exc.user_message),
			exc=PaymentProviderError,
			title=_("Payment Provider Error"),
		)

	link.db_set(
		{
			"checkout_session_id": session["id"],
			"payment_url": session["url"],
			"expires_on": from_timestamp(session["expires_at"]),
		}
	)
	return link


def _open_links(sales_invoice: str) -> list[frappe._dict]:
	"""The invoice's Open payment links, locked until commit."""
	link = DocType(PAYMENT_LINK)
	return (
		frappe.qb.from_(link)
		.select(link.name, link.amount, link.currency, link.expires_on, link.checkout_session_id)
		.where((link.sales_invoice == sales_invoice) & (link.status == "Open"))
		.orderby(link.creation)
		.for_update()
		.run(as_dict=True)
	)


def payment_link_details(link) -> dict:
	"""The Lago-style answer of `create_payment_link`."""
	return {
		"invoice_payment_details": {
			"sales_invoice": link.sales_invoice,
			"customer": frappe.db.get_value("Sales Invoice", link.sales_invoice, "customer"),
			"payment_provider": "stripe",
			"payment_url": link.payment_url,
			"amount": flt(link.amount),
			"currency": link.currency,
			"expires_at": iso(link.expires_on),
		}
	}


def _minor_units(amount, currency) -> int:
	try:
		amounts.check_minimum(amount, currency)
		return amounts.to_minor_units(amount, currency)
	except amounts.AmountError as exc:
		if exc.message_template == amounts.MESSAGE_BELOW_MINIMUM:
			message = _("Stripe cannot charge less than {0} {1}.").format(*exc.args_for_message)
		else:
			message = _("Stripe cannot charge {0} {1}.").format(amount, currency)
		frappe.throw(message, exc=InvoiceStateError, title=_("Amount Not Payable Online"))


def _expire_quietly(gateway: StripeGateway, name: str, session_id: str | None, status: str) -> None:
	"""Expire the session at Stripe (a failure is logged, not fatal) and mark our link."""
	if session_id:
		try:
			gateway.expire_checkout_session(session_id)
		except StripeGatewayError as exc:
			frappe.log_error(
				title="Invoice Share: could not expire a checkout session",
				message=mask_secret(f"{session_id}: {exc}"),
				reference_doctype=PAYMENT_LINK,
				reference_name=name,
			)
	frappe.db.set_value(PAYMENT_LINK, name, "status", status)


def cancel_open_payment_links(sales_invoice: str) -> int:
	"""Expire the invoice's open sessions at Stripe and mark them Cancelled (invoice cancelled)."""
	open_links = _open_links(sales_invoice)
	if not open_links:
		return 0
	try:
		gateway = get_gateway()
	except PaymentsNotConfigured:
		frappe.clear_last_message()
		gateway = None
	for link in open_links:
		if gateway:
			_expire_quietly(gateway, link.name, link.checkout_session_id, "Cancelled")
		else:
			frappe.db.set_value(PAYMENT_LINK, link.name, "status", "Cancelled")
	return len(open_links)


def latest_payment_status(sales_invoice: str) -> str | None:
	statuses = frappe.get_all(
		PAYMENT_LINK,
		filters={"sales_invoice": sales_invoice},
		pluck="status",
		order_by="creation desc",
		limit=1,
	)
	return statuses[0] if statuses else None


def return_page_context(session_id: object, cancelled: bool) -> dict | None:
	"""Where Stripe sends the buyer back; reconciles the session so a late webhook loses nothing."""
	if not isinstance(session_id, str) or not session_id.startswith("cs_") or len(session_id) > 255:
		return None
	name = frappe.db.get_value(PAYMENT_LINK, {"checkout_session_id": session_id}, "name")
	if not name:
		return None
	status = frappe.db.get_value(PAYMENT_LINK, name, "status")
	if status == "Open" and not cancelled:
		from invoice_share.payments.recording import reconcile

		status = reconcile(session_id) or status
	link = frappe.db.get_value(
		PAYMENT_LINK,
		name,
		["sales_invoice", "amount", "currency", "payment_url", "status", "expires_on"],
		as_dict=True,
	)
	company = frappe.db.get_value("Sales Invoice", link.sales_invoice, "company")
	return {
		"status": link.status,
		"invoice": link.sales_invoice,
		"seller": frappe.get_cached_value("Company", company, "company_name") or company,
		"amount": fmt_money(link.amount, currency=link.currency),
		"retry_url": link.payment_url
		if link.status == "Open" and link.expires_on and link.expires_on > now_datetime()
		else None,
		"cancelled": cancelled,
	}
