"""What the buyer sees: the page and the return page (`pages`, `returns`), the JSON summary and
the page's content (`summary`), the guest answers of a link (`answers`), the buyer's word for the
invoice's state (`status`), QR codes (`qr`), and the Jinja methods for templates (`jinja`)."""

from invoice_share.core.exports import lazy_exports

__getattr__, __all__ = lazy_exports(
	__name__,
	{
		"BuyerPageRenderer": "pages",
		"answer_early": "pages",
		"buyer_page_html": "pages",
		"return_page_context": "returns",
		"page_context": "summary",
		"summary_json": "summary",
		"can_pay_online": "summary",
		"invoice_share_url": "jinja",
		"invoice_share_qr": "jinja",
		"invoice_share_epc_qr": "jinja",
		"invoice_share_print": "jinja",
	},
)
