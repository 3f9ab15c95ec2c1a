"""Both sides hear what happened: the seller's notifications (first view, payment, a payment that
could not be booked), the customer's receipt, and the customer's language (`notices`)."""

from invoice_share.core.exports import lazy_exports

__getattr__, __all__ = lazy_exports(
	__name__,
	dict.fromkeys(
		(
			"buyer_language",
			"notify_seller",
			"notify_first_view",
			"notify_payment",
			"notify_unbooked",
			"send_receipt",
		),
		"notices",
	),
)
