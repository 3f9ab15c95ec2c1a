# Copyright (c) 2026, invoice_share contributors
# For license information, please see license.txt

from frappe.model.document import Document

from invoice_share.payments.checkout import new_link_name


class InvoicePaymentLink(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		amount: DF.Currency
		attention_note: DF.SmallText | None
		checkout_session_id: DF.Data | None
		company: DF.Link | None
		currency: DF.Link | None
		customer: DF.Link | None
		expires_on: DF.Datetime | None
		idempotency_key: DF.Data | None
		last_error: DF.SmallText | None
		livemode: DF.Check
		needs_attention: DF.Check
		paid_on: DF.Datetime | None
		payment_entry: DF.Link | None
		payment_intent: DF.Data | None
		payment_url: DF.SmallText | None
		provider: DF.Literal["Stripe"]
		received_amount: DF.Currency
		sales_invoice: DF.Link
		share_link: DF.Link | None
		status: DF.Literal["Open", "Processing", "Received", "Paid", "Expired", "Cancelled", "Failed"]
		stripe_key: DF.Data | None
	# end: auto-generated types

	def autoname(self):
		# Random, so a name (and the Stripe idempotency key made from it) is never handed out twice,
		# not even when the transaction that first used it rolled back. The caller may pick it
		# before insert, to send it to Stripe first.
		self.name = self.flags.new_name or new_link_name()
