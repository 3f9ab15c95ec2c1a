"""Stripe as the site has it set up: the payment link doctype, the key in use (by fingerprint), and
a client for it (`stripe_api.StripeGateway`, the key never in the `stripe` module's globals)."""

import frappe
from frappe import _

from invoice_share.core.exceptions import PaymentsNotConfigured
from invoice_share.core.settings import get_settings, stripe_secret_key
from invoice_share.payments.stripe_api import StripeGateway, key_fingerprint

PAYMENT_LINK = "Invoice Payment Link"


def current_key() -> str:
	"""The fingerprint of the Stripe secret key in use ('' when Stripe is not set up)."""
	secret = stripe_secret_key()
	return key_fingerprint(secret) if secret else ""


def get_gateway() -> StripeGateway:
	gateway = gateway_or_none()
	if gateway is None:
		frappe.throw(
			_("Online payment is not set up: enable Stripe in Invoice Share Settings."),
			exc=PaymentsNotConfigured,
			title=_("Stripe Not Enabled"),
		)
	return gateway


def gateway_or_none() -> StripeGateway | None:
	secret = stripe_secret_key()
	return StripeGateway(secret, get_settings().stripe_api_base or None) if secret else None
