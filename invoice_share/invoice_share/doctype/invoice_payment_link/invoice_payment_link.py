# Copyright (c) 2026, invoice_share contributors
# For license information, please see license.txt

from frappe.model.document import Document


class InvoicePaymentLink(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		amount: DF.Currency
		checkout_session_id: DF.Data | None
		company: DF.Link | None
		currency: DF.Link | None
		customer: DF.Link | None
		expires_on: DF.Datetime | None
		last_error: DF.SmallText | None
		paid_on: DF.Datetime | None
		payment_entry: DF.Link | None
		payment_intent: DF.Data | None
		payment_url: DF.SmallText | None
		provider: DF.Literal["Stripe"]
		sales_invoice: DF.Link
		share_link: DF.Link | None
		status: DF.Literal["Open", "Paid", "Expired", "Cancelled", "Failed"]
	# end: auto-generated types

	pass
