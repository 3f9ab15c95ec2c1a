"""What every guest answer has in common: privacy headers, one 404, pages with every value
escaped, and rate limits per client address.

Guest answers are built here as complete responses, so a bad token always gets the very same
bytes whatever is wrong with it (unknown, revoked, expired, cancelled invoice, tampered).
"""

import functools
import json

import frappe
from frappe import _
from jinja2 import Environment, PackageLoader, PrefixLoader
from werkzeug.wrappers import Response

from invoice_share.core import clientip, params
from invoice_share.core.formats import html_to_text
from invoice_share.core.settings import guest_settings

PRIVATE_HEADERS = {
	"Cache-Control": "no-store",
	"Referrer-Policy": "no-referrer",
	"X-Robots-Tag": "noindex, nofollow",
	"X-Content-Type-Options": "nosniff",
}
# Where the page's only form (Pay now) may lead: our own start_checkout, which answers with a
# redirect to Stripe Checkout.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"

# Requests per client address per minute.
PAGE_LIMIT = 60
SUMMARY_LIMIT = 60
PDF_LIMIT = 20
CHECKOUT_LIMIT = 10
WEBHOOK_LIMIT = 600
WINDOW_SECONDS = 60


def with_headers(response: Response, headers: dict) -> Response:
	for key, value in headers.items():
		response.headers[key] = value
	return response


def page_headers() -> dict:
	"""Headers of every guest page. Its one form (Pay now) posts to this site, which redirects to
	Stripe Checkout; with another Stripe API address set in Invoice Share Settings (a test server
	or proxy), that address's origin too, where such a server serves its pay page."""
	settings = guest_settings()
	form_action = ["'self'", STRIPE_CHECKOUT_ORIGIN]
	api_origin = params.parse_api_base(settings.stripe_api_base or params.STRIPE_API_BASE)
	if api_origin and api_origin != params.STRIPE_API_BASE:
		form_action.append(api_origin)
	# A custom checkout domain, as Stripe's sessions name it: the 303 to it is governed by the
	# page's form-action too.
	for origin in (settings.stripe_checkout_origins or "").split():
		if origin not in form_action and _is_origin(origin):
			form_action.append(origin)
	return {
		**PRIVATE_HEADERS,
		"X-Frame-Options": "DENY",
		"Content-Security-Policy": (
			"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
			f"form-action {' '.join(form_action)}; base-uri 'none'; frame-ancestors 'none'"
		),
	}


def _is_origin(value: str) -> bool:
	"""A bare scheme://host[:port], safe to put in a header as it is."""
	import re

	return bool(re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+", value))


@functools.cache
def _environment() -> Environment:
	"""Jinja for the buyer's pages, built once per process: every value autoescaped (Frappe's own
	environment escapes nothing). Loaded the way Frappe's loader finds `invoice_share/...` paths,
	but not Frappe's loader itself, which belongs to one site's request and this outlives it."""
	return Environment(
		loader=PrefixLoader({"invoice_share": PackageLoader("invoice_share", ".")}),
		autoescape=True,
	)


def render(template: str, context: dict) -> str:
	"""Render one of our templates with every value escaped; `_` translates as Frappe does."""
	return _environment().get_template(template).render({"_": _, **context})


def json_response(data: dict, status: int = 200) -> Response:
	"""A JSON answer in Frappe's `{"message": …}` envelope, with the private headers."""
	response = Response(
		json.dumps({"message": data}, default=str), status=status, mimetype="application/json"
	)
	return with_headers(response, PRIVATE_HEADERS)


def json_text_response(data: str, status: int = 200) -> Response:
	"""`json_response` for data already serialised to JSON."""
	response = Response('{"message": ' + data + "}", status=status, mimetype="application/json")
	return with_headers(response, PRIVATE_HEADERS)


def not_found_json() -> Response:
	response = Response(
		json.dumps({"exc_type": "DoesNotExistError", "message": _("Not found")}),
		status=404,
		mimetype="application/json",
	)
	return with_headers(response, PRIVATE_HEADERS)


def html_response(html: str, status: int = 200) -> Response:
	response = Response(html, status=status, mimetype="text/html")
	response.charset = "utf-8"
	return with_headers(response, page_headers())


def not_found_page() -> Response:
	html = render("invoice_share/templates/buyer/not_found.html", {"lang": frappe.local.lang})
	return html_response(html, status=404)


def message_page(title: str, message: str, status: int) -> Response:
	"""A short page; `message` may be an error's HTML (bold names), shown as its text."""
	html = render(
		"invoice_share/templates/buyer/message.html",
		{"lang": frappe.local.lang, "title": title, "message": html_to_text(message)},
	)
	return html_response(html, status=status)


def too_many_requests_page() -> Response:
	return message_page(_("Too many requests"), _("Please wait a minute and try again."), status=429)


def client_address() -> str:
	"""The requester's address as the nearest trusted proxy saw it (see `clientip`).

	The walk starts at the socket's peer: werkzeug's `remote_addr`, or, where Frappe's dev server
	runs with `--proxy` (ProxyFix, which already took the last X-Forwarded-For entry), the peer
	ProxyFix kept aside.
	"""
	request = frappe.request
	peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR") or request.remote_addr
	forwarded_for = ", ".join(request.headers.getlist("X-Forwarded-For"))
	try:
		# Loopback is where a bench's nginx connects from: trusted unless other proxies are named.
		trusted = clientip.parse_networks(guest_settings().trusted_proxies or clientip.LOOPBACK)
	except clientip.InvalidProxy:  # saved before validation existed: loopback only
		trusted = clientip.parse_networks(clientip.LOOPBACK)
	return clientip.client_address(peer, forwarded_for, trusted)


def rate_limit_exceeded(bucket: str, limit: int) -> bool:
	"""Count a guest request in `bucket` from this client; True once it is over `limit` in a window
	of WINDOW_SECONDS that starts with the client's first request.

	Frappe's own `rate_limit` keys on `request_ip`, the first X-Forwarded-For entry, which the
	client writes (and on `cmd`, which pages lack); this counts in Redis per real client address.
	"""
	key = frappe.cache.make_key(f"invoice_share:rl:{bucket}:{client_address()}")
	pipeline = frappe.cache.pipeline()
	pipeline.incr(key)
	pipeline.ttl(key)
	count, ttl = pipeline.execute()
	if ttl < 0:  # a new key, or one whose expiry was never set: the window starts now
		frappe.cache.expire(key, WINDOW_SECONDS)
	return count > limit


def page_rate_limit_exceeded(bucket: str, limit: int = PAGE_LIMIT) -> bool:
	return rate_limit_exceeded(f"page:{bucket}", limit)


def too_many_requests_json() -> Response:
	response = Response(
		json.dumps(
			{"exc_type": "TooManyRequestsError", "message": _("Too many requests. Please wait a minute.")}
		),
		status=429,
		mimetype="application/json",
	)
	response.headers["Retry-After"] = str(WINDOW_SECONDS)
	return with_headers(response, PRIVATE_HEADERS)


def counted_once() -> bool:
	"""True the first time in a request: a request answered early (`www_renderer.answer_early`) that
	is handed on to Frappe's usual path is not counted twice."""
	if frappe.flags.invoice_share_rate_counted:
		return False
	frappe.flags.invoice_share_rate_counted = True
	return True


def rate_limited(limit: int):
	"""Decorator for a guest method: a 429 JSON answer once this client passes `limit` a minute."""

	def decorator(fn):
		@functools.wraps(fn)
		def wrapper(*args, **kwargs):
			if frappe.request and counted_once() and rate_limit_exceeded(f"api:{fn.__name__}", limit):
				return too_many_requests_json()
			return fn(*args, **kwargs)

		return wrapper

	return decorator
