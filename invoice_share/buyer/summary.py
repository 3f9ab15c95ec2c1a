"""What a guest may see of an invoice: the JSON summary and the buyer page's context.

Only the fields listed in the SPEC leave the server; nothing about the customer, the items'
costs or the seller's accounts does.
"""

import re

import frappe
from frappe import _
from frappe.query_builder import DocType
from frappe.query_builder.functions import Sum
from frappe.utils import flt, fmt_money

from invoice_share.buyer import status as buyer_status
from invoice_share.core import wording
from invoice_share.core.formats import html_to_text
from invoice_share.core.settings import guest_settings, stripe_ready
from invoice_share.payments.settlement import amount_due


def payment_status(invoice) -> str:
	"""The buyer's word for ERPNext's own stored status of the invoice."""
	return buyer_status.buyer_status(
		docstatus=invoice.docstatus,
		is_return=bool(invoice.is_return),
		erpnext_status=invoice.status,
		settled=flt(invoice.outstanding_amount, invoice.precision("outstanding_amount")) <= 0,
	)


def can_pay_online(invoice) -> bool:
	"""Whether the buyer can pay this invoice online now (Stripe set up, something to pay)."""
	return bool(
		invoice.docstatus == 1
		and buyer_status.is_payable(payment_status(invoice))
		and stripe_ready()
		and amount_due(invoice) > 0
	)


def invoice_total(invoice) -> float:
	"""What the invoice asks for: the rounded total unless rounding is off."""
	if not invoice.get("disable_rounded_total") and invoice.get("rounded_total"):
		return flt(invoice.rounded_total)
	return flt(invoice.grand_total)


# Guest answers are made once per version of what they show and kept in Redis for a few minutes:
# the key holds the invoice's version (`modified`, outstanding amount, status), the day (what is
# due depends on it), the settings and the reader's language; what lies outside the invoice (the
# company's address, its bank account) shows within CACHE_SECONDS of a change.
CACHE_SECONDS = 300


def cached_answer(kind: str, invoice_fields, build, *extra) -> str:
	"""The text `build()` makes for this version of the invoice, from Redis when it is there."""
	import hashlib

	from frappe.utils import nowdate

	parts = (
		kind,
		invoice_fields.name,
		str(invoice_fields.modified),
		str(invoice_fields.docstatus),
		str(flt(invoice_fields.outstanding_amount)),
		str(invoice_fields.status),
		nowdate(),
		guest_settings().modified,
		*extra,
	)
	key = frappe.cache.make_key(
		"invoice_share:answer:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
	)
	value = frappe.cache.get(key)
	if value is not None:
		return value.decode()
	value = build()
	frappe.cache.set(key, value, ex=CACHE_SECONDS)
	return value


def summary_json(invoice_fields) -> str:
	"""The guest summary as JSON, for the invoice a token resolved to (`pdf.INVOICE_FIELDS`)."""
	import json

	return cached_answer(
		"summary",
		invoice_fields,
		lambda: json.dumps(guest_summary(frappe.get_doc("Sales Invoice", invoice_fields.name)), default=str),
	)


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


def text_lines(value: str | None) -> list[str]:
	"""HTML (an address as ERPNext displays it, the terms) as lines of plain text: breaks,
	paragraphs and list items kept."""
	if not value:
		return []
	text = html_to_text(_LINE_BREAKS.sub("\n", value))
	return [line.strip() for line in text.splitlines() if line.strip()]


_LINE_BREAKS = re.compile(r"<br\s*/?>|</p>|</div>|</li>|</h\d>", re.IGNORECASE)


def seller_address_lines(invoice) -> list[str]:
	display = invoice.get("company_address_display")
	if not display:
		from erpnext.setup.doctype.company.company import get_default_company_address

		address = invoice.get("company_address") or get_default_company_address(invoice.company)
		if address:
			from frappe.contacts.doctype.address.address import get_address_display

			display = get_address_display(address)
	return text_lines(display)


def public_logo(invoice) -> str | None:
	"""The company logo, only when it is a public file (a guest cannot load private ones)."""
	logo = frappe.get_cached_value("Company", invoice.company, "company_logo")
	return logo if logo and logo.startswith("/files/") else None


def seller_details(invoice) -> dict:
	"""Who is asking: what the company prints on its invoices anyway."""
	company = frappe.get_cached_value(
		"Company", invoice.company, ["company_name", "tax_id", "email", "phone_no", "website"], as_dict=True
	)
	return {
		"name": company.company_name or invoice.company,
		"address": seller_address_lines(invoice),
		"tax_id": invoice.get("company_tax_id") or company.tax_id,
		"email": company.email,
		"phone": company.phone_no,
		"website": company.website if (company.website or "").startswith(("https://", "http://")) else None,
		"logo": public_logo(invoice),
	}


def bill_to(invoice) -> dict:
	"""Who is billed: the customer as printed on the invoice (name, billing address, tax id)."""
	return {
		"name": invoice.customer_name or invoice.customer,
		"address": text_lines(invoice.get("address_display")),
		"tax_id": invoice.get("tax_id"),
	}


def payments_so_far(invoice) -> list[dict]:
	"""What was paid against the invoice, and when: ERPNext's payment ledger, one line per voucher
	(a payment, a journal entry or a credit note), in the invoice's currency."""
	ple = DocType("Payment Ledger Entry")
	rows = (
		frappe.qb.from_(ple)
		.select(
			ple.voucher_type,
			ple.voucher_no,
			ple.posting_date,
			ple.account_currency,
			Sum(ple.amount).as_("amount"),
			Sum(ple.amount_in_account_currency).as_("amount_in_account_currency"),
		)
		.where(
			(ple.against_voucher_type == "Sales Invoice")
			& (ple.against_voucher_no == invoice.name)
			& (ple.voucher_no != invoice.name)
			& (ple.delinked == 0)
		)
		.groupby(ple.voucher_type, ple.voucher_no, ple.posting_date, ple.account_currency)
		.orderby(ple.posting_date)
		.run(as_dict=True)
	)
	company_currency = frappe.get_cached_value("Company", invoice.company, "default_currency")
	payments = []
	for row in rows:
		if row.account_currency == invoice.currency:
			amount = -flt(row.amount_in_account_currency)
		elif invoice.currency == company_currency:
			amount = -flt(row.amount)
		else:  # a receivable in a third currency: the company amount at the invoice's rate
			amount = -flt(row.amount) / (flt(invoice.conversion_rate) or 1)
		amount = flt(amount, invoice.precision("grand_total"))
		if amount:
			payments.append(
				{
					"date": row.posting_date,
					"is_credit_note": row.voucher_type == "Sales Invoice",
					"amount": amount,
				}
			)
	return payments


def payment_schedule(invoice) -> list[dict]:
	"""The invoice's payment terms, when it has more than one instalment."""
	rows = invoice.get("payment_schedule") or []
	if len(rows) < 2:
		return []
	return [
		{
			"due_date": row.due_date,
			"description": html_to_text(row.description or row.payment_term or ""),
			"amount": flt(row.payment_amount),
			"outstanding": flt(row.outstanding) if row.get("outstanding") is not None else None,
		}
		for row in rows
	]


def company_bank_account(company: str) -> dict | None:
	"""How to pay by bank transfer: the company's default bank account (else its first)."""
	account = frappe.get_all(
		"Bank Account",
		filters={"company": company, "is_company_account": 1, "disabled": 0},
		fields=["account_name", "bank", "bank_account_no", "iban", "branch_code"],
		order_by="is_default desc, creation asc",
		limit=1,
	)
	if not account or not (account[0].iban or account[0].bank_account_no):
		return None
	account = account[0]
	account.swift = frappe.get_cached_value("Bank", account.bank, "swift_number") if account.bank else None
	return account


def page_context(
	invoice, *, show_items: bool, accepted_languages: list[str] | None = None, today=None
) -> dict:
	"""Everything the buyer page (and the buyer's print) shows, as text ready to escape.

	Dates are written in the locale of `frappe.local.lang`, refined by the buyer's
	`accepted_languages` (from `Accept-Language`) where they name the same language.
	"""
	from frappe.utils import getdate

	locale = wording.buyer_locale(accepted_languages or [], frappe.local.lang)

	def money(value):
		return fmt_money(value, currency=invoice.currency)

	def date(value):
		return wording.long_date(getdate(value), locale) if value else None

	state = payment_status(invoice)
	due = amount_due(invoice)
	total = invoice_total(invoice)
	seller = seller_details(invoice)
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
				"uom": _(row.uom) if row.uom else "",
				"rate": money(row.rate),
				"amount": money(row.amount),
			}
			for row in invoice.items
		]
		if show_items
		else []
	)
	payable = buyer_status.is_payable(state) and due > 0
	payments = [
		{**payment, "date": date(payment["date"]), "amount": money(payment["amount"])}
		for payment in payments_so_far(invoice)
	]
	return {
		"seller": seller["name"],
		"seller_details": seller,
		"bill_to": bill_to(invoice),
		"invoice": invoice.name,
		"posting_date": date(invoice.posting_date),
		"due_date": date(invoice.due_date),
		"due_phrase": wording.due_phrase(getdate(invoice.due_date), getdate(today), _)
		if payable and invoice.due_date
		else "",
		"po_no": invoice.get("po_no"),
		"po_date": date(invoice.get("po_date")),
		"status": state,
		"currency": invoice.currency,
		"is_credit_note": bool(invoice.is_return),
		"return_against": invoice.get("return_against") if invoice.is_return else None,
		"net_total": money(invoice.net_total),
		"discount": money(invoice.discount_amount) if flt(invoice.discount_amount) else None,
		"taxes": taxes,
		"grand_total": money(total),
		"amount_due": money(due),
		# "Amount due" once: a separate line only when it is not simply the total.
		"due_differs": flt(due, invoice.precision("grand_total"))
		!= flt(total, invoice.precision("grand_total")),
		"payments": payments,
		"schedule": [
			{
				**row,
				"due_date": date(row["due_date"]),
				"amount": money(row["amount"]),
				"outstanding": money(row["outstanding"]) if row["outstanding"] is not None else None,
			}
			for row in payment_schedule(invoice)
		],
		"terms": text_lines(invoice.get("terms")),
		"is_paid": state == buyer_status.PAID,
		"is_payable": payable,
		"items": items,
	}


def accepted_languages() -> list[str]:
	"""The request's `Accept-Language` tags, best first."""
	request = getattr(frappe.local, "request", None)
	return [tag for tag, _quality in request.accept_languages] if request else []
