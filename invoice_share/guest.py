"""What every guest answer has in common: privacy headers, one 404, and the page rate limit.

Guest answers are built here as complete responses, so a bad token always gets the very same
bytes whatever is wrong with it (unknown, revoked, expired, cancelled invoice, tampered).
"""

import json

import frappe
from frappe import _
from frappe.utils import strip_html
from werkzeug.wrappers import Response

PRIVATE_HEADERS = {
	"Cache-Control": "no-store",
	"Referrer-Policy": "no-referrer",
	"X-Robots-Tag": "noindex, nofollow",
	"X-Content-Type-Options": "nosniff",
}
PAGE_HEADERS = {
	**PRIVATE_HEADERS,
	"X-Frame-Options": "DENY",
	"Content-Security-Policy": (
		"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
		"form-action 'self' https: http:; base-uri 'none'; frame-ancestors 'none'"
	),
}

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


def json_response(data: dict, status: int = 200) -> Response:
	"""A JSON answer in Frappe's `{"message": …}` envelope, with the private headers."""
	response = Response(
		json.dumps({"message": data}, default=str), status=status, mimetype="application/json"
	)
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
	return with_headers(response, PAGE_HEADERS)


def not_found_page() -> Response:
	html = frappe.render_template("invoice_share/templates/buyer/not_found.html", {"lang": frappe.local.lang})
	return html_response(html, status=404)


def message_page(title: str, message: str, status: int) -> Response:
	html = frappe.render_template(
		"invoice_share/templates/buyer/message.html",
		{"lang": frappe.local.lang, "title": title, "message": strip_html(message)},
	)
	return html_response(html, status=status)


def too_many_requests_page() -> Response:
	return message_page(_("Too many requests"), _("Please wait a minute and try again."), status=429)


def page_rate_limit_exceeded(bucket: str, limit: int = PAGE_LIMIT) -> bool:
	"""Count a page request from this client address; True once it is over `limit` a minute.

	Frappe's `rate_limit` decorator keys on `cmd`, which pages do not have; this does the same
	counting in Redis for the page routes.
	"""
	key = frappe.cache.make_key(f"invoice_share:rl:{bucket}:{frappe.local.request_ip}")
	count = frappe.cache.incrby(key, 1)
	if count == 1:
		frappe.cache.expire(key, WINDOW_SECONDS)
	return count > limit
