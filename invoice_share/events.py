"""Document events (hooks.doc_events) and permission hooks."""

import frappe
from frappe import _

from invoice_share.links.sharing import revoke_links


def on_sales_invoice_cancel(doc, method=None):
	"""A cancelled invoice must not stay reachable or payable: its sessions close after commit."""
	revoke_links(doc.name, reason=_("Revoked the public share link because the invoice was cancelled."))

	from invoice_share.payments.checkout import settle_after_commit

	settle_after_commit(doc.name)


def on_sales_invoice_submit(doc, method=None):
	"""A credit note lowers what its invoice owes: the invoice's sessions for the old amount close."""
	if doc.is_return and doc.return_against:
		_settle(doc.return_against)


def on_payment_entry_submit(doc, method=None):
	for row in doc.get("references") or []:
		if row.reference_doctype == "Sales Invoice" and row.reference_name:
			_settle(row.reference_name)


def on_journal_entry_submit(doc, method=None):
	for row in doc.get("accounts") or []:
		if row.reference_type == "Sales Invoice" and row.reference_name:
			_settle(row.reference_name)


def _settle(sales_invoice: str) -> None:
	"""Once paid another way (in part or in full), the invoice's open sessions ask for too much."""
	from invoice_share.payments.checkout import settle_after_commit

	settle_after_commit(sales_invoice)


def on_sales_invoice_trash(doc, method=None):
	"""Deleting a draft or cancelled invoice leaves no rows of ours behind."""
	for doctype in ("Invoice Payment Link", "Invoice Share Link"):
		frappe.db.delete(doctype, {"sales_invoice": doc.name})


def link_has_permission(doc, ptype=None, user=None, debug=False):
	"""A share or payment link row is as readable as its invoice, and no more."""
	if ptype not in (None, "read", "select", "report", "export", "print"):
		return None
	return frappe.has_permission("Sales Invoice", "read", doc.sales_invoice, user=user)


def share_link_query_conditions(user=None, doctype=None) -> str:
	return _link_query_conditions("Invoice Share Link", user)


def payment_link_query_conditions(user=None, doctype=None) -> str:
	return _link_query_conditions("Invoice Payment Link", user)


def _link_query_conditions(doctype: str, user: str | None) -> str:
	"""List, report and export of link rows show only rows whose invoice the user may read: the
	Sales Invoice's own conditions (role permissions, User Permissions on customer or company,
	other apps' permission_query_conditions), as a subquery on the invoice."""
	from frappe.model.db_query import DatabaseQuery

	user = user or frappe.session.user
	if user == "Administrator":
		return ""
	if not frappe.has_permission("Sales Invoice", "read", user=user):
		return "1=0"
	conditions = DatabaseQuery("Sales Invoice", user=user).build_match_conditions()
	if not conditions:
		return ""
	return (
		f"`tab{doctype}`.`sales_invoice` in "
		f"(select `tabSales Invoice`.`name` from `tabSales Invoice` where {conditions})"
	)
