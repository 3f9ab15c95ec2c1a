# Copyright (c) 2026, invoice_share contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint

from invoice_share.core import clientip, params
from invoice_share.core.settings import clear_guest_settings, forget_settings, publish_guest_settings
from invoice_share.links import signing, tokens

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
		notify_on_first_view: DF.Check
		notify_on_payment: DF.Check
		notify_role: DF.Link | None
		print_format: DF.Link | None
		print_language: DF.Link | None
		send_receipt_email: DF.Check
		share_link_secret: DF.Password | None
		show_line_items: DF.Check
		stripe_account: DF.Link | None
		stripe_api_base: DF.Data | None
		stripe_checkout_origins: DF.SmallText | None
		stripe_enabled: DF.Check
		stripe_mode_of_payment: DF.Link | None
		stripe_secret_key: DF.Password | None
		stripe_webhook_help: DF.HTML | None
		stripe_webhook_secret: DF.Password | None
		trusted_proxies: DF.SmallText | None
	# end: auto-generated types

	def onload(self):
		from invoice_share.core.urls import insecure_site_url_warning

		self.set_onload("site_url_warning", insecure_site_url_warning())
		self.set_onload("books_missing", self.books_missing())

	def books_missing(self) -> list[str]:
		"""The labels of the accounts Stripe's books need and this site has not set."""
		if not self.stripe_enabled:
			return []
		return [
			_(self.meta.get_label(fieldname))
			for fieldname in ("stripe_account", "stripe_fee_account", "stripe_payout_account")
			if not self.get(fieldname)
		]

	def validate(self):
		self.validate_download_lifetimes()
		self.validate_print_format()
		self.validate_stripe()
		self.validate_stripe_secrets()
		self.validate_stripe_api_base()
		self.validate_trusted_proxies()

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
		self.validate_books_accounts()

	def validate_books_accounts(self):
		"""Stripe's fees go to an Expense account and its payouts to a Bank account, both of the
		Stripe account's company. Stripe cannot be turned on without them; a site that had it on
		before they existed keeps taking payments (booked as before), and the form says what is
		missing."""
		company = (
			frappe.db.get_value("Account", self.stripe_account, "company") if self.stripe_account else None
		)
		checks = (
			("stripe_fee_account", lambda a: a.root_type == "Expense", _("an Expense account")),
			("stripe_payout_account", lambda a: a.account_type == "Bank", _("a Bank account")),
		)
		for fieldname, fits, kind in checks:
			if not self.get(fieldname):
				continue
			account = frappe.db.get_value(
				"Account",
				self.get(fieldname),
				["is_group", "account_type", "root_type", "company"],
				as_dict=True,
			)
			if not account or account.is_group or not fits(account):
				frappe.throw(
					_("{0}: account {1} must be {2} that is not a group.").format(
						_(self.meta.get_label(fieldname)), frappe.bold(self.get(fieldname)), kind
					),
					title=_("Invalid Setting"),
				)
			if company and account.company != company:
				frappe.throw(
					_("{0}: account {1} must belong to company {2}, as the Stripe account does.").format(
						_(self.meta.get_label(fieldname)),
						frappe.bold(self.get(fieldname)),
						frappe.bold(company),
					),
					title=_("Invalid Setting"),
				)
		turned_on = self.stripe_enabled and not (self.get_doc_before_save() or frappe._dict()).get(
			"stripe_enabled"
		)
		missing = self.books_missing()
		if turned_on and missing:
			frappe.throw(
				_(
					"Set {0} before enabling Stripe: every payment, fee, refund and payout is booked there."
				).format(", ".join(missing)),
				title=_("Stripe Accounts Missing"),
			)

	def validate_stripe_secrets(self):
		"""The secret key and the webhook signing secret decide which Stripe account takes the
		buyers' money: only a System Manager may change them, and each change is noted on the
		timeline (who and when, never the value)."""
		self.flags.changed_stripe_secrets = [
			fieldname
			for fieldname in ("stripe_secret_key", "stripe_webhook_secret")
			if self._password_changed(fieldname)
		]
		if self.flags.changed_stripe_secrets and "System Manager" not in frappe.get_roles():
			frappe.throw(
				_("Only a System Manager can change the Stripe secret key or webhook signing secret."),
				exc=frappe.PermissionError,
				title=_("Not Permitted"),
			)

	def _password_changed(self, fieldname: str) -> bool:
		"""A new value was entered, or the stored one cleared (an unchanged one comes back masked)."""
		value = self.get(fieldname) or ""
		if value and self.is_dummy_password(value):
			return False
		from frappe.utils.password import get_decrypted_password

		stored = get_decrypted_password(self.doctype, self.name, fieldname, raise_exception=False)
		return (value or None) != (stored or None)

	def validate_stripe_api_base(self):
		"""The address the secret key is sent to. Only a System Manager may change it, to an https
		address (plain http only to this machine), and the key stored for the old address is not
		sent to the new one: it is cleared unless a new key is entered in the same save."""
		before = self.get_doc_before_save()
		previous = _api_base_as_compared((before.stripe_api_base if before else None) or "")
		if _api_base_as_compared(self.stripe_api_base or "") == previous:
			if self.stripe_api_base:
				self.stripe_api_base = _api_base_as_compared(self.stripe_api_base)
			return
		if "System Manager" not in frappe.get_roles():
			frappe.throw(
				_("Only a System Manager can change the Stripe API base address."),
				exc=frappe.PermissionError,
				title=_("Not Permitted"),
			)
		if self.stripe_api_base:
			origin = params.parse_api_base(self.stripe_api_base)
			if origin is None:
				frappe.throw(
					_(
						"The Stripe API base address must be an https:// address such as {0}, or a plain"
						" http:// address on this machine such as {1}, with no path, query or user name."
					).format("https://api.stripe.com", "http://127.0.0.1:12111"),
					title=_("Invalid Setting"),
				)
			self.stripe_api_base = origin
		key = self.stripe_secret_key or ""
		if key and not self.is_dummy_password(key):
			return  # a new key was entered with the new address
		if key:
			self.stripe_secret_key = None  # _save_passwords then removes the stored key
			frappe.msgprint(
				_("The Stripe API base address changed, so the Secret Key was cleared. Enter it again."),
				title=_("Secret Key Cleared"),
				indicator="orange",
			)

	def validate_trusted_proxies(self):
		try:
			clientip.parse_networks(self.trusted_proxies)
		except clientip.InvalidProxy as exc:
			frappe.throw(
				_("{0} is not an IP address or network (such as 127.0.0.1 or 10.0.0.0/8).").format(
					frappe.bold(str(exc))
				),
				title=_("Invalid Setting"),
			)

	def on_update(self):
		changed = self.flags.changed_stripe_secrets or []
		labels = {
			"stripe_secret_key": _("Stripe secret key"),
			"stripe_webhook_secret": _("Stripe webhook signing secret"),
		}
		for fieldname in changed:
			self.add_comment(
				"Info",
				_("{0} changed the {1}.").format(frappe.bold(frappe.session.user), labels[fieldname]),
			)
		forget_settings()
		# Guests see the new values at once (this transaction's own reads), again after commit
		# (what the database now holds), and the stored values as before if it is rolled back.
		publish_guest_settings()
		frappe.db.after_commit.add(publish_guest_settings)
		frappe.db.after_rollback.add(clear_guest_settings)
		from invoice_share.pdf import forget_print_context

		forget_print_context()
		if "stripe_secret_key" in changed:
			# Sessions of the old key are not ours to reuse or check any more.
			from invoice_share.payments.checkout import retire_links_of_other_keys

			retire_links_of_other_keys()

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

	@frappe.whitelist()
	def rotate_share_link_secret(self):
		"""Replace the share-link secret: every share link of the site ends (links are derived from it)."""
		from invoice_share.links import sharing

		self.check_permission("write")
		ended = sharing.end_all_links()
		self.share_link_secret = tokens.new_secret()
		self.save()
		frappe.msgprint(
			_(
				"The share link secret was rotated; {0} share links ended. Share the invoices again to send new links."
			).format(ended),
			title=_("Secret Rotated"),
			indicator="green",
		)


def _api_base_as_compared(value: str) -> str:
	"""Empty means Stripe's own address; valid addresses compare by their origin."""
	value = value.strip() or params.STRIPE_API_BASE
	return params.parse_api_base(value) or value
