"""The Sales Invoice as every capability takes it: loaded with a permission check, refused when it
is a draft or cancelled, locked for a short step, and a line on its timeline."""

from contextlib import contextmanager

import frappe
from frappe import _

from invoice_share.core.exceptions import InvalidArgument, InvoiceStateError

# What a guest answer needs of the invoice (the PDF's key, the page's cache key): enough to answer
# from a cache without loading the document.
INVOICE_FIELDS = (
	"name",
	"modified",
	"docstatus",
	"outstanding_amount",
	"status",
	"letter_head",
	"language",
	"company",
	"customer",
)


def load_invoice(name: object, ptype: str):
	"""The Sales Invoice `name`, after checking `ptype` permission on it (403 otherwise)."""
	if not isinstance(name, str) or not name.strip():
		frappe.throw(
			_("Give the name of a Sales Invoice."), exc=InvalidArgument, title=_("Missing Sales Invoice")
		)
	if not frappe.db.exists("Sales Invoice", name):
		frappe.throw(
			_("Sales Invoice {0} does not exist.").format(frappe.bold(name)),
			exc=frappe.DoesNotExistError,
			title=_("Not Found"),
		)
	invoice = frappe.get_doc("Sales Invoice", name)
	invoice.check_permission(ptype)
	return invoice


def ensure_submitted(invoice):
	"""Drafts and cancelled invoices get a clear 409 and nothing changes."""
	if invoice.docstatus == 0:
		frappe.throw(
			_("Sales Invoice {0} is a draft. Submit it first.").format(frappe.bold(invoice.name)),
			exc=InvoiceStateError,
			title=_("Invoice Not Submitted"),
		)
	if invoice.docstatus == 2:
		frappe.throw(
			_("Sales Invoice {0} is cancelled.").format(frappe.bold(invoice.name)),
			exc=InvoiceStateError,
			title=_("Invoice Cancelled"),
		)


def lock_invoice(name: str) -> None:
	"""Serialise work on one invoice (sharing, checkout) with a row lock held until commit."""
	frappe.db.get_value("Sales Invoice", name, "name", for_update=True)


def add_timeline_line(invoice_name: str, text: str) -> None:
	"""An "Info" line on the invoice's timeline, as the current user (Guest for buyers)."""
	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Info",
			"reference_doctype": "Sales Invoice",
			"reference_name": invoice_name,
			"content": text,
		}
	).insert(ignore_permissions=True)


@contextmanager
def posting_for_guests():
	"""Let a guest's request (Stripe's webhook, the buyer's return page) post vouchers: as the
	system, since a Guest cannot own documents. A signed-in user (a refund or a sync from the
	desk) posts as themselves; vouchers are made with ignore_permissions either way. Switching
	the user of a signed-in request would end their session (`frappe.set_user` replaces it)."""
	user = frappe.session.user
	if user != "Guest":
		yield
		return
	frappe.set_user("Administrator")
	try:
		yield
	finally:
		frappe.set_user(user)
