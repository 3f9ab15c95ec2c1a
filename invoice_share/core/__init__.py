"""What every capability may use: the settings (`settings`), argument parsing (`params`), the
client's address (`clientip`), errors with their HTTP status (`exceptions`), the Frappe 15/16
differences (`compat`), guest answers and rate limits (`guest`), the routes (`routes`), URLs on the
site's address (`urls`), the invoice as every capability takes it (`documents`), text and times
(`formats`) and dates in words (`wording`). Nothing here knows a capability."""

from invoice_share.core.exports import lazy_exports

__getattr__, __all__ = lazy_exports(
	__name__,
	{
		"get_settings": "settings",
		"guest_settings": "settings",
		"stripe_ready": "settings",
		"site_url": "urls",
		"load_invoice": "documents",
		"ensure_submitted": "documents",
		"add_timeline_line": "documents",
		"INVOICE_FIELDS": "documents",
	},
)
