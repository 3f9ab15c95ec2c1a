# Copyright (c) 2026, invoice_share contributors
# For license information, please see license.txt

from frappe.model.document import Document


class StripeBalanceTransaction(Document):
	"""One Stripe balance transaction and the voucher that booked it (written by payments.books)."""
