"""Thin wrapper over stripe-python (10.12 to 16.x) for Checkout Sessions, the money that moved
(payments, refunds, disputes, payouts and their balance transactions) and webhooks.

No Frappe import and no module-wide stripe settings: every gateway owns a
``stripe.StripeClient``. Results are plain dicts, errors are StripeGatewayError.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

import stripe

DEFAULT_TIMEOUT = 30  # seconds per HTTP request (stripe-python's own default is 80)
DEFAULT_MAX_NETWORK_RETRIES = 1  # retries reuse the same Idempotency-Key, so they are safe

# sk_/rk_ (secret and restricted API keys) and whsec_ (webhook signing secrets); Stripe
# itself echoes keys as e.g. "sk_test_****abcd", hence the "*".
_SECRET_RE = re.compile(r"(?<![A-Za-z0-9])(sk|rk|whsec)_[A-Za-z0-9_*]+")


def mask_secret(text: str) -> str:
	"""Replace every secret key in ``text`` with e.g. ``sk_...abcd`` (its last 4 characters)."""
	return _SECRET_RE.sub(lambda m: f"{m.group(1)}_...{m.group(0)[-4:]}", text)


def key_fingerprint(secret_key: str) -> str:
	"""A short, stable fingerprint of a secret key (never the key), naming the Stripe account and
	mode a session was made with: a session of another key is not ours to reuse or check."""
	if not secret_key:
		return ""
	return hashlib.sha256(f"invoice-share-stripe-key\x1f{secret_key}".encode()).hexdigest()[:20]


def key_mode(secret_key: str) -> str:
	"""'live' or 'test' from the key's own prefix (sk_live_…, rk_test_…); '' when it has none."""
	match = re.match(r"(?:sk|rk)_(live|test)_", secret_key or "")
	return match.group(1) if match else ""


def checkout_origin(url: str | None) -> str | None:
	"""The origin (scheme://host[:port]) of a Checkout Session's hosted page, or None."""
	from urllib.parse import urlsplit

	if not url or not isinstance(url, str):
		return None
	parts = urlsplit(url)
	if parts.scheme not in ("https", "http") or not parts.hostname:
		return None
	host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
	port = f":{parts.port}" if parts.port else ""
	return f"{parts.scheme}://{host}{port}"


def paid_amount(session: Mapping[str, Any]) -> tuple[int | None, str]:
	"""What the session took, in the currency it was made in: (minor units, ISO code).

	With Adaptive Pricing the buyer may pay in another (presentment) currency; Stripe then reports
	the session's own amount in ``currency_conversion`` (``amount_total`` in ``source_currency``).
	"""
	conversion = session.get("currency_conversion")
	if isinstance(conversion, Mapping) and conversion.get("source_currency"):
		return conversion.get("amount_total"), str(conversion["source_currency"]).upper()
	return session.get("amount_total"), str(session.get("currency") or "").upper()


class StripeGatewayError(Exception):
	"""A failed Stripe call; ``user_message`` never contains a secret key."""

	def __init__(
		self,
		user_message: str,
		*,
		code: str | None = None,
		http_status: int | None = None,
		error_type: str | None = None,
		param: str | None = None,
		request_id: str | None = None,
	) -> None:
		self.user_message = mask_secret(user_message)
		self.code = code
		self.http_status = http_status
		self.error_type = error_type  # e.g. "invalid_request_error", "idempotency_error"
		self.param = param
		self.request_id = request_id
		super().__init__(self.user_message)

	@classmethod
	def from_stripe_error(cls, exc: stripe.StripeError) -> StripeGatewayError:
		body = exc.json_body if isinstance(exc.json_body, dict) else {}
		error = body.get("error") if isinstance(body.get("error"), dict) else {}
		return cls(
			exc.user_message or str(exc) or type(exc).__name__,
			code=exc.code or error.get("code"),
			http_status=exc.http_status,
			error_type=error.get("type"),
			param=error.get("param"),
			request_id=getattr(exc, "request_id", None),
		)


class InvalidSignature(ValueError):
	"""A webhook whose Stripe-Signature is missing, wrong or stale, or whose body is not an event."""


def to_plain(value: Any) -> Any:
	"""Recursively turn StripeObjects (a dict subclass before v15, not after) into dicts and lists."""
	if isinstance(value, stripe.StripeObject) and not isinstance(value, dict):
		value = value.to_dict(recursive=False)
	if isinstance(value, Mapping):
		return {key: to_plain(item) for key, item in value.items()}
	if isinstance(value, list | tuple):
		return [to_plain(item) for item in value]
	return value


class StripeGateway:
	"""Checkout Sessions through one secret key (and optionally another API base)."""

	def __init__(
		self,
		secret_key: str,
		api_base: str | None = None,
		*,
		timeout: int = DEFAULT_TIMEOUT,
		max_network_retries: int = DEFAULT_MAX_NETWORK_RETRIES,
	) -> None:
		if not secret_key or not isinstance(secret_key, str):
			raise ValueError("A Stripe secret key is required.")
		self._client = stripe.StripeClient(
			secret_key,
			# {} rather than None: stripe-python 10.x unpacks it with ** unconditionally.
			base_addresses={"api": api_base.rstrip("/")} if api_base else {},
			max_network_retries=max_network_retries,
			http_client=stripe.RequestsClient(timeout=timeout),
		)

	@property
	def _services(self) -> Any:
		# stripe-python >= 12 groups services under client.v1 (and from 13 on warns when the
		# old attributes are used); 10.x/11.x only have them on the client itself.
		return getattr(self._client, "v1", None) or self._client

	@property
	def _sessions(self) -> Any:
		return self._services.checkout.sessions

	def create_checkout_session(
		self,
		*,
		amount_minor: int,
		currency: str,
		product_name: str,
		success_url: str,
		cancel_url: str,
		expires_at: int,
		metadata: dict[str, str],
		idempotency_key: str,
		client_reference_id: str | None = None,
		customer_email: str | None = None,
		description: str | None = None,
	) -> dict[str, Any]:
		"""Create a one-line ``mode=payment`` session for ``amount_minor`` and return it.

		``metadata`` goes on the session and on its PaymentIntent; ``description`` becomes
		the PaymentIntent's description (Checkout Sessions have no description of their own).
		"""
		if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
			raise ValueError(f"amount_minor must be a positive integer, not {amount_minor!r}.")
		if not idempotency_key:
			raise ValueError("An idempotency key is required.")
		plain_metadata = {str(key): str(value) for key, value in metadata.items()}
		payment_intent_data: dict[str, Any] = {}
		if plain_metadata:
			payment_intent_data["metadata"] = plain_metadata
		if description:
			payment_intent_data["description"] = description
		params: dict[str, Any] = {
			"mode": "payment",
			# The buyer pays in the invoice's currency: the amount is ERPNext's, and Stripe's own
			# conversion at checkout would make another (Adaptive Pricing is on by default).
			# (as text: stripe-python before 11 would send a Python bool as "False")
			"adaptive_pricing": {"enabled": "false"},
			"line_items": [
				{
					"price_data": {
						"currency": currency.strip().lower(),
						"unit_amount": amount_minor,
						"product_data": {"name": product_name},
					},
					"quantity": 1,
				}
			],
			"success_url": success_url,
			"cancel_url": cancel_url,
			"expires_at": int(expires_at),
		}
		# An empty dict would be sent as "metadata=" which Stripe reads as "unset".
		if plain_metadata:
			params["metadata"] = plain_metadata
		if payment_intent_data:
			params["payment_intent_data"] = payment_intent_data
		if client_reference_id:
			params["client_reference_id"] = client_reference_id
		if customer_email:
			params["customer_email"] = customer_email
		return self._call(self._sessions.create, params=params, options={"idempotency_key": idempotency_key})

	def retrieve_checkout_session(self, session_id: str) -> dict[str, Any]:
		"""Fetch a session by id."""
		return self._call(self._sessions.retrieve, _session_id(session_id))

	def expire_checkout_session(self, session_id: str) -> dict[str, Any]:
		"""Expire an open session so it can no longer be paid."""
		return self._call(self._sessions.expire, _session_id(session_id))

	# -- money: what moved, read from Stripe (an event is only a hint to look) ---------------

	def retrieve_payment_intent(self, payment_intent: str) -> dict[str, Any]:
		"""A PaymentIntent with its latest charge and that charge's balance transaction."""
		return self._call(
			self._services.payment_intents.retrieve,
			_object_id(payment_intent),
			params={"expand": ["latest_charge.balance_transaction"]},
		)

	def retrieve_charge(self, charge: str) -> dict[str, Any]:
		return self._call(
			self._services.charges.retrieve, _object_id(charge), params={"expand": ["balance_transaction"]}
		)

	def retrieve_balance_transaction(self, balance_transaction: str) -> dict[str, Any]:
		return self._call(self._services.balance_transactions.retrieve, _object_id(balance_transaction))

	def retrieve_refund(self, refund: str) -> dict[str, Any]:
		return self._call(self._services.refunds.retrieve, _object_id(refund))

	def retrieve_dispute(self, dispute: str) -> dict[str, Any]:
		return self._call(self._services.disputes.retrieve, _object_id(dispute))

	def retrieve_payout(self, payout: str) -> dict[str, Any]:
		return self._call(self._services.payouts.retrieve, _object_id(payout))

	def retrieve_balance(self) -> dict[str, Any]:
		return self._call(self._services.balance.retrieve)

	def list_refunds(self, payment_intent: str) -> list[dict[str, Any]]:
		"""Every refund of a PaymentIntent (all pages)."""
		return self._list_all(self._services.refunds.list, {"payment_intent": _object_id(payment_intent)})

	def list_balance_transactions(
		self, *, payout: str | None = None, created_since: int | None = None
	) -> list[dict[str, Any]]:
		"""Every balance transaction of a payout, or since a time (all pages, newest first)."""
		params: dict[str, Any] = {}
		if payout:
			params["payout"] = _object_id(payout)
		if created_since is not None:
			params["created"] = {"gte": int(created_since)}
		return self._list_all(self._services.balance_transactions.list, params)

	def create_refund(
		self, *, payment_intent: str, amount_minor: int, idempotency_key: str, metadata: dict[str, str]
	) -> dict[str, Any]:
		"""Refund `amount_minor` of a PaymentIntent's charge; one refund per idempotency key."""
		if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
			raise ValueError(f"amount_minor must be a positive integer, not {amount_minor!r}.")
		if not idempotency_key:
			raise ValueError("An idempotency key is required.")
		params = {"payment_intent": _object_id(payment_intent), "amount": amount_minor}
		if metadata:
			params["metadata"] = {str(key): str(value) for key, value in metadata.items()}
		return self._call(
			self._services.refunds.create, params=params, options={"idempotency_key": idempotency_key}
		)

	def _list_all(self, method: Any, params: dict[str, Any], page_size: int = 100) -> list[dict[str, Any]]:
		rows: list[dict[str, Any]] = []
		after = None
		while True:
			page = self._call(
				method, params={**params, "limit": page_size, **({"starting_after": after} if after else {})}
			)
			data = page.get("data") or []
			rows.extend(data)
			if not page.get("has_more") or not data:
				return rows
			after = data[-1]["id"]

	@staticmethod
	def _call(method: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
		try:
			return to_plain(method(*args, **kwargs))
		except stripe.StripeError as exc:
			# "from None": the original exception's text may carry the unmasked key.
			raise StripeGatewayError.from_stripe_error(exc) from None


def _session_id(session_id: str) -> str:
	if not isinstance(session_id, str) or not session_id.strip():
		raise ValueError("A Checkout Session id is required.")
	return session_id.strip()


def _object_id(object_id: str) -> str:
	if not isinstance(object_id, str) or not object_id.strip():
		raise ValueError("A Stripe object id is required.")
	return object_id.strip()


def construct_event(
	payload: bytes, sig_header: str | None, secret: str, tolerance: int = 300
) -> dict[str, Any]:
	"""Verify a webhook's ``Stripe-Signature`` header and return the event as a plain dict."""
	if not sig_header:
		raise InvalidSignature("Missing Stripe-Signature header.")
	if not secret:
		raise InvalidSignature("No webhook signing secret is configured.")
	try:
		event = stripe.Webhook.construct_event(payload, sig_header, secret, tolerance)
	except stripe.SignatureVerificationError as exc:
		raise InvalidSignature(mask_secret(exc.user_message or str(exc))) from None
	except (ValueError, TypeError, KeyError, AttributeError):
		# Signed but not a JSON object (or not UTF-8).
		raise InvalidSignature("The webhook payload is not a valid Stripe event.") from None
	plain = to_plain(event)
	if not isinstance(plain, dict) or not plain.get("type"):
		raise InvalidSignature("The webhook payload is not a valid Stripe event.")
	return plain
