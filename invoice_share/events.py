"""Sales Invoice document events (hooks.doc_events)."""

import frappe
from frappe import _

from invoice_share.sharing import revoke_links


def on_sales_invoice_cancel(doc, method=None):
	"""A cancelled invoice must not stay reachable or payable."""
	revoke_links(doc.name, reason=_("Revoked the public share link because the invoice was cancelled."))

	from invoice_share.payments.checkout import cancel_open_payment_links

	cancel_open_payment_links(doc.name)


def on_sales_invoice_trash(doc, method=None):
	"""Deleting a draft or cancelled invoice leaves no rows of ours behind."""
	for doctype in ("Invoice Payment Link", "Invoice Share Link"):
		frappe.db.delete(doctype, {"sales_invoice": doc.name})
