# Copyright (c) 2026, invoice_share contributors
# For license information, please see license.txt

from urllib.parse import urlparse

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint

from invoice_share import signing
from invoice_share.utils import forget_settings

CHECKOUT_LIFETIME_MINUTES = (30, 1440)  # what Stripe accepts for a Checkout Session's expires_at


class InvoiceShareSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		checkout_session_lifetime: DF.Int
		default_link_expiry_days: DF.Int
		download_link_lifetime: DF.Int
		download_link_max_lifetime: DF.Int
		download_link_secret: DF.Password | None
		letter_head: DF.Link | None
		print_format: DF.Link | None
		print_language: DF.Link | None
		show_line_items: DF.Check
		stripe_account: DF.Link | None
		stripe_api_base: DF.Data | None
		stripe_enabled: DF.Check
		stripe_mode_of_payment: DF.Link | None
		stripe_secret_key: DF.Password | None
		stripe_webhook_help: DF.HTML | None
		stripe_webhook_secret: DF.Password | None
	# end: auto-generated types

	def validate(self):
		self.validate_download_lifetimes()
		self.validate_print_format()
		self.validate_stripe()

	def validate_download_lifetimes(self):
		minimum = signing.MIN_LIFETIME_SECONDS
		if cint(self.download_link_max_lifetime) < minimum:
			frappe.throw(
				_("The longest download link lifetime must be at least {0} seconds.").format(minimum),
				title=_("Invalid Setting"),
			)
		if not minimum <= cint(self.download_link_lifetime) <= cint(self.download_link_max_lifetime):
			frappe.throw(
				_("The default download link lifetime must be between {0} and {1} seconds.").format(
					minimum, cint(self.download_link_max_lifetime)
				),
				title=_("Invalid Setting"),
			)

	def validate_print_format(self):
		if self.print_format and (
			frappe.db.get_value("Print Format", self.print_format, "doc_type") != "Sales Invoice"
		):
			frappe.throw(
				_("Print Format {0} is not a print format for Sales Invoice.").format(
					frappe.bold(self.print_format)
				),
				title=_("Invalid Setting"),
			)

	def validate_stripe(self):
		low, high = CHECKOUT_LIFETIME_MINUTES
		if not low <= cint(self.checkout_session_lifetime) <= high:
			frappe.throw(
				_("The checkout session lifetime must be between {0} and {1} minutes.").format(low, high),
				title=_("Invalid Setting"),
			)

		base = urlparse(self.stripe_api_base or "")
		if self.stripe_api_base and (base.scheme not in ("http", "https") or not base.netloc):
			frappe.throw(
				_("The Stripe API base address must be an http(s) address."), title=_("Invalid Setting")
			)

		if self.stripe_account:
			account = frappe.db.get_value(
				"Account", self.stripe_account, ["is_group", "account_type"], as_dict=True
			)
			if not account or account.is_group or account.account_type not in ("Bank", "Cash"):
				frappe.throw(
					_("Account {0} must be a Bank or Cash account that is not a group.").format(
						frappe.bold(self.stripe_account)
					),
					title=_("Invalid Setting"),
				)

	def on_update(self):
		forget_settings()

	@frappe.whitelist()
	def rotate_download_link_secret(self):
		"""Replace the signing secret: every download link handed out so far stops working."""
		self.check_permission("write")
		self.download_link_secret = signing.new_secret()
		self.save()
		frappe.msgprint(
			_("The signing secret was rotated. Download links handed out before now no longer work."),
			title=_("Secret Rotated"),
			indicator="green",
		)
