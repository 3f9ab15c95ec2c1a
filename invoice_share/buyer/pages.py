"""The buyer's pages, served through Frappe's `page_renderer` hook.

`/invoice-view/<token>` is the shared invoice; `/invoice-paid?session_id=…` is where Stripe sends
a buyer back after paying through a link made by `create_payment_link`. A renderer (rather than
a `www/` page) gives these routes complete responses: the privacy headers, one identical 404 for
every bad token, and no Frappe boot script, so the page needs no JavaScript at all. The page
and `/invoice-pdf/<token>` are answered from a `before_request` hook when they need no commit
(`answer_early`), and through the renderer otherwise.
"""

import frappe
from werkzeug.exceptions import HTTPException

from invoice_share.buyer import answers, returns, summary
from invoice_share.buyer.jinja import invoice_share_epc_qr
from invoice_share.core import guest
from invoice_share.core.routes import DOWNLOAD_ROUTE, PAGE_ROUTE, RETURN_ROUTE
from invoice_share.core.settings import guest_settings, stripe_ready
from invoice_share.links import sharing
from invoice_share.notifications.notices import buyer_language
from invoice_share.payments import checkout


class BuyerPageRenderer:
	def __init__(self, path: str | None = None, http_status_code: int | None = None):
		self.path = (path or frappe.local.request.path).strip("/ ")
		self.http_status_code = http_status_code or 200

	def can_render(self) -> bool:
		first, _, rest = self.path.partition("/")
		return (first in (PAGE_ROUTE, DOWNLOAD_ROUTE) and bool(rest)) or self.path == RETURN_ROUTE

	def render(self, *, may_write: bool = True):
		"""The answer; None when `may_write` is False and the answer needs a commit."""
		if frappe.request.method not in ("GET", "HEAD"):
			return guest.not_found_page()
		route, _, token = self.path.partition("/")
		if route == DOWNLOAD_ROUTE:
			return self.render_signed_pdf(token)
		# Counted once, also when the early answer (see `answer_early`) handed the request on.
		if guest.counted_once() and guest.page_rate_limit_exceeded(route):
			return guest.too_many_requests_page()
		if self.path == RETURN_ROUTE:
			return self.render_return_page() if may_write else None
		return self.render_invoice_page(token, may_write=may_write)

	def render_invoice_page(self, token: str, *, may_write: bool = True):
		row = sharing.resolve_token(token)
		if row is None:
			return guest.not_found_page()
		if frappe.request.method == "GET" and not sharing.record_view(row, may_write=may_write):
			return None
		_use_buyer_language(row.invoice)
		accepted = summary.accepted_languages()

		# A payment on its way (or taken, not yet booked) and the words of the Pay button are
		# outside the invoice: part of the cached page's key.
		pending = checkout.pending_payment(row.sales_invoice) or ""
		card_only = checkout.card_only()

		def page(token_text: str) -> str:
			invoice = frappe.get_doc("Sales Invoice", row.sales_invoice)
			return buyer_page_html(
				invoice, token_text, accepted_languages=accepted, pending=pending, card_only=card_only
			)

		if frappe.session.user != "Guest":  # the page holds the visitor's CSRF token: not shared
			return guest.html_response(page(token))
		# The same page for every holder of this invoice's link: the token is put in per request.
		html = summary.cached_answer(
			"page",
			row.invoice,
			lambda: page(_TOKEN_SLOT),
			frappe.local.lang or "",
			",".join(accepted)[:200],
			pending,
			str(card_only),
		)
		return guest.html_response(html.replace(_TOKEN_SLOT, token))

	def render_signed_pdf(self, token: str):
		"""A signed download link: the same answers (and limit) as `api.signed_invoice_pdf`."""
		if guest.counted_once() and guest.rate_limit_exceeded("api:signed_invoice_pdf", guest.PDF_LIMIT):
			return guest.too_many_requests_json()
		return answers.signed_pdf_answer(token)

	def render_return_page(self):

		outcome = returns.return_page_context(
			frappe.form_dict.get("session_id"), cancelled=bool(frappe.form_dict.get("cancelled"))
		)
		if outcome is None:
			return guest.not_found_page()
		_use_buyer_language(
			frappe.db.get_value("Sales Invoice", outcome["invoice"], ["language", "customer"], as_dict=True)
		)
		outcome["lang"] = frappe.local.lang
		html = guest.render("invoice_share/templates/buyer/returned.html", outcome)
		return guest.html_response(html)


# Stands for the token in a cached page (token characters only, so escaping leaves it as it is).
_TOKEN_SLOT = "INVOICEzSHAREzTOKENzSLOT"


class _EarlyAnswer(HTTPException):
	"""A complete response handed back to Frappe's request handler, which returns an HTTPException
	as it is (`frappe.app.application`)."""

	def __init__(self, response):
		super().__init__(response=response)


_EARLY_PREFIXES = (f"/{PAGE_ROUTE}/", f"/{DOWNLOAD_ROUTE}/", "/api/method/invoice_share.api.shared_")


def answer_early() -> None:
	"""`before_request` hook: answer the guest routes that read (the buyer page, the JSON summary
	and the PDFs) before Frappe's website router, which builds its map of every dynamic route on
	each request, and its API handler, which cost more than the answers themselves. Anything that
	needs a commit (a first view) goes on to Frappe's usual path (the renderer, the API method)."""
	request = frappe.request
	if request.method not in ("GET", "HEAD") or not request.path.startswith(_EARLY_PREFIXES):
		return
	if request.path.startswith("/api/"):
		if request.method != "GET":  # the methods answer GET only
			return
		response = _early_api_answer(request.path.rsplit(".", 1)[1])
	else:
		response = BuyerPageRenderer(request.path).render(may_write=False)
	if response is not None:
		raise _EarlyAnswer(response)


def _early_api_answer(method: str):
	if method not in ("shared_invoice", "shared_invoice_pdf"):
		return None
	limit = guest.SUMMARY_LIMIT if method == "shared_invoice" else guest.PDF_LIMIT
	if guest.counted_once() and guest.rate_limit_exceeded(f"api:{method}", limit):
		return guest.too_many_requests_json()
	token = frappe.form_dict.get("token")
	if method == "shared_invoice":
		return answers.summary_answer(token, may_write=False)
	return answers.shared_pdf_answer(token)


def buyer_page_html(
	invoice,
	token: str,
	*,
	accepted_languages: list[str] | None = None,
	pending: str | None = None,
	card_only: bool | None = None,
) -> str:
	"""The buyer page of `invoice` as its link's holder sees it.

	`pending` is a payment on its way ("Processing") or taken and not yet booked ("Received"):
	the page says so and offers no Pay button meanwhile."""

	if pending is None:
		pending = checkout.pending_payment(invoice.name)
	if card_only is None:
		card_only = checkout.card_only()
	context = summary.page_context(
		invoice,
		show_items=bool(guest_settings().show_line_items),
		accepted_languages=accepted_languages,
	)
	context.update(
		lang=frappe.local.lang,
		token=token,
		pdf_url=f"/api/method/invoice_share.api.shared_invoice_pdf?token={token}",
		checkout_url="/api/method/invoice_share.api.start_checkout",
		can_pay=context["is_payable"] and stripe_ready() and not pending,
		pending_payment=pending if context["is_payable"] else None,
		card_only=card_only,
		csrf_token=_csrf_token(),
	)
	if context["is_payable"] and not context["can_pay"] and not pending:
		# No card payment: say how to pay by transfer, quoting the invoice.
		context["bank_account"] = summary.company_bank_account(invoice.company)
		if context["bank_account"]:
			context["epc_qr"] = invoice_share_epc_qr(invoice, context["bank_account"])
	return guest.render("invoice_share/templates/buyer/page.html", context)


def _use_buyer_language(invoice_fields) -> None:
	"""The page in the customer's language (the invoice's, else the customer's); without one, the
	language Frappe took from the browser (`Accept-Language`) stays."""
	language = buyer_language(invoice_fields)
	if language:
		frappe.local.lang = language


def _csrf_token() -> str:
	"""A signed-in visitor's POST needs Frappe's CSRF token; a guest has none and needs none."""
	session = getattr(frappe.local, "session", None)
	if session and frappe.session.user != "Guest":
		return frappe.sessions.get_csrf_token()
	return ""
