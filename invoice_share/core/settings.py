"""Invoice Share Settings as the app reads them: once per request or job for the desk, from Redis
for guests (published when saved), and what they say of Stripe."""

import json

import frappe

from invoice_share.core import params


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
	settings = frappe.get_single("Invoice Share Settings")
	values = frappe._dict({field: settings.get(field) for field in GUEST_FIELDS})
	values.modified = str(values.modified)
	values.stripe_ready = bool(stripe_secret_key(settings))
	return values


def stripe_secret_key(settings=None) -> str | None:
	"""The Stripe secret key when Stripe is enabled and completely set up, else None."""
	settings = settings or get_settings()
	if settings.stripe_enabled and settings.stripe_mode_of_payment and settings.stripe_account:
		return settings.get_password("stripe_secret_key", raise_exception=False) or None
	return None


def stripe_ready() -> bool:
	"""Whether card payment can be offered (from the published settings; no database read)."""
	return bool(guest_settings().stripe_ready)


def ensure_secret(fieldname: str, make) -> str:
	"""A secret of the settings (a Password field), made with `make()` and saved if it is missing."""
	settings = frappe.get_single("Invoice Share Settings")
	secret = settings.get_password(fieldname, raise_exception=False)
	if not secret:
		secret = make()
		settings.set(fieldname, secret)
		settings.flags.ignore_permissions = True
		settings.save()
		forget_settings()
	return secret


def learn_checkout_origin(origin: str) -> None:
	"""Remember where Stripe hosts its checkout pages (a custom checkout domain), so the buyer
	page's form may lead there (its Content-Security-Policy `form-action`). The latest few only."""
	settings = guest_settings()
	known = (settings.stripe_checkout_origins or "").split()
	api_origin = params.parse_api_base(settings.stripe_api_base or params.STRIPE_API_BASE)
	if origin in known or origin in ("https://checkout.stripe.com", api_origin):
		return
	origins = [*known, origin][-CHECKOUT_ORIGINS_KEPT:]
	frappe.db.set_single_value("Invoice Share Settings", "stripe_checkout_origins", "\n".join(origins))
	frappe.db.after_commit.add(publish_guest_settings)


CHECKOUT_ORIGINS_KEPT = 3
