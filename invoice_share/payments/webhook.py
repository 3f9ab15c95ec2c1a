"""Stripe's webhook: verify the signature on the raw body, then apply the event."""

import frappe

from invoice_share.core import guest
from invoice_share.core.settings import get_settings
from invoice_share.payments import stripe_api
from invoice_share.payments.books import StripeUnavailable
from invoice_share.payments.recording import RecordingFailed, apply_session
from invoice_share.payments.sync import sync_object

HANDLED_EVENTS = (
	"checkout.session.completed",
	"checkout.session.async_payment_succeeded",
	"checkout.session.async_payment_failed",
	"checkout.session.expired",
)
# Money that moved after the payment: each is a hint to read the object from Stripe and book
# what is not booked yet (`sync.sync_object`).
MONEY_EVENTS = (
	"charge.refunded",
	"charge.refund.updated",
	"refund.created",
	"refund.updated",
	"refund.failed",
	"charge.dispute.created",
	"charge.dispute.funds_withdrawn",
	"charge.dispute.funds_reinstated",
	"charge.dispute.closed",
	"payout.paid",
	"payout.failed",
	"payout.reconciliation_completed",
)


def handle(payload: bytes, signature: str | None, rate_limited=None):
	"""Apply a signed event. `rate_limited()` is asked only for a post whose signature is wrong:
	True answers it with a 429 (junk cannot crowd out Stripe's real deliveries)."""
	secret = get_settings().get_password("stripe_webhook_secret", raise_exception=False) or ""
	try:
		event = stripe_api.construct_event(payload, signature, secret)
	except stripe_api.InvalidSignature:
		if rate_limited is not None and rate_limited():
			return guest.too_many_requests_json()
		return guest.json_response({"received": False, "error": "invalid signature"}, status=400)

	event_type = event.get("type")
	if event_type in MONEY_EVENTS:
		object_id = ((event.get("data") or {}).get("object") or {}).get("id")
		try:
			booked = sync_object(object_id) if isinstance(object_id, str) else []
		except (StripeUnavailable, RecordingFailed):
			# Stripe could not be asked, or ERPNext refused a voucher: delivered again later.
			frappe.db.rollback()
			frappe.log_error(title="Invoice Share: could not book a Stripe event", defer_insert=True)
			return guest.json_response({"received": True, "recorded": False}, status=500)
		return guest.json_response({"received": True, "handled": True, "booked": len(booked)})
	if event_type not in HANDLED_EVENTS:
		return guest.json_response({"received": True, "handled": False})

	session = (event.get("data") or {}).get("object") or {}
	try:
		status = apply_session(session, event["type"])
	except RecordingFailed:
		# The money is real: a 500 makes Stripe deliver the event again later.
		return guest.json_response({"received": True, "recorded": False}, status=500)
	return guest.json_response({"received": True, "handled": status is not None, "status": status})
