"""StripeGateway and construct_event, driving the real stripe package against the local stand-in."""

import base64
import http.client
import json
import socket
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest
import stripe

from invoice_share.payments import stripe_api
from invoice_share.payments.amounts import to_minor_units
from invoice_share.payments.stripe_api import (
	InvalidSignature,
	StripeGateway,
	StripeGatewayError,
	construct_event,
	mask_secret,
)
from invoice_share.tests.stripe_standin import StripeStandIn

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning")

SUCCESS_URL = "https://erp.example.com/invoice-share/paid?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://erp.example.com/invoice-share/view/abc"
_STRIPE_GLOBALS = (
	"api_key",
	"api_base",
	"api_version",
	"max_network_retries",
	"default_http_client",
	"proxy",
)


@pytest.fixture(autouse=True)
def stripe_globals_untouched() -> Iterator[None]:
	before = {name: getattr(stripe, name, None) for name in _STRIPE_GLOBALS}
	yield
	assert {name: getattr(stripe, name, None) for name in _STRIPE_GLOBALS} == before


@pytest.fixture
def standin() -> Iterator[StripeStandIn]:
	with StripeStandIn() as server:
		yield server
		# Whatever a test did, nothing may have gone through the legacy Charges API.
		assert not [r for r in server.requests if r.path.startswith("/v1/charges")]


@pytest.fixture
def gateway(standin: StripeStandIn) -> StripeGateway:
	return StripeGateway(standin.secret_key, api_base=standin.url)


@pytest.fixture
def receiver() -> Iterator[SimpleNamespace]:
	"""A webhook endpoint that records what it is sent."""
	received: list[tuple[bytes, str | None]] = []

	class Handler(BaseHTTPRequestHandler):
		def do_POST(self) -> None:
			body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
			received.append((body, self.headers.get("Stripe-Signature")))
			self.send_response(200)
			self.send_header("Content-Length", "2")
			self.end_headers()
			self.wfile.write(b"ok")

		def log_message(self, *args: Any) -> None:
			pass

	server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
	thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
	thread.start()
	yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_address[1]}/webhook", received=received)
	server.shutdown()
	server.server_close()


# Fixed once: every call made under one idempotency key must send the very same parameters, and a
# clock read per call would differ between two calls that straddle a second.
EXPIRES_AT = int(time.time()) + 3600


def _create(gateway: StripeGateway, **overrides: Any) -> dict[str, Any]:
	kwargs: dict[str, Any] = {
		"amount_minor": 1999,
		"currency": "USD",
		"product_name": "Sales Invoice ACC-SINV-2025-00001",
		"success_url": SUCCESS_URL,
		"cancel_url": CANCEL_URL,
		"expires_at": EXPIRES_AT,
		"metadata": {"sales_invoice": "ACC-SINV-2025-00001", "site": "erp.example.com"},
		"idempotency_key": "invoice-share-ACC-SINV-2025-00001-1999-1",
	}
	kwargs.update(overrides)
	return gateway.create_checkout_session(**kwargs)


def _assert_plain(value: Any) -> None:
	assert not isinstance(value, stripe.StripeObject)
	if isinstance(value, dict):
		assert type(value) is dict
		for item in value.values():
			_assert_plain(item)
	elif isinstance(value, list):
		assert type(value) is list
		for item in value:
			_assert_plain(item)


def _open(request: urllib.request.Request) -> tuple[int, bytes]:
	opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
	try:
		with opener.open(request, timeout=10) as response:
			return response.status, response.read()
	except urllib.error.HTTPError as exc:
		return exc.code, exc.read()


def _api_posts(standin: StripeStandIn) -> list:
	return [r for r in standin.requests if r.method == "POST" and r.path == "/v1/checkout/sessions"]


# -- creating, retrieving, expiring ----------------------------------------------------


def test_create_sends_the_given_amount_and_returns_plain_dicts(standin, gateway):
	expires_at = int(time.time()) + 7200
	session = _create(
		gateway,
		amount_minor=to_minor_units("19.99", "USD"),
		expires_at=expires_at,
		client_reference_id="ACC-SINV-2025-00001",
		customer_email="buyer@example.com",
		description="Payment for ACC-SINV-2025-00001",
	)

	_assert_plain(session)
	assert session["id"].startswith("cs_test_")
	assert session["object"] == "checkout.session"
	assert session["mode"] == "payment"
	assert (session["status"], session["payment_status"], session["payment_intent"]) == (
		"open",
		"unpaid",
		None,
	)
	assert (session["amount_total"], session["currency"]) == (1999, "usd")
	assert session["url"] == f"{standin.url}/pay/{session['id']}"
	assert session["expires_at"] == expires_at
	assert session["metadata"] == {"sales_invoice": "ACC-SINV-2025-00001", "site": "erp.example.com"}
	assert session["client_reference_id"] == "ACC-SINV-2025-00001"
	assert session["customer_email"] == "buyer@example.com"
	assert session["success_url"] == SUCCESS_URL
	assert session["livemode"] is False

	(request,) = _api_posts(standin)
	assert request.idempotency_key == "invoice-share-ACC-SINV-2025-00001-1999-1"
	assert request.headers["authorization"] == f"Bearer {standin.secret_key}"
	assert request.params == {
		"mode": "payment",
		# Adaptive Pricing off: the buyer pays the invoice's own currency and amount.
		"adaptive_pricing": {"enabled": "false"},
		"line_items": [
			{
				"price_data": {
					"currency": "usd",
					"unit_amount": "1999",
					"product_data": {"name": "Sales Invoice ACC-SINV-2025-00001"},
				},
				"quantity": "1",
			}
		],
		"success_url": SUCCESS_URL,
		"cancel_url": CANCEL_URL,
		"expires_at": str(expires_at),
		"metadata": {"sales_invoice": "ACC-SINV-2025-00001", "site": "erp.example.com"},
		"payment_intent_data": {
			"metadata": {"sales_invoice": "ACC-SINV-2025-00001", "site": "erp.example.com"},
			"description": "Payment for ACC-SINV-2025-00001",
		},
		"client_reference_id": "ACC-SINV-2025-00001",
		"customer_email": "buyer@example.com",
	}


def test_optional_fields_are_left_out(standin, gateway):
	session = _create(gateway, metadata={}, currency="eur")
	(request,) = _api_posts(standin)
	assert set(request.params) == {
		"mode",
		"adaptive_pricing",
		"line_items",
		"success_url",
		"cancel_url",
		"expires_at",
	}
	# No payment_method_types: what the seller enabled in the dashboard is offered.
	assert "payment_method_types" not in request.params
	assert session["metadata"] == {}
	assert session["client_reference_id"] is None
	assert session["currency"] == "eur"


@pytest.mark.parametrize(
	("amount", "currency"),
	[
		("19.99", "USD"),
		("5000", "JPY"),
		("5.124", "KWD"),
		("1500", "ISK"),
		("60000", "UGX"),
		("800.45", "TWD"),
	],
)
def test_minor_units_are_accepted_as_sent(standin, gateway, amount, currency):
	minor = to_minor_units(amount, currency)
	session = _create(gateway, amount_minor=minor, currency=currency)
	assert session["amount_total"] == minor
	assert _api_posts(standin)[0].params["line_items"][0]["price_data"]["unit_amount"] == str(minor)


@pytest.mark.parametrize(("minor", "currency"), [(5124, "KWD"), (1550, "ISK"), (60001, "UGX")])
def test_amounts_breaking_stripe_currency_rules_are_refused(standin, gateway, minor, currency):
	with pytest.raises(StripeGatewayError) as info:
		_create(gateway, amount_minor=minor, currency=currency)
	assert info.value.http_status == 400
	assert info.value.param == "line_items[0][price_data][unit_amount]"
	assert standin.sessions == {}


def test_retrieve(standin, gateway):
	created = _create(gateway)
	fetched = gateway.retrieve_checkout_session(created["id"])
	_assert_plain(fetched)
	assert fetched == created
	assert standin.requests[-1].method == "GET"
	assert standin.requests[-1].path == f"/v1/checkout/sessions/{created['id']}"


def test_expire(standin, gateway):
	created = _create(gateway)
	expired = gateway.expire_checkout_session(created["id"])
	assert (expired["id"], expired["status"], expired["url"]) == (created["id"], "expired", None)
	assert gateway.retrieve_checkout_session(created["id"])["status"] == "expired"
	assert standin.requests[-2].path == f"/v1/checkout/sessions/{created['id']}/expire"

	with pytest.raises(StripeGatewayError) as info:
		gateway.expire_checkout_session(created["id"])
	assert info.value.http_status == 400
	assert info.value.error_type == "invalid_request_error"
	assert 'Only Checkout Sessions with a status in ["open"] can be expired' in info.value.user_message


def test_completed_session_cannot_be_expired(standin, gateway):
	created = _create(gateway)
	standin.complete_session(created["id"])
	with pytest.raises(StripeGatewayError) as info:
		gateway.expire_checkout_session(created["id"])
	assert "status of `complete`" in str(info.value)


@pytest.mark.parametrize("call", ["retrieve_checkout_session", "expire_checkout_session"])
def test_unknown_session_is_resource_missing(gateway, call):
	with pytest.raises(StripeGatewayError) as info:
		getattr(gateway, call)("cs_test_doesnotexist")
	assert (info.value.http_status, info.value.code, info.value.param) == (404, "resource_missing", "session")
	assert "cs_test_doesnotexist" in info.value.user_message


def test_stripe_validation_errors_are_wrapped(standin, gateway):
	with pytest.raises(StripeGatewayError) as info:
		_create(gateway, expires_at=int(time.time()) + 600)
	assert info.value.http_status == 400
	assert info.value.param == "expires_at"
	assert info.value.code == "parameter_invalid_integer"
	assert "30 minutes" in info.value.user_message
	assert info.value.request_id and info.value.request_id.startswith("req_")
	assert standin.sessions == {}


def test_default_api_base_is_stripe():
	# Building a gateway needs no network; this guards the constructor on every stripe-python.
	gateway = StripeGateway("sk_test_no_network_needed")
	assert gateway._client._requestor._options.base_addresses["api"] == "https://api.stripe.com"


def test_local_argument_checks(gateway):
	for bad in (0, -5, 19.99, "1999", True):
		with pytest.raises(ValueError):
			_create(gateway, amount_minor=bad)
	with pytest.raises(ValueError):
		_create(gateway, idempotency_key="")
	with pytest.raises(ValueError):
		gateway.retrieve_checkout_session("  ")
	with pytest.raises(ValueError):
		StripeGateway("")


# -- idempotency ---------------------------------------------------------------------------


def test_idempotent_retry_returns_the_same_session(standin, gateway):
	first = _create(gateway)
	second = _create(gateway)
	assert second == first
	assert list(standin.sessions) == [first["id"]]
	posts = _api_posts(standin)
	assert [(p.idempotency_key, p.status, p.replayed) for p in posts] == [
		("invoice-share-ACC-SINV-2025-00001-1999-1", 200, False),
		("invoice-share-ACC-SINV-2025-00001-1999-1", 200, True),
	]


def test_a_new_key_creates_a_new_session(standin, gateway):
	first = _create(gateway)
	second = _create(gateway, idempotency_key="invoice-share-ACC-SINV-2025-00001-1999-2")
	assert first["id"] != second["id"]
	assert len(standin.sessions) == 2


def test_same_key_with_different_parameters_is_refused(standin, gateway):
	first = _create(gateway)
	with pytest.raises(StripeGatewayError) as info:
		_create(gateway, amount_minor=2999)
	assert info.value.http_status == 400
	assert info.value.error_type == "idempotency_error"
	assert "same parameters" in info.value.user_message
	assert list(standin.sessions) == [first["id"]]


def test_concurrent_retries_create_one_session(standin):
	results: list[str] = []

	def worker() -> None:
		results.append(_create(StripeGateway(standin.secret_key, api_base=standin.url))["id"])

	threads = [threading.Thread(target=worker) for _ in range(6)]
	for thread in threads:
		thread.start()
	for thread in threads:
		thread.join(timeout=30)
	assert len(results) == 6
	assert len(set(results)) == 1
	assert len(standin.sessions) == 1


# -- errors and secrets ----------------------------------------------------------------------


def test_wrong_key_is_wrapped_and_masked(standin):
	wrong_key = "sk_test_51NotTheRightKeyAtAll0000wxyz"
	with pytest.raises(StripeGatewayError) as info:
		StripeGateway(wrong_key, api_base=standin.url).retrieve_checkout_session("cs_test_x")
	error = info.value
	assert error.http_status == 401
	assert standin.requests[-1].status == 401
	assert "Invalid API Key provided: sk_...wxyz" in error.user_message
	rendered = "".join(traceback.format_exception(error)) + repr(error) + repr(error.args)
	assert wrong_key not in rendered
	assert "NotTheRightKey" not in rendered
	assert error.__cause__ is None and error.__suppress_context__


def test_wrong_key_on_create_is_masked(standin):
	wrong_key = "rk_live_AbCdEfGhIjKlMnOp9876"
	with pytest.raises(StripeGatewayError) as info:
		_create(StripeGateway(wrong_key, api_base=standin.url))
	assert info.value.http_status == 401
	assert wrong_key not in str(info.value)
	assert "rk_...9876" in str(info.value)
	assert standin.sessions == {}


def test_connection_errors_are_wrapped():
	with socket.socket() as sock:
		sock.bind(("127.0.0.1", 0))
		port = sock.getsockname()[1]
	gateway = StripeGateway("sk_test_standin_x", api_base=f"http://127.0.0.1:{port}", max_network_retries=0)
	with pytest.raises(StripeGatewayError) as info:
		gateway.retrieve_checkout_session("cs_test_x")
	assert info.value.http_status is None


@pytest.mark.parametrize(
	("text", "expected"),
	[
		("Invalid API Key provided: sk_test_51AbCdEf0123456789wxyz", "Invalid API Key provided: sk_...wxyz"),
		("key=sk_live_AAAABBBBCCCC1234.", "key=sk_...1234."),
		("restricted rk_test_ZZZZ9999yyyy and rk_live_QQQQ5678", "restricted rk_...yyyy and rk_...5678"),
		("stripe already redacted sk_test_********************abcd", "stripe already redacted sk_...abcd"),
		("config_sk_test_abcdefgh1234", "config_sk_...1234"),
		("whsec_abcdefghijklmnop5555 leaked", "whsec_...5555 leaked"),
		("no secrets: pk_test_abc, task_list, desk_lamp", "no secrets: pk_test_abc, task_list, desk_lamp"),
		("masked twice sk_...abcd", "masked twice sk_...abcd"),
	],
)
def test_mask_secret(text, expected):
	assert mask_secret(text) == expected


# -- completion and webhooks -------------------------------------------------------------------


def test_completion_flow(standin, gateway):
	created = _create(gateway)
	standin.complete_session(created["id"])

	session = gateway.retrieve_checkout_session(created["id"])
	assert (session["status"], session["payment_status"]) == ("complete", "paid")
	assert session["payment_intent"].startswith("pi_")
	assert session["url"] is None

	payload, signature = standin.event_for("checkout.session.completed", created["id"])
	event = construct_event(payload, signature, standin.webhook_secret)
	_assert_plain(event)
	assert event["id"].startswith("evt_")
	assert (event["object"], event["type"], event["livemode"]) == (
		"event",
		"checkout.session.completed",
		False,
	)
	assert event["data"]["object"] == session
	assert event["data"]["object"]["metadata"]["sales_invoice"] == "ACC-SINV-2025-00001"


@pytest.mark.parametrize(
	("succeeded", "event_type", "final_status"),
	[
		(True, "checkout.session.async_payment_succeeded", "paid"),
		(False, "checkout.session.async_payment_failed", "unpaid"),
	],
)
def test_delayed_payment_flow(standin, gateway, succeeded, event_type, final_status):
	created = _create(gateway)
	standin.complete_session(created["id"], payment_status="unpaid")
	assert gateway.retrieve_checkout_session(created["id"])["payment_status"] == "unpaid"

	standin.async_payment_result(created["id"], succeeded)
	event = construct_event(*standin.event_for(event_type, created["id"]), standin.webhook_secret)
	assert event["type"] == event_type
	assert event["data"]["object"]["status"] == "complete"
	assert event["data"]["object"]["payment_status"] == final_status


def test_mismatch_and_expiry_controls(standin, gateway):
	created = _create(gateway)
	standin.complete_session(created["id"], amount_total=1, currency="EUR")
	session = gateway.retrieve_checkout_session(created["id"])
	assert (session["amount_total"], session["currency"]) == (1, "eur")

	other = _create(gateway, idempotency_key="another")
	standin.expire_now(other["id"])
	assert gateway.retrieve_checkout_session(other["id"])["status"] == "expired"
	with pytest.raises(ValueError):
		standin.complete_session(other["id"])


def test_construct_event_accepts_a_signed_event(standin, gateway):
	created = _create(gateway)
	payload, signature = standin.event_for("checkout.session.expired", created["id"])
	assert signature.startswith("t=") and ",v1=" in signature
	event = construct_event(payload, signature, standin.webhook_secret)
	assert event["type"] == "checkout.session.expired"
	assert event["data"]["object"]["id"] == created["id"]


def _rejects(payload: bytes, header: str | None, secret: str, tolerance: int = 300) -> None:
	with pytest.raises(InvalidSignature):
		construct_event(payload, header, secret, tolerance)


def test_construct_event_rejects_a_tampered_body(standin, gateway):
	created = _create(gateway)
	payload, signature = standin.event_for("checkout.session.completed", created["id"])
	assert construct_event(payload, signature, standin.webhook_secret)
	tampered = payload.replace(b'"amount_total": 1999', b'"amount_total": 1')
	assert tampered != payload
	_rejects(tampered, signature, standin.webhook_secret)


def test_construct_event_rejects_the_wrong_secret(standin, gateway):
	created = _create(gateway)
	payload, _ = standin.event_for("checkout.session.completed", created["id"])
	_rejects(payload, standin.sign(payload, secret="whsec_someone_else"), standin.webhook_secret)
	_rejects(payload, standin.sign(payload), "whsec_someone_else")


def test_construct_event_rejects_a_stale_timestamp(standin, gateway):
	created = _create(gateway)
	payload, _ = standin.event_for("checkout.session.completed", created["id"])
	old = int(time.time()) - 100
	assert construct_event(payload, standin.sign(payload, timestamp=old), standin.webhook_secret)
	_rejects(payload, standin.sign(payload, timestamp=old), standin.webhook_secret, tolerance=60)
	_rejects(payload, standin.sign(payload, timestamp=int(time.time()) - 301), standin.webhook_secret)


def test_construct_event_rejects_missing_or_garbled_headers(standin, gateway):
	created = _create(gateway)
	payload, signature = standin.event_for("checkout.session.completed", created["id"])
	for header in (
		None,
		"",
		"garbage",
		"t=abc,v1=00",
		signature.split(",")[0],
		"v1=" + signature.split("v1=")[1],
	):
		_rejects(payload, header, standin.webhook_secret)
	_rejects(payload, signature, "")


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'{"no": "type"}', b"\xff\xfe"])
def test_construct_event_rejects_signed_garbage(standin, payload):
	_rejects(payload, standin.sign(payload), standin.webhook_secret)


def test_deliver_posts_a_signed_event(standin, gateway, receiver):
	created = _create(gateway)
	status, body = standin.deliver("checkout.session.completed", created["id"], url=receiver.url)
	assert (status, body) == (200, b"ok")
	((payload, signature),) = receiver.received
	event = construct_event(payload, signature, standin.webhook_secret)
	assert event["data"]["object"]["id"] == created["id"]


def test_hosted_page_flow(standin, gateway, receiver):
	standin.webhook_url = receiver.url
	created = _create(gateway, amount_minor=123456, currency="eur")

	status, page = _open(urllib.request.Request(created["url"]))
	assert status == 200
	assert b"1234.56 EUR" in page
	assert b"Sales Invoice ACC-SINV-2025-00001" in page
	assert b"<button" in page and b"Pay" in page
	assert CANCEL_URL.encode() in page

	parts = urllib.parse.urlsplit(created["url"])
	connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
	connection.request(
		"POST", parts.path, body=b"", headers={"Content-Type": "application/x-www-form-urlencoded"}
	)
	response = connection.getresponse()
	response.read()
	connection.close()
	assert response.status == 303
	assert response.getheader("Location") == SUCCESS_URL.replace("{CHECKOUT_SESSION_ID}", created["id"])

	session = gateway.retrieve_checkout_session(created["id"])
	assert (session["status"], session["payment_status"]) == ("complete", "paid")
	((payload, signature),) = receiver.received
	event = construct_event(payload, signature, standin.webhook_secret)
	assert event["type"] == "checkout.session.completed"
	assert event["data"]["object"]["id"] == created["id"]

	status, _ = _open(urllib.request.Request(created["url"], method="POST", data=b""))
	assert status == 410  # cannot pay twice


# -- the stand-in's own guarantees that the tests above rely on ---------------------------------


def test_legacy_charges_api_is_detected(standin):
	request = urllib.request.Request(
		f"{standin.url}/v1/charges",
		data=b"amount=1999&currency=usd",
		method="POST",
		headers={"Authorization": f"Bearer {standin.secret_key}"},
	)
	status, body = _open(request)
	assert status == 404
	assert json.loads(body)["error"]["type"] == "invalid_request_error"
	assert [r.path for r in standin.requests] == ["/v1/charges"]
	standin._requests.clear()  # let the fixture's own check pass: the detection is what is tested here


def test_authentication(standin, gateway):
	created = _create(gateway)
	url = f"{standin.url}/v1/checkout/sessions/{created['id']}"

	status, body = _open(urllib.request.Request(url))
	assert status == 401
	error = json.loads(body)["error"]
	assert error["type"] == "invalid_request_error" and "API key" in error["message"]

	basic = base64.b64encode(f"{standin.secret_key}:".encode()).decode()
	status, body = _open(urllib.request.Request(url, headers={"Authorization": f"Basic {basic}"}))
	assert status == 200
	assert json.loads(body)["id"] == created["id"]


def test_module_wide_stripe_settings_are_neither_used_nor_changed(standin, monkeypatch):
	monkeypatch.setattr(stripe, "api_key", "sk_test_global_that_must_not_be_used")
	monkeypatch.setattr(stripe, "api_base", "http://127.0.0.1:9")
	gateway = StripeGateway(standin.secret_key, api_base=standin.url)
	created = _create(gateway)
	assert gateway.retrieve_checkout_session(created["id"])["id"] == created["id"]
	assert stripe.api_key == "sk_test_global_that_must_not_be_used"
	assert stripe.api_base == "http://127.0.0.1:9"
	assert all(r.headers["authorization"] == f"Bearer {standin.secret_key}" for r in standin.requests)


def test_no_deprecation_warnings(standin):
	with warnings.catch_warnings(record=True) as caught:
		warnings.simplefilter("always")
		gateway = StripeGateway(standin.secret_key, api_base=standin.url)
		created = _create(gateway)
		gateway.retrieve_checkout_session(created["id"])
		gateway.expire_checkout_session(created["id"])
		construct_event(*standin.event_for("checkout.session.expired", created["id"]), standin.webhook_secret)
	assert [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)] == []


def test_key_fingerprint_names_the_key_without_showing_it():
	live, test = "sk_live_" + "a" * 40, "sk_test_" + "a" * 40
	assert stripe_api.key_fingerprint(live) == stripe_api.key_fingerprint(live)
	assert stripe_api.key_fingerprint(live) != stripe_api.key_fingerprint(test)
	assert "a" * 8 not in stripe_api.key_fingerprint(live)
	assert stripe_api.key_fingerprint("") == ""
	assert (stripe_api.key_mode(live), stripe_api.key_mode("rk_test_x"), stripe_api.key_mode("x")) == (
		"live",
		"test",
		"",
	)


@pytest.mark.parametrize(
	("url", "origin"),
	[
		("https://checkout.stripe.com/c/pay/cs_test_1#frag", "https://checkout.stripe.com"),
		("https://pay.example.com:8443/c/pay/cs_1", "https://pay.example.com:8443"),
		("http://127.0.0.1:5000/pay/cs_1", "http://127.0.0.1:5000"),
		("javascript:alert(1)", None),
		("", None),
		(None, None),
	],
)
def test_checkout_origin(url, origin):
	assert stripe_api.checkout_origin(url) == origin


def test_adaptive_pricing_session_is_read_in_its_own_currency(standin, gateway):
	session = _create(gateway, amount_minor=10000, currency="eur", idempotency_key="ap-1")
	paid = standin.complete_session(session["id"], presentment=(11234, "usd"))
	assert (paid["amount_total"], paid["currency"]) == (11234, "usd")
	assert stripe_api.paid_amount(paid) == (10000, "EUR")
	assert stripe_api.paid_amount(gateway.retrieve_checkout_session(session["id"])) == (10000, "EUR")
	plain = _create(gateway, amount_minor=500, currency="eur", idempotency_key="ap-2")
	assert stripe_api.paid_amount(standin.complete_session(plain["id"])) == (500, "EUR")


def test_what_the_account_offers_is_what_the_session_says(standin, gateway):
	standin.payment_method_types = ["card", "sepa_debit"]
	session = _create(gateway)
	assert session["payment_method_types"] == ["card", "sepa_debit"]
