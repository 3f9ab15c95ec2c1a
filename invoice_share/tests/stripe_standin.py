"""A local stand-in for the parts of Stripe's API that invoice_share uses (stdlib only).

It speaks Stripe's documented wire format (form-encoded bracket parameters, bearer
auth, error objects, Idempotency-Key replay, signed webhooks) so the real
stripe-python package can be pointed at it::

        with StripeStandIn() as standin:
            gateway = StripeGateway(standin.secret_key, api_base=standin.url)

Run ``python -m invoice_share.tests.stripe_standin --port 12111`` for a demo server
with a fake hosted checkout page at ``<url>/pay/<session id>``.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from invoice_share.tests.stripe_money import (
	THREE_DECIMAL_CURRENCIES,
	ZERO_DECIMAL_CURRENCIES,
	MoneyError,
	StripeMoney,
)

DEFAULT_SECRET_KEY = "sk_test_standin_4eC39HqLyjWDarjtT1zdp7dc"
DEFAULT_WEBHOOK_SECRET = "whsec_standin_3fd6b1f0a9c24d2f8e5b7c1a"
DEFAULT_API_VERSION = "2024-06-20"

MIN_EXPIRY_SECONDS = 30 * 60
MAX_EXPIRY_SECONDS = 24 * 60 * 60
MAX_IDEMPOTENCY_KEY_LENGTH = 255

# Stripe's currencies without minor units, and those with three decimals (stripe_money has them).
_ZERO_DECIMAL = ZERO_DECIMAL_CURRENCIES
_THREE_DECIMAL = THREE_DECIMAL_CURRENCIES
_WHOLE_UNITS_TIMES_100 = {"isk", "ugx"}

# Documented top-level parameters of POST /v1/checkout/sessions; anything else gets
# Stripe's "Received unknown parameter" error.
_CREATE_PARAMS = frozenset(
	"""adaptive_pricing after_expiration allow_promotion_codes automatic_tax
	billing_address_collection branding_settings cancel_url client_reference_id consent_collection
	currency custom_fields custom_text customer customer_account customer_creation customer_email
	customer_update discounts excluded_payment_method_types expand expires_at invoice_creation
	line_items locale metadata mode name_collection optional_items origin_context
	payment_intent_data payment_method_collection payment_method_configuration payment_method_data
	payment_method_options payment_method_types permissions phone_number_collection
	redirect_on_completion return_url saved_payment_method_options setup_intent_data
	shipping_address_collection shipping_options submit_type subscription_data success_url
	tax_id_collection ui_mode wallet_options""".split()
)
_LINE_ITEM_PARAMS = frozenset(
	{"adjustable_quantity", "dynamic_tax_rates", "price", "price_data", "quantity", "tax_rates"}
)
_PRICE_DATA_PARAMS = frozenset(
	{"currency", "product", "product_data", "recurring", "tax_behavior", "unit_amount", "unit_amount_decimal"}
)
_PRODUCT_DATA_PARAMS = frozenset({"description", "images", "metadata", "name", "tax_code", "unit_label"})

_SESSION_PATH = re.compile(r"^/v1/checkout/sessions/([^/]+)$")
_EXPIRE_PATH = re.compile(r"^/v1/checkout/sessions/([^/]+)/expire$")
_PAY_PATH = re.compile(r"^/pay/([^/]+)$")
_KEY_PATH = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


@dataclass(frozen=True)
class RecordedRequest:
	"""One request the stand-in received (API, page or unknown path)."""

	method: str
	path: str
	idempotency_key: str | None
	params: dict[str, Any]
	status: int
	replayed: bool = False
	headers: dict[str, str] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class _Fault:
	method: str
	path: re.Pattern
	delay: float
	status: int | None
	lose_answer: bool
	times: int


class _ApiError(Exception):
	def __init__(
		self,
		status: int,
		message: str,
		*,
		type: str = "invalid_request_error",
		code: str | None = None,
		param: str | None = None,
		saved: bool = False,
	) -> None:
		super().__init__(message)
		self.status = status
		self.saved = saved  # Stripe keeps idempotent results only once the endpoint has started executing
		self.body: dict[str, Any] = {"error": {"type": type, "message": message}}
		if code:
			self.body["error"]["code"] = code
			self.body["error"]["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
		if param:
			self.body["error"]["param"] = param


def _new_id(prefix: str) -> str:
	return prefix + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
	"""Nest Stripe's bracket notation (``a[b][0][c]=v``); all-digit keys become lists."""
	root: dict[str, Any] = {}
	for raw_key, value in pairs:
		match = _KEY_PATH.match(raw_key)
		if not match:
			raise _ApiError(400, f"Invalid parameter name: {raw_key}", param=raw_key)
		parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
		node = root
		for depth, part in enumerate(parts):
			if part == "":
				part = str(len(node))
			if depth == len(parts) - 1:
				if isinstance(node.get(part), dict):
					raise _ApiError(400, f"Invalid value for {raw_key}: expected a hash.", param=raw_key)
				node[part] = value
			else:
				child = node.setdefault(part, {})
				if isinstance(child, str):
					# "metadata=" (empty) followed by "metadata[k]=v": the empty value means "unset".
					child = node[part] = {}
				node = child
	return _listify(root)


def _listify(value: Any) -> Any:
	if isinstance(value, dict):
		items = {key: _listify(item) for key, item in value.items()}
		if items and all(key.isdigit() for key in items):
			return [items[key] for key in sorted(items, key=int)]
		return items
	return value


def format_amount(amount_minor: int, currency: str) -> str:
	"""Major-unit text for the demo page, e.g. ``19.99 USD``."""
	code = currency.lower()
	places = 0 if code in _ZERO_DECIMAL else 3 if code in _THREE_DECIMAL else 2
	if code in _WHOLE_UNITS_TIMES_100:
		return f"{amount_minor // 100} {code.upper()}"
	if places == 0:
		return f"{amount_minor} {code.upper()}"
	whole, fraction = divmod(amount_minor, 10**places)
	return f"{whole}.{fraction:0{places}d} {code.upper()}"


class StripeStandIn:
	"""A Stripe look-alike on a local port; thread-safe, started with ``start()`` or ``with``."""

	def __init__(
		self,
		secret_key: str = DEFAULT_SECRET_KEY,
		webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
		host: str = "127.0.0.1",
		port: int = 0,
		webhook_url: str | None = None,
	) -> None:
		self.secret_key = secret_key
		self.webhook_secret = webhook_secret
		self.host = host
		self.port = port
		self.webhook_url = webhook_url
		self.api_version = DEFAULT_API_VERSION
		# What the account offers at checkout (the dashboard's payment methods), and where its
		# hosted pages live (None: on this server; a custom checkout domain otherwise).
		self.payment_method_types: list[str] = ["card"]
		self.page_base: str | None = None
		self._lock = threading.RLock()
		self._sessions: dict[str, dict[str, Any]] = {}
		self._session_extras: dict[str, dict[str, Any]] = {}
		self._idempotency: dict[str, dict[str, Any]] = {}
		self._requests: list[RecordedRequest] = []
		self._faults: list[_Fault] = []
		# Charges, balance transactions, refunds, disputes, payouts and the balance.
		self.money = StripeMoney()
		self.money.livemode = secret_key.startswith(("sk_live_", "rk_live_"))
		self._server: ThreadingHTTPServer | None = None
		self._thread: threading.Thread | None = None

	# -- lifecycle -------------------------------------------------------------------

	def start(self) -> StripeStandIn:
		if self._server is not None:
			return self
		self._server = ThreadingHTTPServer((self.host, self.port), _make_handler(self))
		self._server.daemon_threads = True
		self.port = self._server.server_address[1]
		self._thread = threading.Thread(
			target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
		)
		self._thread.start()
		return self

	def stop(self) -> None:
		server, self._server = self._server, None
		if server is None:
			return
		server.shutdown()
		server.server_close()
		if self._thread is not None:
			self._thread.join(timeout=5)
			self._thread = None

	def __enter__(self) -> StripeStandIn:
		return self.start()

	def __exit__(self, *exc_info: object) -> None:
		self.stop()

	@property
	def url(self) -> str:
		"""The API base (and page base), e.g. ``http://127.0.0.1:12111``."""
		if self._server is None:
			raise RuntimeError("The Stripe stand-in is not running.")
		return f"http://{self.host}:{self.port}"

	# -- inspection ------------------------------------------------------------------

	@property
	def requests(self) -> list[RecordedRequest]:
		"""Every request received so far, oldest first."""
		with self._lock:
			return list(self._requests)

	@property
	def sessions(self) -> dict[str, dict[str, Any]]:
		"""Copies of all Checkout Sessions, by id."""
		with self._lock:
			return copy.deepcopy(self._sessions)

	def session(self, session_id: str) -> dict[str, Any]:
		with self._lock:
			return copy.deepcopy(self._get(session_id))

	# -- test controls ---------------------------------------------------------------

	def inject_fault(
		self,
		method: str,
		path_pattern: str,
		*,
		delay: float = 0.0,
		status: int | None = None,
		lose_answer: bool = False,
		times: int = 1,
	) -> None:
		"""Make the next `times` API requests matching `method` and the regex `path_pattern` misbehave.

		`delay` waits that many seconds before handling the request (a slow Stripe); `status`
		answers with that API error instead of handling it; `lose_answer` handles it (the session
		is made) and then closes the connection without an answer, as when a network drops Stripe's
		reply.
		"""
		with self._lock:
			self._faults.append(_Fault(method, re.compile(path_pattern), delay, status, lose_answer, times))

	def clear_faults(self) -> None:
		with self._lock:
			self._faults.clear()

	def _take_fault(self, method: str, path: str) -> _Fault | None:
		with self._lock:
			for fault in self._faults:
				if fault.method == method and fault.path.search(path):
					fault.times -= 1
					if fault.times <= 0:
						self._faults.remove(fault)
					return fault
		return None

	def complete_session(
		self,
		session_id: str,
		*,
		payment_status: str = "paid",
		amount_total: int | None = None,
		currency: str | None = None,
		presentment: tuple[int, str] | None = None,
	) -> dict[str, Any]:
		"""Complete an open session as if the customer paid.

		``payment_status="unpaid"`` models a delayed method (bank debits); the overrides
		let a test simulate a session whose amount or currency differs from what was asked.
		``presentment`` (minor units, currency) is what an Adaptive Pricing buyer paid in their own
		currency: the session then reports that, and its own amount in ``currency_conversion``.
		"""
		if payment_status not in {"paid", "unpaid", "no_payment_required"}:
			raise ValueError(f"Unknown payment_status {payment_status!r}.")
		with self._lock:
			session = self._get(session_id)
			if session["status"] != "open":
				raise ValueError(f"Session {session_id} is {session['status']}, not open.")
			session.update(
				status="complete",
				payment_status=payment_status,
				payment_intent=session["payment_intent"] or _new_id("pi_"),
				url=None,
				customer_details={
					"address": None,
					"email": session["customer_email"] or "customer@example.com",
					"name": "Stand-in Customer",
					"phone": None,
					"tax_exempt": "none",
					"tax_ids": [],
				},
			)
			if amount_total is not None:
				session["amount_total"] = amount_total
			if currency is not None:
				session["currency"] = currency.lower()
			if presentment is not None:
				session["currency_conversion"] = {
					"amount_subtotal": session["amount_subtotal"],
					"amount_total": session["amount_total"],
					"fx_rate": f"{presentment[0] / session['amount_total']:.6f}",
					"source_currency": session["currency"],
				}
				session["amount_total"], session["currency"] = presentment[0], presentment[1].lower()
			if payment_status == "paid":
				self._settle(session)
			return copy.deepcopy(session)

	def _settle(self, session: dict[str, Any]) -> None:
		"""The money of a paid session: its charge and balance transaction, fee and all."""
		extras = self._session_extras.get(session["id"], {})
		metadata = (extras.get("payment_intent_data") or {}).get("metadata") or {}
		# With Adaptive Pricing the buyer paid in their currency; the seller's balance gets the
		# session's own amount, in its own currency.
		conversion = session.get("currency_conversion") or {}
		amount = conversion.get("amount_total", session["amount_total"])
		currency = conversion.get("source_currency", session["currency"])
		self.money.settle_payment(amount, currency, metadata, payment_intent=session["payment_intent"])

	def async_payment_result(self, session_id: str, succeeded: bool) -> dict[str, Any]:
		"""Settle a completed-but-unpaid session (``checkout.session.async_payment_*``)."""
		with self._lock:
			session = self._get(session_id)
			if session["status"] != "complete" or session["payment_status"] != "unpaid":
				raise ValueError(f"Session {session_id} has no pending payment.")
			if succeeded:
				session["payment_status"] = "paid"
				self._settle(session)
			return copy.deepcopy(session)

	# Money moving at Stripe (the dashboard, the buyer's bank, Stripe itself), for tests.

	def refund(self, payment_intent: str, amount: int | None = None) -> dict[str, Any]:
		"""A refund made in the Stripe dashboard."""
		with self._lock:
			params = {"payment_intent": payment_intent}
			if amount is not None:
				params["amount"] = amount
			return self.money.create_refund(params)

	def fail_refund(self, refund_id: str) -> dict[str, Any]:
		with self._lock:
			return self.money.fail_refund(refund_id)

	def open_dispute(self, payment_intent: str, amount: int | None = None) -> dict[str, Any]:
		with self._lock:
			return self.money.open_dispute(payment_intent, amount)

	def close_dispute(self, dispute_id: str, won: bool, fee_returned: int = 0) -> dict[str, Any]:
		with self._lock:
			return self.money.close_dispute(dispute_id, won, fee_returned)

	def stripe_fee(self, amount: int, currency: str) -> dict[str, Any]:
		with self._lock:
			return self.money.stripe_fee(amount, currency)

	def payout(self, currency: str) -> dict[str, Any]:
		with self._lock:
			return self.money.payout(currency)

	def fail_payout(self, payout_id: str) -> dict[str, Any]:
		with self._lock:
			return self.money.fail_payout(payout_id)

	def balance(self) -> dict[str, int]:
		"""Stripe's balance (available + pending) per currency, in minor units."""
		with self._lock:
			return self.money.balance()

	def balance_transactions(self) -> list[dict[str, Any]]:
		"""Every balance transaction, oldest first."""
		with self._lock:
			return self.money.balance_transactions()

	def expire_now(self, session_id: str) -> dict[str, Any]:
		"""Let an open session run out, as when ``expires_at`` passes."""
		with self._lock:
			session = self._get(session_id)
			if session["status"] != "open":
				raise ValueError(f"Session {session_id} is {session['status']}, not open.")
			session.update(status="expired", url=None)
			return copy.deepcopy(session)

	def sign(self, payload: bytes, timestamp: int | None = None, secret: str | None = None) -> str:
		"""A ``Stripe-Signature`` header: ``t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<payload>">``."""
		ts = int(time.time()) if timestamp is None else int(timestamp)
		key = (secret if secret is not None else self.webhook_secret).encode()
		digest = hmac.new(key, f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
		return f"t={ts},v1={digest}"

	def event_for(self, event_type: str, object_id: str) -> tuple[bytes, str]:
		"""A signed Stripe event whose ``data.object`` is the object (a Checkout Session, refund,
		dispute, payout, charge…) as it is now."""
		with self._lock:
			try:
				found = self.money.get(object_id)
			except KeyError:
				found = self._get(object_id)
			event = {
				"id": _new_id("evt_"),
				"object": "event",
				"api_version": self.api_version,
				"created": int(time.time()),
				"data": {"object": copy.deepcopy(found)},
				"livemode": False,
				"pending_webhooks": 1,
				"request": {"id": None, "idempotency_key": None},
				"type": event_type,
			}
		payload = json.dumps(event, indent=2).encode()
		return payload, self.sign(payload)

	def deliver(self, event_type: str, object_id: str, url: str | None = None) -> tuple[int, bytes]:
		"""POST a signed event to ``url`` (default ``webhook_url``); return (status, body)."""
		target = url or self.webhook_url
		if not target:
			raise ValueError("No webhook URL to deliver to.")
		payload, signature = self.event_for(event_type, object_id)
		request = urllib.request.Request(
			target,
			data=payload,
			method="POST",
			headers={
				"Content-Type": "application/json; charset=utf-8",
				"Stripe-Signature": signature,
				"User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
			},
		)
		opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
		try:
			with opener.open(request, timeout=10) as response:
				return response.status, response.read()
		except urllib.error.HTTPError as exc:
			return exc.code, exc.read()

	# -- internals -------------------------------------------------------------------

	def _get(self, session_id: str) -> dict[str, Any]:
		try:
			return self._sessions[session_id]
		except KeyError:
			raise KeyError(f"No such checkout.session: {session_id!r}") from None

	def _record(self, request: RecordedRequest) -> None:
		with self._lock:
			self._requests.append(request)

	def _authorized(self, header: str | None) -> tuple[bool, str | None]:
		"""Check ``Authorization``; return (ok, key given)."""
		if not header:
			return False, None
		scheme, _, value = header.strip().partition(" ")
		value = value.strip()
		if scheme.lower() == "basic":
			try:
				value = base64.b64decode(value).decode().partition(":")[0]
			except (ValueError, UnicodeDecodeError):
				return False, None
		elif scheme.lower() != "bearer":
			return False, None
		return hmac.compare_digest(value.encode(), self.secret_key.encode()), value

	def handle_api(
		self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
	) -> tuple[int, dict[str, Any], dict[str, str], bool]:
		"""Route one API request; return (status, body, extra headers, replayed)."""
		ok, given = self._authorized(headers.get("authorization"))
		if not ok:
			if given is None:
				message = (
					"You did not provide an API key. You need to provide your API key in the "
					"Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
				)
			else:
				# Stripe shows a redacted key here; echoing it whole lets tests prove callers mask it.
				message = f"Invalid API Key provided: {given}"
			error = _ApiError(401, message)
			return 401, error.body, {"WWW-Authenticate": 'Bearer realm="Stripe"'}, False
		if headers.get("stripe-version"):
			self.api_version = headers["stripe-version"]

		key = headers.get("idempotency-key") if method == "POST" else None
		with self._lock:  # one request at a time: at most one object per idempotency key
			if key is not None:
				if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
					error = _ApiError(
						400, f"Idempotency keys can be at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters long."
					)
					return 400, error.body, {}, False
				stored = self._idempotency.get(key)
				if stored is not None:
					return self._replay(stored, key, method, path, params)
			try:
				status, body = self._route(method, path, params)
				saved = True
			except _ApiError as exc:
				status, body, saved = exc.status, exc.body, exc.saved
			if key is not None and saved:
				self._idempotency[key] = {
					"method": method,
					"path": path,
					"params": copy.deepcopy(params),
					"status": status,
					"body": copy.deepcopy(body),
					"request_id": _new_id("req_"),
				}
			return status, body, {}, False

	def _replay(
		self, stored: dict[str, Any], key: str, method: str, path: str, params: dict[str, Any]
	) -> tuple[int, dict[str, Any], dict[str, str], bool]:
		if (stored["method"], stored["path"]) != (method, path):
			error = _ApiError(
				400,
				"Keys for idempotent requests can only be used for the same endpoint they were first "
				f"used for ('{stored['method']} {stored['path']}' vs '{method} {path}'). Try using a key "
				f"other than '{key}' if you meant to execute a different request.",
				type="idempotency_error",
			)
			return 400, error.body, {}, False
		if stored["params"] != params:
			error = _ApiError(
				400,
				"Keys for idempotent requests can only be used with the same parameters they were first "
				f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
				type="idempotency_error",
			)
			return 400, error.body, {}, False
		headers = {"Idempotent-Replayed": "true", "Original-Request": stored["request_id"]}
		return stored["status"], copy.deepcopy(stored["body"]), headers, True

	def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
		if path == "/v1/checkout/sessions" and method == "POST":
			return 200, self._create_session(params)
		match = _SESSION_PATH.match(path)
		if match and method == "GET":
			return 200, copy.deepcopy(self._existing(match.group(1)))
		match = _EXPIRE_PATH.match(path)
		if match and method == "POST":
			return 200, self._expire_session(match.group(1))
		try:
			answer = self.money.route(method, path, params)
		except MoneyError as exc:
			raise _ApiError(exc.status, exc.message, code=exc.code, param=exc.param, saved=True) from None
		if answer is not None:
			return answer
		raise _ApiError(
			404,
			f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
			"or we can help at https://support.stripe.com/.",
		)

	def _existing(self, session_id: str) -> dict[str, Any]:
		session = self._sessions.get(session_id)
		if session is None:
			raise _ApiError(
				404, f"No such checkout.session: '{session_id}'", code="resource_missing", param="session"
			)
		return session

	def _expire_session(self, session_id: str) -> dict[str, Any]:
		session = self._existing(session_id)
		if session["status"] != "open":
			raise _ApiError(
				400,
				'Only Checkout Sessions with a status in ["open"] can be expired. '
				f"This Checkout Session has a status of `{session['status']}`.",
				saved=True,
			)
		session.update(status="expired", url=None)
		return copy.deepcopy(session)

	def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
		_reject_unknown(params, _CREATE_PARAMS, "")
		mode = _required_str(params, "mode")
		if mode != "payment":
			raise _ApiError(
				400,
				f"Invalid mode: the Stripe stand-in only supports 'payment', not '{mode}'.",
				param="mode",
			)
		success_url = _required_str(params, "success_url")
		_check_url(success_url, "success_url")
		cancel_url = params.get("cancel_url") or None
		if cancel_url is not None:
			_check_url(_as_str(cancel_url, "cancel_url"), "cancel_url")

		now = int(time.time())
		expires_at = now + MAX_EXPIRY_SECONDS
		if params.get("expires_at") not in (None, ""):
			expires_at = _as_int(params["expires_at"], "expires_at")
			if expires_at < now + MIN_EXPIRY_SECONDS:
				raise _ApiError(
					400,
					"The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
					code="parameter_invalid_integer",
					param="expires_at",
				)
			if expires_at > now + MAX_EXPIRY_SECONDS:
				raise _ApiError(
					400,
					"The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
					code="parameter_invalid_integer",
					param="expires_at",
				)

		adaptive = params.get("adaptive_pricing")
		if adaptive is not None:
			if not isinstance(adaptive, dict) or set(adaptive) - {"enabled"}:
				raise _ApiError(400, "Invalid adaptive_pricing: must be a hash.", param="adaptive_pricing")
			if adaptive.get("enabled") not in ("true", "false"):
				raise _ApiError(
					400, "Invalid boolean: adaptive_pricing[enabled]", param="adaptive_pricing[enabled]"
				)
		currency, amount, items = _check_line_items(params.get("line_items"))
		metadata = _check_metadata(params.get("metadata"), "metadata")
		payment_intent_data = params.get("payment_intent_data") or {}
		if not isinstance(payment_intent_data, dict):
			raise _ApiError(400, "Invalid payment_intent_data: must be a hash.", param="payment_intent_data")
		_check_metadata(payment_intent_data.get("metadata"), "payment_intent_data[metadata]")

		client_reference_id = params.get("client_reference_id") or None
		if client_reference_id is not None and len(_as_str(client_reference_id, "client_reference_id")) > 200:
			raise _ApiError(
				400,
				"Invalid client_reference_id: must be at most 200 characters",
				code="parameter_invalid_string_too_long",
				param="client_reference_id",
			)
		customer_email = params.get("customer_email") or None
		if customer_email is not None and not re.fullmatch(
			r"[^@\s]+@[^@\s]+\.[^@\s]+", _as_str(customer_email, "customer_email")
		):
			raise _ApiError(
				400, "Invalid email address: " + customer_email, code="email_invalid", param="customer_email"
			)

		session_id = _new_id("cs_test_")
		session = {
			"id": session_id,
			"object": "checkout.session",
			"after_expiration": None,
			"allow_promotion_codes": None,
			"amount_subtotal": amount,
			"amount_total": amount,
			"automatic_tax": {"enabled": False, "liability": None, "status": None},
			"billing_address_collection": None,
			"cancel_url": cancel_url,
			"client_reference_id": client_reference_id,
			"client_secret": None,
			"consent": None,
			"consent_collection": None,
			"created": now,
			"currency": currency,
			"custom_fields": [],
			"customer": None,
			"customer_creation": "if_required",
			"customer_details": None,
			"customer_email": customer_email,
			"expires_at": expires_at,
			"invoice": None,
			"livemode": self.secret_key.startswith(("sk_live_", "rk_live_")),
			"locale": None,
			"metadata": metadata,
			"mode": "payment",
			"payment_intent": None,
			"payment_link": None,
			"payment_method_collection": "if_required",
			"payment_method_types": list(self.payment_method_types),
			"payment_status": "unpaid",
			"recovered_from": None,
			"setup_intent": None,
			"shipping_address_collection": None,
			"shipping_cost": None,
			"shipping_options": [],
			"status": "open",
			"submit_type": None,
			"subscription": None,
			"success_url": success_url,
			"total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
			"ui_mode": "hosted",
			"url": f"{self.page_base or self.url}/pay/{session_id}",
		}
		self._sessions[session_id] = session
		self._session_extras[session_id] = {"line_items": items, "payment_intent_data": payment_intent_data}
		return copy.deepcopy(session)

	def handle_page(self, method: str, session_id: str) -> tuple[int, str, dict[str, str]]:
		"""The fake hosted checkout page; POST pays and redirects to success_url."""
		with self._lock:
			session = copy.deepcopy(self._sessions.get(session_id))
			extras = copy.deepcopy(self._session_extras.get(session_id, {}))
		if session is None:
			return 404, _page("Not found", "<p>No such Checkout Session.</p>"), {}
		if session["status"] != "open":
			body = f"<p>This Checkout Session is {html.escape(session['status'])}.</p>"
			return 410, _page("Checkout unavailable", body), {}
		if method == "POST":
			try:
				self.complete_session(session_id)
			except ValueError:  # paid or expired meanwhile
				return (
					410,
					_page("Checkout unavailable", "<p>This Checkout Session is no longer open.</p>"),
					{},
				)
			if self.webhook_url:
				try:
					self.deliver("checkout.session.completed", session_id)
				except Exception:  # delivery failures are the receiver's problem, as with Stripe
					pass
			location = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
			return (
				303,
				_page("Redirecting", f'<a href="{html.escape(location)}">Continue</a>'),
				{"Location": location},
			)
		names = ", ".join(
			html.escape(str(item.get("price_data", {}).get("product_data", {}).get("name", "")))
			for item in extras.get("line_items", [])
		)
		cancel = (
			f'<p><a href="{html.escape(session["cancel_url"])}">Cancel and go back</a></p>'
			if session["cancel_url"]
			else ""
		)
		body = (
			f"<h1>{names or 'Payment'}</h1>"
			f'<p class="amount">{html.escape(format_amount(session["amount_total"], session["currency"]))}</p>'
			f'<form method="post" action="/pay/{html.escape(session_id)}">'
			'<button type="submit">Pay</button></form>'
			f"{cancel}<p><small>Stripe stand-in: no real payment is made.</small></p>"
		)
		return 200, _page("Pay", body), {}


def _page(title: str, body: str) -> str:
	return (
		'<!doctype html><html lang="en"><head><meta charset="utf-8">'
		f"<title>{html.escape(title)} - Stripe stand-in</title></head><body>{body}</body></html>"
	)


def _reject_unknown(params: dict[str, Any], allowed: frozenset[str], prefix: str) -> None:
	for name in params:
		if name not in allowed:
			full = f"{prefix}[{name}]" if prefix else name
			raise _ApiError(400, f"Received unknown parameter: {full}", code="parameter_unknown", param=full)


def _as_str(value: Any, param: str) -> str:
	if not isinstance(value, str):
		raise _ApiError(400, f"Invalid {param}: must be a string.", param=param)
	return value


def _required_str(params: dict[str, Any], param: str) -> str:
	value = params.get(param)
	if value in (None, ""):
		raise _ApiError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)
	return _as_str(value, param)


def _as_int(value: Any, param: str) -> int:
	if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
		raise _ApiError(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param)
	return int(value)


def _check_url(value: str, param: str) -> None:
	parsed = urllib.parse.urlparse(value)
	if parsed.scheme not in {"http", "https"} or not parsed.netloc or len(value) > 5000:
		raise _ApiError(400, "Not a valid URL", code="url_invalid", param=param)


def _check_metadata(value: Any, param: str) -> dict[str, str]:
	if value in (None, ""):
		return {}
	if not isinstance(value, dict):
		raise _ApiError(400, f"Invalid {param}: must be a hash.", param=param)
	if len(value) > 50:
		raise _ApiError(400, "You can specify up to 50 keys in metadata.", param=param)
	for key, item in value.items():
		if len(key) > 40 or not isinstance(item, str) or len(item) > 500:
			raise _ApiError(
				400,
				"Metadata keys can be up to 40 characters and values up to 500 characters long.",
				param=f"{param}[{key}]",
			)
	return {key: item for key, item in value.items() if item != ""}


def _check_line_items(value: Any) -> tuple[str, int, list[dict[str, Any]]]:
	"""Validate ``line_items`` with inline ``price_data``; return (currency, total, items)."""
	if value in (None, "") or not isinstance(value, list) or not value:
		raise _ApiError(
			400,
			"`line_items` is required in `payment` mode.",
			code="parameter_missing",
			param="line_items",
		)
	currency = None
	total = 0
	for index, item in enumerate(value):
		prefix = f"line_items[{index}]"
		if not isinstance(item, dict):
			raise _ApiError(400, f"Invalid {prefix}: must be a hash.", param=prefix)
		_reject_unknown(item, _LINE_ITEM_PARAMS, prefix)
		price_data = item.get("price_data")
		if not isinstance(price_data, dict):
			# Saved Prices (line_items[][price]) are not modelled by the stand-in.
			raise _ApiError(
				400,
				f"You must specify either `price` or `price_data` in {prefix}.",
				code="parameter_missing",
				param=f"{prefix}[price_data]",
			)
		_reject_unknown(price_data, _PRICE_DATA_PARAMS, f"{prefix}[price_data]")
		item_currency = _required_str(price_data, "currency")
		if not re.fullmatch(r"[a-z]{3}", item_currency):
			raise _ApiError(
				400,
				f"Invalid currency: {item_currency}. Stripe currently supports these currencies: usd, eur, ...",
				param=f"{prefix}[price_data][currency]",
			)
		if currency is not None and item_currency != currency:
			raise _ApiError(
				400, "All line items must have the same currency.", param=f"{prefix}[price_data][currency]"
			)
		currency = item_currency
		param = f"{prefix}[price_data][unit_amount]"
		if price_data.get("unit_amount") in (None, ""):
			raise _ApiError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)
		unit_amount = _as_int(price_data["unit_amount"], param)
		if unit_amount < 0:
			raise _ApiError(400, "This value must be greater than or equal to 0.", param=param)
		if currency in _WHOLE_UNITS_TIMES_100 and unit_amount % 100:
			raise _ApiError(
				400,
				f"Invalid amount. Currency {currency.upper()} has become effectively zero-decimal and "
				"charged amounts must be evenly divisible by 100.",
				param=param,
			)
		if currency in _THREE_DECIMAL and unit_amount % 10:
			raise _ApiError(
				400,
				f"Invalid amount. Amounts in {currency.upper()} must end in 0 (rounded to the nearest ten).",
				param=param,
			)
		product_data = price_data.get("product_data")
		if not isinstance(product_data, dict) or not product_data.get("name"):
			raise _ApiError(
				400,
				f"Missing required param: {prefix}[price_data][product_data][name].",
				code="parameter_missing",
				param=f"{prefix}[price_data][product_data][name]",
			)
		_reject_unknown(product_data, _PRODUCT_DATA_PARAMS, f"{prefix}[price_data][product_data]")
		if item.get("quantity") in (None, ""):
			raise _ApiError(
				400,
				f"Quantity is required. Add `quantity` to `{prefix}`",
				code="parameter_missing",
				param=f"{prefix}[quantity]",
			)
		quantity = _as_int(item["quantity"], f"{prefix}[quantity]")
		if quantity < 1:
			raise _ApiError(400, "Quantity must be at least 1.", param=f"{prefix}[quantity]")
		total += unit_amount * quantity
	assert currency is not None
	return currency, total, value


def _make_handler(standin: StripeStandIn) -> type[BaseHTTPRequestHandler]:
	class Handler(BaseHTTPRequestHandler):
		server_version = "StripeStandIn/1.0"

		def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
			pass

		def do_GET(self) -> None:
			self._handle("GET")

		def do_POST(self) -> None:
			self._handle("POST")

		def do_DELETE(self) -> None:
			self._handle("DELETE")

		def _handle(self, method: str) -> None:
			split = urllib.parse.urlsplit(self.path)
			path = split.path
			headers = {name.lower(): value for name, value in self.headers.items()}
			length = int(headers.get("content-length") or 0)
			raw_body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
			idempotency_key = headers.get("idempotency-key")
			try:
				pairs = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
				if method == "POST":
					pairs += urllib.parse.parse_qsl(raw_body, keep_blank_values=True)
				params = parse_form(pairs)
			except _ApiError as exc:
				self._record(method, path, idempotency_key, {}, exc.status, False, headers)
				self._send_json(exc.status, exc.body, {})
				return

			page = _PAY_PATH.match(path)
			if page and method in {"GET", "POST"}:
				status, text, extra = standin.handle_page(method, page.group(1))
				self._record(method, path, idempotency_key, params, status, False, headers)
				self._send(status, text.encode(), "text/html; charset=utf-8", extra)
				return

			fault = standin._take_fault(method, path)
			if fault and fault.delay:
				time.sleep(fault.delay)
			if fault and fault.status:
				error = _ApiError(
					fault.status, "The Stripe stand-in was told to fail this request.", type="api_error"
				)
				self._record(method, path, idempotency_key, params, fault.status, False, headers)
				self._send_json(fault.status, error.body, {})
				return
			status, body, extra, replayed = standin.handle_api(method, path, params, headers)
			self._record(method, path, idempotency_key, params, status, replayed, headers)
			if fault and fault.lose_answer:
				self.close_connection = True
				self.connection.shutdown(2)  # socket.SHUT_RDWR: the caller never hears the answer
				return
			if idempotency_key:
				extra = {"Idempotency-Key": idempotency_key, **extra}
			self._send_json(status, body, extra)

		def _record(
			self,
			method: str,
			path: str,
			key: str | None,
			params: dict[str, Any],
			status: int,
			replayed: bool,
			headers: dict[str, str],
		) -> None:
			standin._record(RecordedRequest(method, path, key, params, status, replayed, headers))

		def _send_json(self, status: int, body: dict[str, Any], extra: dict[str, str]) -> None:
			headers = {"Request-Id": _new_id("req_"), "Stripe-Version": standin.api_version, **extra}
			self._send(status, json.dumps(body, indent=2).encode(), "application/json", headers)

		def _send(self, status: int, data: bytes, content_type: str, extra: dict[str, str]) -> None:
			self.send_response(status)
			self.send_header("Content-Type", content_type)
			self.send_header("Content-Length", str(len(data)))
			for name, value in extra.items():
				self.send_header(name, value)
			self.end_headers()
			self.wfile.write(data)

	return Handler


def main(argv: list[str] | None = None) -> None:
	"""Run a stand-in in the foreground until interrupted."""
	parser = argparse.ArgumentParser(description="Run a local Stripe stand-in for demos.")
	parser.add_argument("--host", default="127.0.0.1")
	parser.add_argument("--port", type=int, default=12111)
	parser.add_argument("--webhook-url", default=None, help="where to POST checkout.session.completed")
	parser.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
	parser.add_argument("--webhook-secret", default=DEFAULT_WEBHOOK_SECRET)
	args = parser.parse_args(argv)
	standin = StripeStandIn(
		secret_key=args.secret_key,
		webhook_secret=args.webhook_secret,
		host=args.host,
		port=args.port,
		webhook_url=args.webhook_url,
	).start()
	print(f"Stripe stand-in listening on {standin.url}", flush=True)
	print(f"  API base (api_base):  {standin.url}")
	print(f"  Secret key:           {standin.secret_key}")
	print(f"  Webhook secret:       {standin.webhook_secret}")
	print(f"  Webhook URL:          {standin.webhook_url or '(none)'}", flush=True)
	try:
		while True:
			time.sleep(3600)
	except KeyboardInterrupt:
		pass
	finally:
		standin.stop()


if __name__ == "__main__":
	main()
