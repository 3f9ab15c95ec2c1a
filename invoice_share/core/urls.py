"""Every URL the app hands out is on the site's configured address, never the request's Host."""

import ipaddress
from urllib.parse import urlsplit

import frappe
from frappe import _
from frappe.utils import get_url


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
	parts = urlsplit(site_url())
	if parts.scheme == "https" or is_local_host(parts.hostname):
		return None
	return _(
		"This site's address is {0}, not https: share links would travel in clear text in emails and QR codes."
		" Set host_name to the site's https address (bench set-config host_name https://…)."
	).format(f"{parts.scheme}://{parts.netloc}")


def is_local_host(host: str | None) -> bool:
	host = (host or "").strip("[]").lower()
	if host == "localhost" or host.endswith(".localhost"):
		return True
	try:
		return ipaddress.ip_address(host).is_loopback
	except ValueError:
		return False
