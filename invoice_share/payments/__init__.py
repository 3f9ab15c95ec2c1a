"""Stripe Checkout and the books: what an invoice asks for (`settlement`, `amounts`), sessions
made, reused and closed (`checkout`), payments booked exactly once (`recording`), Stripe's events
(`webhook`), the key and client in use (`gateway`, `stripe_api`)."""

from invoice_share.core.exports import lazy_exports

__getattr__, __all__ = lazy_exports(
	__name__,
	{
		"checkout_for": "checkout",
		"settle_open_links": "checkout",
		"settle_after_commit": "checkout",
		"retire_links_of_other_keys": "checkout",
		"latest_payment_status": "checkout",
		"pending_payment": "checkout",
		"apply_session": "recording",
		"amount_due": "settlement",
		"get_gateway": "gateway",
	},
)
