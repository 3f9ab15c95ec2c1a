"""The buyer's PDF: Frappe's own print (pdfkit + wkhtmltopdf) in the format chosen in settings.

Rendering takes seconds, so the bytes are kept on disk, in the site's private files
(`private/invoice_share_pdfs`, see `pdfstore`), under a key made of everything that changes the
output: the invoice's `modified`, docstatus, outstanding amount and status, the print format,
letter head and language, and when the print format, letter head, Print Settings, the company
and our settings last changed. The store is bounded (`invoice_share_pdf_cache_mb` in the site
config, 1024 MB by default; least recently used PDFs go first) and PDFs unused for a week are
removed hourly, so PDFs never compete with Frappe's own Redis cache. A share or download link
queues a render after commit, so even the buyer's first download is a cache hit; a render runs
under a lock per key, so however many requests ask at once, each version is rendered once.
"""

import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass

import frappe
from frappe.model.document import Document
from frappe.translate import print_language
from frappe.utils import flt, get_datetime, nowdate
from werkzeug.wrappers import Response

from invoice_share.core.compat import pdf_generator, site_default_print_format
from invoice_share.core.documents import INVOICE_FIELDS
from invoice_share.core.exceptions import PdfBusy
from invoice_share.core.settings import guest_settings
from invoice_share.links.sharing import get_active_link
from invoice_share.notifications.notices import buyer_language
from invoice_share.pdf.print_format import PRINT_FORMAT, template_version
from invoice_share.pdf.storage import PdfStore

CACHE_SECONDS = 7 * 24 * 3600  # a stored PDF unused this long is removed by the hourly prune
STORE_FOLDER = "invoice_share_pdfs"
DEFAULT_STORE_MB = 1024
RENDER_LOCK_SECONDS = 180
RENDER_WAIT_SECONDS = 60
# What the cache key needs of the invoice: enough to answer a cache hit without loading it.
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class PrintOptions:
	print_format: str
	letter_head: str | None
	language: str
	pdf_generator: str | None = None  # Frappe 16: "wkhtmltopdf" or "chrome"; Frappe 15 has only the first


def print_options(invoice) -> PrintOptions:
	"""What the buyer gets is fixed by Invoice Share Settings; the buyer cannot pick another."""
	settings = guest_settings()
	print_format = settings.print_format or site_default_print_format() or PRINT_FORMAT
	return PrintOptions(
		print_format=print_format,
		letter_head=settings.letter_head or invoice.get("letter_head") or None,
		language=_language(invoice),
		pdf_generator=pdf_generator(print_format),
	)


def _language(invoice) -> str:
	"""The print's language: the settings', else the customer's (see `notices.buyer_language`)."""
	return (
		guest_settings().print_language
		or buyer_language(invoice)
		or invoice.get("language")
		or frappe.get_system_settings("language")
		or "en"
	)


def cache_key(invoice, options: PrintOptions) -> str:
	"""Everything that changes the printed PDF: the invoice, each document its print is made of,
	and the invoice's Active share link (the print shows it)."""
	return _digest(invoice, options, [*_print_versions(invoice, options), _active_link(invoice.name)])


def _active_link(invoice_name: str) -> str:
	"""The name of the invoice's Active share link, which the buyer's print shows; empty if none."""
	return (get_active_link(invoice_name) or {}).get("name") or ""


def _digest(invoice, options: PrintOptions, versions) -> str:
	# What is due depends on the day (an early-payment discount lapses, "overdue" begins), and so
	# do the amount printed and the EPC GiroCode's: a payable invoice's PDF is one per day.
	day = nowdate() if flt(invoice.outstanding_amount) > 0 and invoice.docstatus == 1 else ""
	parts = (
		day,
		invoice.name,
		str(get_datetime(invoice.modified)),  # a string after save, a datetime when read
		str(invoice.docstatus),
		str(flt(invoice.outstanding_amount)),
		str(invoice.status),
		options.print_format,
		options.letter_head or "",
		options.language,
		options.pdf_generator or "",
		*versions,
	)
	return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# What the print of an invoice depends on beyond the invoice itself (the options and the versions
# of the print format, letter head, Print Settings, company and settings) is the same for every
# invoice of a company with the same letter head and language: worked out once and kept in Redis,
# dropped when one of those documents is saved (`forget_print_context`), and after CONTEXT_SECONDS
# in any case (for changes made without a save).
_CONTEXT = "invoice_share:print_context:"
CONTEXT_SECONDS = 300


def pdf_key(invoice, link: str | None = None) -> tuple[PrintOptions, str]:
	"""The print options and store key of the invoice's PDF (`cache_key`, without its reads).

	`link` is the invoice's Active share link, which the buyer's print shows ("View and pay
	online"): a new, revoked or expired link is another PDF. Looked up when not given.
	"""
	parts = "\x1f".join((invoice.get("company") or "", invoice.get("letter_head") or "", _language(invoice)))
	key = frappe.cache.make_key(_CONTEXT + hashlib.sha256(parts.encode()).hexdigest())
	raw = frappe.cache.get(key)
	if raw is not None:
		context = json.loads(raw)
		options = PrintOptions(**context["options"])
		versions = context["versions"]
	else:
		options = print_options(invoice)
		versions = _print_versions(invoice, options)
		frappe.cache.set(
			key, json.dumps({"options": asdict(options), "versions": versions}), ex=CONTEXT_SECONDS
		)
	if link is None:
		link = _active_link(invoice.name)
	return options, _digest(invoice, options, [*versions, link])


def forget_print_context(doc=None, method=None) -> None:
	"""Doc event of everything a print is made of: work the print context out again (now, and
	after commit for requests that read the old documents meanwhile)."""
	frappe.cache.delete_keys(_CONTEXT)
	frappe.db.after_commit.add(lambda: frappe.cache.delete_keys(_CONTEXT))


def _print_versions(invoice, options: PrintOptions) -> list[str]:
	"""When each document the print depends on last changed (Redis-cached reads, no query on a hit).

	The print format (or, for "Standard", the Sales Invoice doctype itself; for ours, its template
	file, which an upgrade of this app changes), the letter head,
	Print Settings, the company (name, logo, details) and our own settings.
	"""
	company = invoice.get("company")
	return [
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
			guest_settings().modified,
		)
	]


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


def render(invoice, options: PrintOptions, *, show_share_link: bool = True) -> bytes:
	"""Frappe's print of the invoice, without the caller's print permission (a guest has none).

	The print sees none of the request's parameters: Frappe's print view reads `settings`,
	`pdf_generator` and more from `form_dict`, and a guest must not change the PDF that every
	holder of the link gets (nor break it with a malformed value)."""
	previous = frappe.flags.ignore_print_permissions
	previous_hide = frappe.flags.invoice_share_hide_share_link
	frappe.flags.ignore_print_permissions = True
	frappe.flags.invoice_share_hide_share_link = not show_share_link
	request_form = frappe.local.form_dict
	frappe.local.form_dict = frappe._dict()
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
		frappe.flags.invoice_share_hide_share_link = previous_hide
		frappe.local.form_dict = request_form


def store() -> PdfStore:
	"""The site's PDF store (its private files), bounded by `invoice_share_pdf_cache_mb`."""
	megabytes = frappe.conf.get("invoice_share_pdf_cache_mb") or DEFAULT_STORE_MB
	return PdfStore(
		frappe.get_site_path("private", STORE_FOLDER), max_bytes=int(float(megabytes) * 1024 * 1024)
	)


def get_pdf(invoice, *, wait: bool = True, link: str | None = None) -> tuple[bytes | None, bool]:
	"""The PDF bytes and whether they came from the store.

	`invoice` is the Sales Invoice, or a dict of its INVOICE_FIELDS; the document is loaded only
	when the PDF has to be rendered; `link` its Active share link when known (see `pdf_key`), or
	"" for a PDF that shows no share link (one served through a download link).
	While another process renders this very version, wait for it (up to RENDER_WAIT_SECONDS, then
	PdfBusy), or with `wait=False` return (None, False).
	"""
	options, key = pdf_key(invoice, link)
	pdfs = store()
	data = pdfs.get(key)
	if data is not None:
		return data, True
	lock = frappe.cache.make_key(f"invoice_share:pdf_render:{key}")
	if not frappe.cache.set(lock, frappe.local.site, nx=True, ex=RENDER_LOCK_SECONDS):
		if not wait:
			return None, False
		deadline = time.monotonic() + RENDER_WAIT_SECONDS
		while time.monotonic() < deadline:
			time.sleep(0.2)
			data = pdfs.get(key)
			if data is not None:
				return data, True
		raise PdfBusy
	try:
		if not isinstance(invoice, Document):
			invoice = frappe.get_doc("Sales Invoice", invoice.name)
		data = render(invoice, options, show_share_link=link != "")
		pdfs.put(key, data)
		frappe.cache.incr(frappe.cache.make_key(_RENDERS))
	finally:
		frappe.cache.delete(lock)
	return data, False


_RENDERS = "invoice_share:pdf_renders"


def render_count() -> int:
	"""How many PDFs this site rendered for buyers (for tests and the benchmark)."""
	return int(frappe.cache.get(frappe.cache.make_key(_RENDERS)) or 0)


def is_stored(invoice) -> bool:
	return store().get(pdf_key(invoice)[1]) is not None


def prerender(sales_invoice: str) -> None:
	"""Background job: render into the store if the current version is not there yet (and no one
	else is rendering it)."""
	if not frappe.db.exists("Sales Invoice", sales_invoice):
		return
	get_pdf(frappe.db.get_value("Sales Invoice", sales_invoice, INVOICE_FIELDS, as_dict=True), wait=False)


def prune_store() -> None:
	"""Hourly: remove PDFs unused for CACHE_SECONDS and keep the store within its size."""
	store().prune(max_age_seconds=CACHE_SECONDS)


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


def prerender_shared_link(doc, method=None) -> None:
	"""Doc event of a new share link: its PDF (which shows the link) is rendered after commit, so
	the buyer's first download is served from the store."""
	prerender_after_commit(doc.sales_invoice)
