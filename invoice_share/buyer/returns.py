"""Where Stripe sends the buyer back (`/invoice-paid?session_id=…`): the session reconciled, so a
late webhook loses nothing, and a receipt once paid."""

import frappe
from frappe.utils import fmt_money, now_datetime

from invoice_share.buyer import summary
from invoice_share.core import wording
from invoice_share.payments.checkout import LIVE_STATUSES
from invoice_share.payments.gateway import PAYMENT_LINK
from invoice_share.payments.recording import reconcile


def _long_date(value) -> str:
	"""A date written out in the buyer's locale ("22 November 2026")."""
	locale = wording.buyer_locale(summary.accepted_languages(), frappe.local.lang)
	return wording.long_date(frappe.utils.getdate(value), locale)


def return_page_context(session_id: object, cancelled: bool) -> dict | None:
	"""Where Stripe sends the buyer back; reconciles the session so a late webhook loses nothing."""
	if not isinstance(session_id, str) or not session_id.startswith("cs_") or len(session_id) > 255:
		return None
	name = frappe.db.get_value(PAYMENT_LINK, {"checkout_session_id": session_id}, "name")
	if not name:
		return None
	status = frappe.db.get_value(PAYMENT_LINK, name, "status")
	# Open, a payment on its way, or one ERPNext refused before: Stripe is asked again (and a
	# refused booking retried, once its cause is fixed).
	if status in LIVE_STATUSES and not cancelled:
		status = reconcile(session_id) or status
	link = frappe.db.get_value(
		PAYMENT_LINK,
		name,
		[
			"sales_invoice",
			"amount",
			"received_amount",
			"currency",
			"payment_url",
			"status",
			"expires_on",
			"paid_on",
			"payment_intent",
			"payment_entry",
		],
		as_dict=True,
	)
	company = frappe.db.get_value("Sales Invoice", link.sales_invoice, "company")
	paid = link.status == "Paid"
	return {
		"status": link.status,
		"invoice": link.sales_invoice,
		"seller": frappe.get_cached_value("Company", company, "company_name") or company,
		"amount": fmt_money(link.received_amount if paid else link.amount, currency=link.currency),
		# A receipt once paid: when, and the reference to quote (Stripe's payment).
		"paid_on": _long_date(link.paid_on) if paid and link.paid_on else None,
		"reference": (link.payment_intent or link.payment_entry) if paid else None,
		"retry_url": link.payment_url
		if link.status == "Open" and link.expires_on and link.expires_on > now_datetime()
		else None,
		"cancelled": cancelled,
	}
