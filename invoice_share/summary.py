"""What a guest may see of an invoice: the JSON summary and the buyer page's context.

Only the fields listed in the SPEC leave the server; nothing about the customer, the items'
costs or the seller's accounts does.
"""

import frappe
from frappe.utils import flt, fmt_money, formatdate

from invoice_share import status as buyer_status
from invoice_share.payments.settlement import amount_due
from invoice_share.utils import html_to_text


def payment_status(invoice) -> str:
	"""The buyer's word for ERPNext's own stored status of the invoice."""
	return buyer_status.buyer_status(
		docstatus=invoice.docstatus,
		is_return=bool(invoice.is_return),
		erpnext_status=invoice.status,
		settled=flt(invoice.outstanding_amount, invoice.precision("outstanding_amount")) <= 0,
	)


def invoice_total(invoice) -> float:
	"""What the invoice asks for: the rounded total unless rounding is off."""
	if not invoice.get("disable_rounded_total") and invoice.get("rounded_total"):
		return flt(invoice.rounded_total)
	return flt(invoice.grand_total)


def seller_name(invoice) -> str:
	return frappe.get_cached_value("Company", invoice.company, "company_name") or invoice.company


def guest_summary(invoice) -> dict:
	return {
		"seller": seller_name(invoice),
		"invoice": invoice.name,
		"posting_date": str(invoice.posting_date),
		"due_date": str(invoice.due_date) if invoice.due_date else None,
		"currency": invoice.currency,
		"grand_total": invoice_total(invoice),
		# In the invoice's currency, as ERPNext would take it today (not the receivable account's).
		"outstanding_amount": amount_due(invoice),
		"status": payment_status(invoice),
		"is_credit_note": bool(invoice.is_return),
	}


def seller_address_lines(invoice) -> list[str]:
	display = invoice.get("company_address_display")
	if not display:
		from erpnext.setup.doctype.company.company import get_default_company_address

		address = invoice.get("company_address") or get_default_company_address(invoice.company)
		if address:
			from frappe.contacts.doctype.address.address import get_address_display

			display = get_address_display(address)
	if not display:
		return []
	text = html_to_text(display.replace("<br>", "\n").replace("<br/>", "\n").replace("<br />", "\n"))
	return [line.strip() for line in text.splitlines() if line.strip()]


def public_logo(invoice) -> str | None:
	"""The company logo, only when it is a public file (a guest cannot load private ones)."""
	logo = frappe.get_cached_value("Company", invoice.company, "company_logo")
	return logo if logo and logo.startswith("/files/") else None


def page_context(invoice, *, show_items: bool) -> dict:
	def money(value):
		return fmt_money(value, currency=invoice.currency)

	state = payment_status(invoice)
	due = amount_due(invoice)
	taxes = [
		{"description": row.description, "amount": money(row.tax_amount_after_discount_amount)}
		for row in invoice.get("taxes") or []
		if flt(row.tax_amount_after_discount_amount)
	]
	items = (
		[
			{
				"item_name": row.item_name,
				"description": html_to_text(row.description) if row.description != row.item_name else "",
				"qty": frappe.format(row.qty, {"fieldtype": "Float"}),
				"uom": row.uom,
				"rate": money(row.rate),
				"amount": money(row.amount),
			}
			for row in invoice.items
		]
		if show_items
		else []
	)
	return {
		"seller": seller_name(invoice),
		"seller_address": seller_address_lines(invoice),
		"logo": public_logo(invoice),
		"invoice": invoice.name,
		"posting_date": formatdate(invoice.posting_date),
		"due_date": formatdate(invoice.due_date) if invoice.due_date else None,
		"status": state,
		"currency": invoice.currency,
		"is_credit_note": bool(invoice.is_return),
		"net_total": money(invoice.net_total),
		"discount": money(invoice.discount_amount) if flt(invoice.discount_amount) else None,
		"taxes": taxes,
		"grand_total": money(invoice_total(invoice)),
		"outstanding": money(due),
		"is_paid": state == buyer_status.PAID,
		"is_payable": buyer_status.is_payable(state) and due > 0,
		"items": items,
	}
