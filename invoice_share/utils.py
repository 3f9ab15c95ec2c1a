"""Small Frappe-side helpers shared by the API, the buyer page and the payment code."""

import datetime
import html
import json
from zoneinfo import ZoneInfo

import frappe
from frappe import _
from frappe.utils import get_datetime, get_system_timezone, get_url, strip_html

from invoice_share.exceptions import InvalidArgument, InvoiceStateError


def get_settings():
	"""Invoice Share Settings, read once per request or job.

	Not `get_cached_doc`: a job that reads the settings while they are being saved can put
	the old version back into Redis after the save cleared it, and a rotated secret or a
	disabled Stripe must take effect at once.
	"""
	settings = getattr(frappe.local, "invoice_share_settings", None)
	if settings is None:
		settings = frappe.get_single("Invoice Share Settings")
		frappe.local.invoice_share_settings = settings
		frappe.db.after_rollback.add(forget_settings)
	return settings


def forget_settings() -> None:
	frappe.local.invoice_share_settings = None
	frappe.local.invoice_share_guest_settings = None


# What guest answers need of the settings, kept in Redis so that a buyer's request reads no settings
# from the database. Saving the settings publishes the new values after commit (`publish_guest_settings`).
_GUEST_SETTINGS_KEY = "invoice_share:guest_settings"
GUEST_FIELDS = (
	"modified",
	"show_line_items",
	"trusted_proxies",
	"stripe_api_base",
	"print_format",
	"letter_head",
	"print_language",
	"stripe_checkout_origins",
)


def guest_settings() -> frappe._dict:
	"""The settings a guest answer needs (and `stripe_ready`), from Redis; once per request.

	A reader that finds nothing loads them from the database and stores them only if nothing is
	there yet (SET NX), so it can never put back values older than those a save published.
	"""
	values = getattr(frappe.local, "invoice_share_guest_settings", None)
	if values is None:
		key = frappe.cache.make_key(_GUEST_SETTINGS_KEY)
		raw = frappe.cache.get(key)
		if raw is None:
			values = _load_guest_settings()
			frappe.cache.set(key, frappe.as_json(values), nx=True)
		else:
			values = frappe._dict(json.loads(raw))
		frappe.local.invoice_share_guest_settings = values
	return values


def publish_guest_settings() -> None:
	"""After the settings were saved and committed: what guests see from now on."""
	forget_settings()
	frappe.cache.set(frappe.cache.make_key(_GUEST_SETTINGS_KEY), frappe.as_json(_load_guest_settings()))


def clear_guest_settings() -> None:
	forget_settings()
	frappe.cache.delete(frappe.cache.make_key(_GUEST_SETTINGS_KEY))


def _load_guest_settings() -> frappe._dict:
	from invoice_share.payments.checkout import _stripe_secret_key

	settings = frappe.get_single("Invoice Share Settings")
	values = frappe._dict({field: settings.get(field) for field in GUEST_FIELDS})
	values.modified = str(values.modified)
	values.stripe_ready = bool(_stripe_secret_key())
	return values


def site_url(path: str = "") -> str:
	"""An absolute URL on the site's configured address, for links we hand out or send to Stripe.

	Frappe's `get_url` as it answers outside a request: `host_name` (or `hostname`) from the site
	config, else the site's name with Frappe's protocol and port rules. Inside a request, without
	`host_name`, `get_url` would take the request's Host header, which any client can set, so the
	request is out of its sight while it answers. (Its `allow_header_override=False` does the same,
	but only recent Frappe 15 releases have it; this works on every 15 and 16.)
	"""
	had_request = hasattr(frappe.local, "request")
	request = getattr(frappe.local, "request", None)
	frappe.local.request = None
	try:
		return get_url(path or None)
	finally:
		if had_request:
			frappe.local.request = request
		else:
			del frappe.local.request


def insecure_site_url_warning() -> str | None:
	"""A warning when the links handed out would go over plain http (the site has no https
	`host_name`), except on this machine; None when they go over https."""
	from urllib.parse import urlsplit

	parts = urlsplit(site_url())
	if parts.scheme == "https" or is_local_host(parts.hostname):
		return None
	return _(
		"This site's address is {0}, not https: share links would travel in clear text in emails and QR codes."
		" Set host_name to the site's https address (bench set-config host_name https://…)."
	).format(f"{parts.scheme}://{parts.netloc}")


def is_local_host(host: str | None) -> bool:
	import ipaddress

	host = (host or "").strip("[]").lower()
	if host == "localhost" or host.endswith(".localhost"):
		return True
	try:
		return ipaddress.ip_address(host).is_loopback
	except ValueError:
		return False


def learn_checkout_origin(origin: str) -> None:
	"""Remember where Stripe hosts its checkout pages (a custom checkout domain), so the buyer
	page's form may lead there (its Content-Security-Policy `form-action`). The latest few only."""
	from invoice_share import params

	settings = guest_settings()
	known = (settings.stripe_checkout_origins or "").split()
	api_origin = params.parse_api_base(settings.stripe_api_base or params.STRIPE_API_BASE)
	if origin in known or origin in ("https://checkout.stripe.com", api_origin):
		return
	origins = [*known, origin][-CHECKOUT_ORIGINS_KEPT:]
	frappe.db.set_single_value("Invoice Share Settings", "stripe_checkout_origins", "\n".join(origins))
	frappe.db.after_commit.add(publish_guest_settings)


CHECKOUT_ORIGINS_KEPT = 3


def html_to_text(value: str | None) -> str:
	"""Text for a page that escapes what it shows: tags dropped and entities decoded (`&amp;` is
	`&`), so that escaping it once shows what the HTML showed, and never `&amp;amp;`."""
	return html.unescape(strip_html(value or ""))


def escaped(values: dict) -> dict:
	"""`values` with every string HTML-escaped, for templates rendered by Frappe's Jinja, which
	escapes nothing (email templates): a customer named `<b>` shows as `<b>`, not bold."""
	from markupsafe import escape

	return {key: escape(value) if isinstance(value, str) else value for key, value in values.items()}


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


def iso(value) -> str | None:
	"""ISO 8601 with the site's time zone offset, for a naive datetime in system time."""
	if not value:
		return None
	dt = get_datetime(value)
	if dt.tzinfo is None:
		dt = dt.replace(tzinfo=ZoneInfo(get_system_timezone()))
	return dt.isoformat()


def iso_from_timestamp(timestamp: int) -> str:
	return datetime.datetime.fromtimestamp(timestamp, ZoneInfo(get_system_timezone())).isoformat()


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


def from_timestamp(timestamp: int) -> datetime.datetime:
	"""A naive datetime in system time (how Frappe stores Datetime fields) for an epoch timestamp."""
	return datetime.datetime.fromtimestamp(int(timestamp), ZoneInfo(get_system_timezone())).replace(
		tzinfo=None
	)
