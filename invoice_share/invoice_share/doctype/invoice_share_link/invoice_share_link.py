# Copyright (c) 2026, invoice_share contributors
# For license information, please see license.txt

from frappe.model.document import Document


class InvoiceShareLink(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		active_invoice: DF.Data | None
		company: DF.Link | None
		customer: DF.Link | None
		download_count: DF.Int
		expires_on: DF.Datetime | None
		last_viewed_on: DF.Datetime | None
		revoked_by: DF.Link | None
		revoked_on: DF.Datetime | None
		sales_invoice: DF.Link
		status: DF.Literal["Active", "Revoked", "Expired"]
		token_hash: DF.Data | None
		view_count: DF.Int
	# end: auto-generated types

	def validate(self):
		# The unique `active_invoice` column is what keeps one Active link per invoice,
		# even when two requests race past the row lock taken in `sharing.issue_link`.
		self.active_invoice = self.sales_invoice if self.status == "Active" else None
