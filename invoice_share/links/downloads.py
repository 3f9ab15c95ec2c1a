"""Signed, short-lived PDF download links (Fynn's `download-link`, signed and revocable).

The JWT is made and checked in `signing.py`; this module adds the site's secret and policy.
The link is `/invoice-pdf/<token>` (served by `www_renderer`); the API method
`signed_invoice_pdf?token=` answers the same tokens.
Every invalid token (tampered, expired, foreign, signed before a rotation) gets the same 404.
"""

import time

import frappe
from frappe import _
from frappe.utils import cint

from invoice_share.core.documents import INVOICE_FIELDS, ensure_submitted
from invoice_share.core.exceptions import InvalidArgument, InvoiceStateError
from invoice_share.core.formats import iso_from_timestamp
from invoice_share.core.routes import DOWNLOAD_ROUTE
from invoice_share.core.settings import get_settings
from invoice_share.core.urls import site_url
from invoice_share.links import signing


def _secret() -> str:
	return get_settings().get_password("download_link_secret", raise_exception=False) or ""


def validate_lifetime(seconds_valid: int | None) -> int:
	settings = get_settings()
	maximum = cint(settings.download_link_max_lifetime)
	if seconds_valid is None or not signing.MIN_LIFETIME_SECONDS <= seconds_valid <= maximum:
		frappe.throw(
			_("seconds_valid must be a whole number of seconds from {0} to {1}.").format(
				signing.MIN_LIFETIME_SECONDS, maximum
			),
			exc=InvalidArgument,
			title=_("Invalid Lifetime"),
		)
	return seconds_valid


def ensure_printable(invoice) -> None:
	"""Submitted invoices and credit notes; cancelled ones only where Print Settings allow it."""
	if invoice.docstatus != 2:
		ensure_submitted(invoice)  # drafts are refused
	elif not _cancelled_printable():
		frappe.throw(
			_(
				"Sales Invoice {0} is cancelled and Print Settings do not allow printing cancelled documents."
			).format(frappe.bold(invoice.name)),
			exc=InvoiceStateError,
			title=_("Invoice Cancelled"),
		)


def issue(invoice, seconds_valid: int, *, with_share_link: bool = False) -> dict:
	"""A signed link to the invoice's PDF; the PDF shows the share link only `with_share_link`
	(the caller may share the invoice), so a short-lived link never yields the permanent one."""
	ensure_printable(invoice)
	secret = _secret()
	if not secret:
		frappe.throw(
			_("The download link signing secret is missing: rotate it in Invoice Share Settings."),
			exc=InvoiceStateError,
			title=_("Not Configured"),
		)
	now = int(time.time())
	expires_at = now + seconds_valid
	token = signing.sign(
		secret=secret,
		site=frappe.local.site,
		sales_invoice=invoice.name,
		expires_at=expires_at,
		with_share_link=with_share_link,
	)
	return {
		"url": site_url(f"/{DOWNLOAD_ROUTE}/{token}"),
		"expires_at": iso_from_timestamp(expires_at),
	}


def resolve(token: object):
	"""What a PDF download needs of the invoice a valid token points to (`INVOICE_FIELDS`, and
	`with_share_link`), or None for every kind of invalid token."""
	try:
		claims = signing.verify(token, secret=_secret(), site=frappe.local.site, now=int(time.time()))
	except signing.InvalidDownloadToken:
		return None
	invoice = frappe.db.get_value("Sales Invoice", claims.sales_invoice, INVOICE_FIELDS, as_dict=True)
	if not invoice or invoice.docstatus == 0 or (invoice.docstatus == 2 and not _cancelled_printable()):
		return None
	invoice.with_share_link = claims.with_share_link
	return invoice


def _cancelled_printable() -> bool:
	return bool(cint(frappe.db.get_single_value("Print Settings", "allow_print_for_cancelled")))
