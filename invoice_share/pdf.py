"""The buyer's PDF: Frappe's own print (pdfkit + wkhtmltopdf) in the format chosen in settings.

Rendering takes seconds, so the bytes are cached in Redis under a key made of everything that
changes the output: the invoice's `modified`, docstatus, outstanding amount and status, the
print format, letter head and language, and when the print format, letter head, Print Settings,
the company and our settings last changed. A share or download link
queues a render after commit, so even the buyer's first download is a cache hit.
"""

import hashlib
import re
from dataclasses import dataclass

import frappe
from frappe.model.document import Document
from frappe.translate import print_language
from frappe.utils import flt, get_datetime
from werkzeug.wrappers import Response

from invoice_share.printing import PRINT_FORMAT, template_version
from invoice_share.utils import get_settings

CACHE_SECONDS = 7 * 24 * 3600
# What the cache key needs of the invoice: enough to answer a cache hit without loading it.
INVOICE_FIELDS = (
	"name",
	"modified",
	"docstatus",
	"outstanding_amount",
	"status",
	"letter_head",
	"language",
	"company",
)
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class PrintOptions:
	print_format: str
	letter_head: str | None
	language: str
	pdf_generator: str | None = None  # Frappe 16: "wkhtmltopdf" or "chrome"; Frappe 15 has only the first


def print_options(invoice) -> PrintOptions:
	"""What the buyer gets is fixed by Invoice Share Settings; the buyer cannot pick another."""
	settings = get_settings()
	print_format = (
		settings.print_format or frappe.get_meta("Sales Invoice").default_print_format or PRINT_FORMAT
	)
	return PrintOptions(
		print_format=print_format,
		letter_head=settings.letter_head or invoice.get("letter_head") or None,
		language=settings.print_language
		or invoice.get("language")
		or frappe.get_system_settings("language")
		or "en",
		pdf_generator=pdf_generator(print_format),
	)


def pdf_generator(print_format: str) -> str | None:
	"""The site's choice of PDF generator in Frappe 16: the print format's, else Print Settings'.

	None in Frappe 15, which has only wkhtmltopdf (and no such field).
	"""
	if not frappe.get_meta("Print Settings").has_field("pdf_generator"):
		return None
	chosen = None
	if frappe.db.exists("Print Format", print_format, cache=True):
		chosen = frappe.get_cached_value("Print Format", print_format, "pdf_generator")
	return chosen or frappe.get_cached_doc("Print Settings").get("pdf_generator") or "wkhtmltopdf"


def cache_key(invoice, options: PrintOptions) -> str:
	"""Everything that changes the printed PDF: the invoice and each document its print is made of."""
	parts = (
		invoice.name,
		str(get_datetime(invoice.modified)),  # a string after save, a datetime when read
		str(invoice.docstatus),
		str(flt(invoice.outstanding_amount)),
		str(invoice.status),
		options.print_format,
		options.letter_head or "",
		options.language,
		options.pdf_generator or "",
		*_print_versions(invoice, options),
	)
	digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
	return f"invoice_share:pdf:{digest}"


def _print_versions(invoice, options: PrintOptions) -> tuple[str, ...]:
	"""When each document the print depends on last changed (Redis-cached reads, no query on a hit).

	The print format (or, for "Standard", the Sales Invoice doctype itself; for ours, its template
	file, which an upgrade of this app changes), the letter head,
	Print Settings, the company (name, logo, details) and our own settings.
	"""
	company = invoice.get("company")
	return tuple(
		str(value)
		for value in (
			frappe.get_cached_value("Print Format", options.print_format, "modified")
			if frappe.db.exists("Print Format", options.print_format, cache=True)
			else frappe.get_meta("Sales Invoice").modified,
			template_version() if options.print_format == PRINT_FORMAT else "",
			frappe.get_cached_value("Letter Head", options.letter_head, "modified")
			if options.letter_head
			else "",
			frappe.get_cached_doc("Print Settings").modified,
			_company_version(company) if company else "",
			get_settings().modified,
		)
	)


# Company fields ERPNext rewrites as a matter of course (each submitted invoice updates the month's
# sales), which no print shows: they must not make every cached PDF of the company stale.
_COMPANY_STATISTICS = frozenset(
	{
		"modified",
		"modified_by",
		"total_monthly_sales",
		"sales_monthly_history",
		"transactions_annual_history",
		"_user_tags",
		"_comments",
		"_assign",
		"_liked_by",
	}
)


def _company_version(company: str) -> str:
	"""A digest of what the company is (name, logo, addresses, tax id, …), not of its statistics."""
	fields = frappe.get_cached_doc("Company", company).as_dict(no_default_fields=False)
	printable = {key: value for key, value in fields.items() if key not in _COMPANY_STATISTICS}
	return hashlib.sha256(frappe.as_json(printable).encode()).hexdigest()


def render(invoice, options: PrintOptions) -> bytes:
	"""Frappe's print of the invoice, without the caller's print permission (a guest has none)."""
	previous = frappe.flags.ignore_print_permissions
	frappe.flags.ignore_print_permissions = True
	# Frappe 16's get_print takes the generator from the request's form_dict when there is one:
	# a guest must not choose it (it is part of the cache key, chosen by the site).
	asked = frappe.local.form_dict.pop("pdf_generator", None)
	extra = {"pdf_generator": options.pdf_generator} if options.pdf_generator else {}
	try:
		with print_language(options.language):
			return frappe.get_print(
				"Sales Invoice",
				invoice.name,
				print_format=options.print_format,
				doc=invoice,
				as_pdf=True,
				letterhead=options.letter_head,
				**extra,
			)
	finally:
		frappe.flags.ignore_print_permissions = previous
		if asked is not None:
			frappe.local.form_dict.pdf_generator = asked


def get_pdf(invoice) -> tuple[bytes, bool]:
	"""The PDF bytes and whether they came from the cache.

	`invoice` is the Sales Invoice, or a dict of its INVOICE_FIELDS; the document is loaded only
	when the PDF has to be rendered.
	"""
	options = print_options(invoice)
	key = cache_key(invoice, options)
	data = frappe.cache.get_value(key, expires=True)
	if data is not None:
		return data, True
	if not isinstance(invoice, Document):
		invoice = frappe.get_doc("Sales Invoice", invoice.name)
	data = render(invoice, options)
	frappe.cache.set_value(key, data, expires_in_sec=CACHE_SECONDS)
	return data, False


def prerender(sales_invoice: str) -> None:
	"""Background job: render into the cache if the current version is not there yet."""
	if not frappe.db.exists("Sales Invoice", sales_invoice):
		return
	get_pdf(frappe.db.get_value("Sales Invoice", sales_invoice, INVOICE_FIELDS, as_dict=True))


def prerender_after_commit(sales_invoice: str) -> None:
	frappe.enqueue(
		"invoice_share.pdf.prerender",
		queue="short",
		sales_invoice=sales_invoice,
		job_id=f"invoice_share:prerender:{frappe.local.site}:{sales_invoice}",
		deduplicate=True,
		enqueue_after_commit=True,
	)


def filename(invoice_name: str) -> str:
	return f"{_UNSAFE_FILENAME.sub('-', invoice_name).strip('-') or 'invoice'}.pdf"


def pdf_response(data: bytes, name: str) -> Response:
	response = Response(data, status=200, mimetype="application/pdf")
	response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
	response.headers["Content-Length"] = str(len(data))
	return response
