"""The buyer's print: the print format this app ships, and the Jinja method it is written with.

"Invoice Share Customer Invoice" is what a customer needs on paper (the seller, who is billed,
the items, totals, what was paid, what is due and how to pay), without ERPNext's internal fields.
It is the buyer PDF's default; Invoice Share Settings or the Sales Invoice's own default print
format choose another.
"""

import functools
import os

import frappe

PRINT_FORMAT = "Invoice Share Customer Invoice"
TEMPLATE = os.path.join(
	os.path.dirname(__file__),
	"invoice_share",
	"print_format",
	"invoice_share_customer_invoice",
	"invoice_share_customer_invoice.html",
)


@functools.cache
def template_version() -> str:
	"""When this app's print template last changed (it is read from disk at each render); part of
	the PDF cache key. Once per process: an upgrade restarts the workers."""
	return str(os.stat(TEMPLATE).st_mtime_ns)


def invoice_share_print(doc) -> dict:
	"""Jinja method for print formats: what the buyer page shows of `doc`, in the print's language.

	{% set p = invoice_share_print(doc) %} … {{ p.amount_due | e }}
	"""
	from invoice_share import summary

	context = summary.page_context(doc, show_items=True)
	context["bank_account"] = summary.company_bank_account(doc.company) if context["is_payable"] else None
	return context
