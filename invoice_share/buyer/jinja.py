"""The Jinja methods of the link and of what the buyer sees, for Email Templates, Notifications,
Auto Repeat and Dunning texts and print formats (the app's own buyer print is written with them).
"""

import frappe
from frappe.model.document import Document

from invoice_share.buyer import qr, summary
from invoice_share.links import sharing
from invoice_share.payments.settlement import amount_due


def _name(doc) -> str | None:
	"""A Sales Invoice's name, from its name or the document (or its fields) as templates pass it."""
	return doc if isinstance(doc, str) else (doc or {}).get("name")


def invoice_share_url(doc, create: bool = True) -> str:
	"""Jinja method: the invoice's share link, for Email Templates, Notifications, Print Formats,
	Auto Repeat and Dunning texts: `{{ invoice_share_url(doc) }}` (or `invoice_share_url(name)`
	where the template sees the invoice's fields, as Email Templates do).

	The current link when there is one; otherwise (unless `create` is false) a new one is made for a
	user who may share the invoice. Empty for drafts, cancelled invoices and users who may not read it.
	"""
	name = _name(doc)
	if frappe.flags.invoice_share_hide_share_link or not name or not frappe.db.exists("Sales Invoice", name):
		return ""  # (a PDF served through a download link of someone who may not share)
	invoice = frappe.get_doc("Sales Invoice", name)
	# The buyer's own PDF is printed for a guest, who holds the link already.
	if invoice.docstatus != 1 or not (
		frappe.flags.ignore_print_permissions or invoice.has_permission("read")
	):
		return ""
	row = sharing.get_active_link(name)
	token = sharing.current_token(row)
	if token:
		return sharing.share_url(token)
	if not create or frappe.session.user == "Guest" or not invoice.has_permission("write"):
		return ""
	issued = sharing.issue_link(invoice, regenerate=bool(row))
	frappe.local.flags.commit = True  # templates are also rendered in GET requests (print view)
	return sharing.share_url(issued.token)


def invoice_share_qr(doc, url: str | None = None) -> str:
	"""Jinja method: a QR code (PNG `data:` URI) of the invoice's share link, or of `url`."""
	url = url or invoice_share_url(doc)
	return qr.qr_png_data_uri(url) if url else ""


def invoice_share_epc_qr(doc, account=None) -> str:
	"""Jinja method: an EPC (GiroCode) QR for a SEPA transfer of what is due, when the invoice is
	in EUR, something is due and the company's bank account (`account`, else looked up) has an
	IBAN; else empty."""
	invoice = doc if isinstance(doc, Document) else frappe.get_doc("Sales Invoice", _name(doc))
	if invoice.currency != "EUR" or invoice.docstatus != 1 or invoice.is_return:
		return ""
	due = amount_due(invoice)
	account = account or summary.company_bank_account(invoice.company)
	if due <= 0 or not account or not account.iban or not qr.is_valid_iban(account.iban):
		return ""
	company = frappe.get_cached_value("Company", invoice.company, "company_name") or invoice.company
	try:
		return qr.epc_png_data_uri(
			name=account.account_name or company,
			iban=account.iban,
			bic=account.swift or None,
			amount=due,
			currency="EUR",
			text=invoice.name,
		)
	except ValueError:  # an amount or name the EPC format cannot carry
		return ""


def invoice_share_print(doc) -> dict:
	"""Jinja method for print formats: what the buyer page shows of `doc`, in the print's language.

	{% set p = invoice_share_print(doc) %} … {{ p.amount_due | e }}
	"""
	context = summary.page_context(doc, show_items=True)
	context["bank_account"] = summary.company_bank_account(doc.company) if context["is_payable"] else None
	# The link the invoice is shared with (a PDF never makes one: the link is in the PDF's cache key).
	# None in a PDF served through a download link whose asker may not share the invoice.
	show_link = context["is_payable"] and not frappe.flags.invoice_share_hide_share_link
	context["share_url"] = invoice_share_url(doc, create=False) if show_link else ""
	context["share_qr"] = invoice_share_qr(doc, context["share_url"]) if context["share_url"] else ""
	context["epc_qr"] = invoice_share_epc_qr(doc, context["bank_account"]) if context["bank_account"] else ""
	return context
