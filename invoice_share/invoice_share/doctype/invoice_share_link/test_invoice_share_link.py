# Copyright (c) 2026, invoice_share contributors
# For license information, please see license.txt

import email

import frappe
from frappe.utils import add_days, add_to_date, get_datetime, now_datetime

from invoice_share import api
from invoice_share.core.compat import TestCase, change_settings
from invoice_share.core.exceptions import AlreadySharedError, InvalidArgument, InvoiceStateError
from invoice_share.links import sharing, tokens
from invoice_share.tests.utils import (
	ensure_outgoing_email_account,
	forget_cached_permissions,
	grant,
	make_invoice,
	make_user,
	set_settings,
	tables_containing,
)

# Our fixtures are made by invoice_share.tests.utils; ERPNext's test records are not needed.
test_ignore = ["Sales Invoice", "Customer", "Company", "User"]


def timeline(invoice_name: str) -> list[str]:
	return frappe.get_all(
		"Comment",
		filters={
			"reference_doctype": "Sales Invoice",
			"reference_name": invoice_name,
			"comment_type": "Info",
		},
		pluck="content",
		order_by="creation asc",
	)


def queued_body(email_queue: str) -> str:
	"""The decoded text of a queued email (the stored message is MIME, quoted-printable)."""
	message = email.message_from_string(frappe.db.get_value("Email Queue", email_queue, "message"))
	return "".join(
		part.get_payload(decode=True).decode()
		for part in message.walk()
		if part.get_content_type() in ("text/plain", "text/html")
	)


class TestInvoiceShareLink(TestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		set_settings(default_link_expiry_days=0)

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_the_link_is_shown_again_and_the_database_alone_yields_no_token(self):
		invoice = make_invoice()
		answer = api.generate_share_link(invoice.name)

		token = answer["share_token"]
		self.assertTrue(tokens.is_well_formed(token))
		self.assertTrue(answer["share_url"].endswith(f"/invoice-view/{token}"))
		self.assertFalse(answer["already_shared"])
		self.assertIsNotNone(answer["share_token_created_at"])
		self.assertIsNone(answer["expires_on"])

		link = frappe.get_doc("Invoice Share Link", {"sales_invoice": invoice.name})
		self.assertEqual(link.token_hash, tokens.hash_token(token))
		self.assertEqual(link.status, "Active")
		# A dump of the database holds neither the token nor the secret it is derived from (only
		# encrypted with the site's key, which lives in site_config.json, not in the database).
		secret = frappe.get_single("Invoice Share Settings").get_password("share_link_secret")
		self.assertEqual(tables_containing(token), [])
		self.assertEqual(tables_containing(secret), [])
		self.assertNotEqual(link.token_seed, token)

		# Shown again, the same working link, as often as asked; nothing new is made.
		for _ in range(2):
			again = api.generate_share_link(invoice.name)
			self.assertEqual(
				again,
				{
					"share_token": token,
					"share_url": answer["share_url"],
					"already_shared": True,
					"share_token_created_at": answer["share_token_created_at"],
					"expires_on": None,
					"warning": None,  # the test site is on this machine
				},
			)
		self.assertEqual(sharing.resolve_token(token).sales_invoice, invoice.name)
		self.assertEqual(api.get_share_status(invoice.name)["share_url"], answer["share_url"])
		self.assertEqual(frappe.db.count("Invoice Share Link", {"sales_invoice": invoice.name}), 1)
		self.assertEqual(timeline(invoice.name), ["Shared this invoice through a public link."])

	def test_only_those_who_may_share_see_the_link_in_the_status(self):
		invoice = make_invoice()
		url = api.generate_share_link(invoice.name)["share_url"]
		reader = make_user("invoice-share-status-reader@example.com", ["Accounts User"])
		grant(self, "Sales Invoice", "Accounts User", write=0)
		frappe.set_user(reader)
		status = api.get_share_status(invoice.name)
		self.assertTrue(status["shared"])
		self.assertIsNone(status["share_url"])
		frappe.set_user("Administrator")
		self.assertEqual(api.get_share_status(invoice.name)["share_url"], url)

	def test_rotating_the_secret_ends_every_share_link(self):
		first, second = make_invoice(), make_invoice()
		tokens_before = [api.generate_share_link(i.name)["share_token"] for i in (first, second)]
		frappe.get_single("Invoice Share Settings").rotate_share_link_secret()
		for token in tokens_before:
			self.assertIsNone(sharing.resolve_token(token))
		self.assertFalse(api.get_share_status(first.name)["shared"])
		renewed = api.generate_share_link(first.name)
		self.assertFalse(renewed["already_shared"])
		self.assertNotIn(renewed["share_token"], tokens_before)
		self.assertEqual(sharing.resolve_token(renewed["share_token"]).sales_invoice, first.name)

	def test_a_link_from_before_cannot_be_shown_again_and_is_replaced_on_request(self):
		invoice = make_invoice()
		old = api.generate_share_link(invoice.name)["share_token"]
		# As an earlier version stored links: the hash only, no seed.
		link = sharing.get_active_link(invoice.name).name
		frappe.db.set_value("Invoice Share Link", link, "token_seed", None)
		again = api.generate_share_link(invoice.name)
		self.assertEqual(
			(again["already_shared"], again["share_token"], again["share_url"]), (True, None, None)
		)
		self.assertEqual(sharing.resolve_token(old).sales_invoice, invoice.name)  # still works
		with self.assertRaises(AlreadySharedError):
			api.email_share_link(invoice.name, recipients="buyer@example.com")
		new = api.generate_share_link(invoice.name, regenerate=1)["share_token"]
		self.assertIsNone(sharing.resolve_token(old))
		self.assertIsNotNone(sharing.resolve_token(new))

	def test_regenerate_kills_the_old_link_at_once(self):
		invoice = make_invoice()
		old = api.generate_share_link(invoice.name)["share_token"]
		new = api.generate_share_link(invoice.name, regenerate="1")["share_token"]

		self.assertNotEqual(old, new)
		self.assertIsNone(sharing.resolve_token(old))
		self.assertEqual(sharing.resolve_token(new).sales_invoice, invoice.name)
		statuses = frappe.get_all(
			"Invoice Share Link", {"sales_invoice": invoice.name}, pluck="status", order_by="creation asc"
		)
		self.assertEqual(sorted(statuses), ["Active", "Revoked"])
		self.assertIn(
			"Regenerated the public share link; the previous link no longer works.", timeline(invoice.name)
		)

	def test_revoke(self):
		invoice = make_invoice()
		token = api.generate_share_link(invoice.name)["share_token"]

		self.assertEqual(api.revoke_share_link(invoice.name), {"revoked": 1})
		self.assertIsNone(sharing.resolve_token(token))
		link = frappe.get_doc("Invoice Share Link", {"sales_invoice": invoice.name})
		self.assertEqual((link.status, link.revoked_by), ("Revoked", "Administrator"))
		self.assertIsNone(link.active_invoice)
		self.assertEqual(api.revoke_share_link(invoice.name), {"revoked": 0})
		self.assertFalse(api.get_share_status(invoice.name)["shared"])
		self.assertIn("Revoked the public share link.", timeline(invoice.name))

	def test_expiry(self):
		invoice = make_invoice()
		for bad in ("yesterday-ish", "2001-01-01 00:00:00", "2030-02-30T10:00:00Z", "31/12/2030"):
			with self.assertRaises(InvalidArgument):
				api.generate_share_link(invoice.name, expires_on=bad)
		self.assertFalse(frappe.db.exists("Invoice Share Link", {"sales_invoice": invoice.name}))

		expires = add_days(now_datetime(), 3).replace(microsecond=0)
		answer = api.generate_share_link(invoice.name, expires_on=str(expires))
		self.assertEqual(get_datetime(answer["expires_on"][:19]), expires)
		self.assertRegex(answer["expires_on"], r"[+-]\d\d:\d\d$")

		# Time passes: the link stops working and a new share makes a new link.
		name = frappe.db.get_value("Invoice Share Link", {"active_invoice": invoice.name})
		frappe.db.set_value("Invoice Share Link", name, "expires_on", add_to_date(now_datetime(), seconds=-1))
		self.assertIsNone(sharing.resolve_token(answer["share_token"]))
		self.assertFalse(api.get_share_status(invoice.name)["shared"])
		renewed = api.generate_share_link(invoice.name)
		self.assertFalse(renewed["already_shared"])
		self.assertEqual(frappe.db.get_value("Invoice Share Link", name, "status"), "Expired")

	def test_default_expiry_from_settings_and_hourly_expiry_job(self):
		set_settings(default_link_expiry_days=7)
		invoice = make_invoice()
		answer = api.generate_share_link(invoice.name)
		expires = get_datetime(answer["expires_on"][:19])
		self.assertAlmostEqual((expires - now_datetime()).total_seconds(), 7 * 86400, delta=120)

		name = frappe.db.get_value("Invoice Share Link", {"active_invoice": invoice.name})
		frappe.db.set_value("Invoice Share Link", name, "expires_on", add_to_date(now_datetime(), minutes=-5))
		sharing.expire_overdue_links()
		self.assertEqual(
			frappe.db.get_value("Invoice Share Link", name, ["status", "active_invoice"]), ("Expired", None)
		)

	def test_drafts_and_cancelled_invoices_cannot_be_shared(self):
		draft = make_invoice(submit=False)
		with self.assertRaises(InvoiceStateError):
			api.generate_share_link(draft.name)
		cancelled = make_invoice()
		cancelled.cancel()
		with self.assertRaises(InvoiceStateError):
			api.generate_share_link(cancelled.name)
		self.assertFalse(
			frappe.db.exists("Invoice Share Link", {"sales_invoice": ["in", [draft.name, cancelled.name]]})
		)
		self.assertEqual(InvoiceStateError.http_status_code, 409)

	def test_cancelling_revokes_and_deleting_leaves_no_rows(self):
		invoice = make_invoice()
		token = api.generate_share_link(invoice.name)["share_token"]
		invoice.reload()
		invoice.cancel()
		self.assertIsNone(sharing.resolve_token(token))
		self.assertEqual(
			frappe.db.get_value("Invoice Share Link", {"sales_invoice": invoice.name}, "status"), "Revoked"
		)
		self.assertIn(
			"Revoked the public share link because the invoice was cancelled.", timeline(invoice.name)
		)

		with change_settings("Accounts Settings", delete_linked_ledger_entries=1):
			frappe.delete_doc("Sales Invoice", invoice.name)
		self.assertFalse(frappe.db.exists("Invoice Share Link", {"sales_invoice": invoice.name}))

	def test_bad_arguments(self):
		invoice = make_invoice()
		with self.assertRaises(InvalidArgument):
			api.generate_share_link(invoice.name, regenerate="perhaps")
		with self.assertRaises(InvalidArgument):
			api.generate_share_link(None)
		with self.assertRaises(frappe.DoesNotExistError):
			api.generate_share_link("NO-SUCH-INVOICE")
		self.assertFalse(frappe.db.exists("Invoice Share Link", {"sales_invoice": invoice.name}))

	def test_permissions(self):
		forget_cached_permissions("Sales Invoice")  # as shipped, whatever an earlier test cached
		invoice = make_invoice()
		reader = make_user("share-reader@example.com", ["Accounts User", "Sales User"])
		outsider = make_user("share-outsider@example.com", ["Website Manager"])
		frappe.set_user(outsider)
		with self.assertRaises(frappe.PermissionError):
			api.get_share_status(invoice.name)
		with self.assertRaises(frappe.PermissionError):
			api.generate_share_link(invoice.name)

		frappe.set_user(reader)
		self.assertFalse(api.get_share_status(invoice.name)["shared"])
		self.assertTrue(api.generate_share_link(invoice.name)["share_token"])

	def test_status_and_view_counting(self):
		invoice = make_invoice()
		token = api.generate_share_link(invoice.name)["share_token"]
		status = api.get_share_status(invoice.name)
		self.assertEqual(
			set(status),
			{
				"shared",
				"share_url",
				"share_token_created_at",
				"expires_on",
				"view_count",
				"last_viewed_on",
				"payment_status",
				"online_payment_status",
				"can_pay_online",
				"can_refund_via_stripe",
			},
		)
		self.assertEqual(
			(status["shared"], status["view_count"], status["payment_status"]), (True, 0, "Unpaid")
		)

		for _ in range(3):
			sharing.record_view(sharing.resolve_token(token))
		status = api.get_share_status(invoice.name)
		self.assertEqual(status["view_count"], 3)
		self.assertIsNotNone(status["last_viewed_on"])
		first_views = [t for t in timeline(invoice.name) if "opened the shared invoice" in t]
		self.assertEqual(len(first_views), 1)

		# Counted in Redis, written to the link by the minute's flush: never short, never twice.
		link = sharing.get_active_link(invoice.name).name
		self.assertEqual(frappe.db.get_value("Invoice Share Link", link, "view_count"), 0)
		sharing.flush_counts()
		self.assertEqual(frappe.db.get_value("Invoice Share Link", link, "view_count"), 3)
		self.assertIsNotNone(frappe.db.get_value("Invoice Share Link", link, "last_viewed_on"))
		self.assertEqual(api.get_share_status(invoice.name)["view_count"], 3)
		sharing.record_view(sharing.resolve_token(token))
		self.assertEqual(api.get_share_status(invoice.name)["view_count"], 4)
		sharing.flush_counts()
		self.assertEqual(frappe.db.get_value("Invoice Share Link", link, "view_count"), 4)

		# A flush that died after taking the counts: they are still shown, and written next time.
		sharing.record_view(sharing.resolve_token(token))
		frappe.cache.rename(
			frappe.cache.make_key("invoice_share:views"),
			frappe.cache.make_key("invoice_share:views:flushing"),
		)
		sharing.record_view(sharing.resolve_token(token))
		self.assertEqual(api.get_share_status(invoice.name)["view_count"], 6)
		sharing.flush_counts()
		self.assertEqual(frappe.db.get_value("Invoice Share Link", link, "view_count"), 6)
		self.assertEqual(api.get_share_status(invoice.name)["view_count"], 6)
		first_views = [t for t in timeline(invoice.name) if "opened the shared invoice" in t]
		self.assertEqual(len(first_views), 1)

	def test_email_share_link(self):
		ensure_outgoing_email_account()
		invoice = make_invoice()
		answer = api.email_share_link(invoice.name)
		self.assertEqual(answer["sent_to"], ["buyer@example.com"])

		queued = frappe.get_all(
			"Email Queue",
			filters={"reference_doctype": "Sales Invoice", "reference_name": invoice.name},
			pluck="name",
		)
		self.assertEqual(len(queued), 1)
		token = queued_body(queued[0]).split("/invoice-view/")[1][: tokens.TOKEN_LENGTH]
		self.assertEqual(sharing.resolve_token(token).sales_invoice, invoice.name)
		# The token is in the outgoing email and nowhere else.
		self.assertEqual({place.split(".")[0] for place in tables_containing(token)}, {"tabEmail Queue"})

		# Sending again sends the same link; nothing is replaced.
		again = api.email_share_link(invoice.name, recipients="other@example.com")
		self.assertFalse(again["regenerated"])
		second = frappe.get_all(
			"Email Queue", {"reference_name": invoice.name, "name": ["!=", queued[0]]}, pluck="name"
		)
		self.assertIn(f"/invoice-view/{token}", queued_body(second[0]))
		self.assertIsNotNone(sharing.resolve_token(token))

		answer = api.email_share_link(invoice.name, recipients="a@example.com, b@example.com", regenerate=1)
		self.assertEqual(answer["sent_to"], ["a@example.com", "b@example.com"])
		self.assertIsNone(sharing.resolve_token(token))

		with self.assertRaises(InvalidArgument):
			api.email_share_link(invoice.name, recipients="not-an-address", regenerate=1)

	def test_email_needs_an_address(self):
		from invoice_share.tests.utils import ensure_customer

		ensure_outgoing_email_account()
		invoice = make_invoice(customer=ensure_customer("_Invoice Share No Email", email=None))
		with self.assertRaises(InvalidArgument):
			api.email_share_link(invoice.name)
		self.assertFalse(frappe.db.exists("Invoice Share Link", {"sales_invoice": invoice.name}))

	def test_links_show_in_the_invoice_connections(self):
		data = frappe.get_meta("Sales Invoice").get_dashboard_data()
		items = [item for group in data.transactions for item in group["items"]]
		self.assertIn("Invoice Share Link", items)
		self.assertIn("Invoice Payment Link", items)
		self.assertEqual(data.fieldname, "sales_invoice")

	def test_token_lookup_is_one_query(self):
		invoice = make_invoice()
		token = api.generate_share_link(invoice.name)["share_token"]
		queries = []
		original = frappe.db.sql

		def counting(*args, **kwargs):
			queries.append(args[0])
			return original(*args, **kwargs)

		frappe.db.sql = counting
		try:
			self.assertIsNotNone(sharing.resolve_token(token))
			self.assertIsNone(sharing.resolve_token(tokens.new_token()))
			self.assertIsNone(sharing.resolve_token("not a token"))
		finally:
			frappe.db.sql = original
		self.assertEqual(len(queries), 2)
		self.assertIn("token_hash", str(queries[0]))


class TestLinkRowPermissions(TestCase):
	def tearDown(self):
		frappe.set_user("Administrator")

	def test_sales_and_accounts_users_read_the_links_of_invoices_they_can_read(self):
		frappe.set_user("Administrator")
		invoice = make_invoice()
		api.generate_share_link(invoice.name)
		link = frappe.get_doc("Invoice Share Link", {"sales_invoice": invoice.name})
		# ERPNext lets only Accounts roles read Sales Invoices; many sites let their sales team too.
		for role in ("Sales User", "Sales Manager"):
			grant(self, "Sales Invoice", role)
		for role in ("Sales User", "Sales Manager", "Accounts User", "Accounts Manager"):
			with self.subTest(role=role):
				user = make_user(f"invoice-share-{frappe.scrub(role)}@example.com", [role])
				self.assertTrue(frappe.has_permission("Sales Invoice", "read", invoice.name, user=user))
				self.assertTrue(frappe.has_permission("Invoice Share Link", "read", link, user=user))
				frappe.set_user(user)
				self.assertIn(link.name, frappe.get_list("Invoice Share Link", pluck="name"))
				frappe.set_user("Administrator")

	def test_no_more_than_the_invoice_itself(self):
		frappe.set_user("Administrator")
		invoice = make_invoice()
		api.generate_share_link(invoice.name)
		link = frappe.get_doc("Invoice Share Link", {"sales_invoice": invoice.name})
		user = make_user("invoice-share-restricted@example.com", ["Sales User"])
		other = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": "_Invoice Share Other Customer",
				"customer_type": "Company",
			}
		)
		if not frappe.db.exists("Customer", other.customer_name):
			other.insert(ignore_permissions=True)
		restriction = {"user": user, "allow": "Customer", "for_value": other.customer_name}
		if not frappe.db.exists("User Permission", restriction):  # committed by an earlier run
			frappe.get_doc({"doctype": "User Permission", **restriction}).insert(ignore_permissions=True)
		self.assertFalse(frappe.has_permission("Sales Invoice", "read", invoice.name, user=user))
		self.assertFalse(frappe.has_permission("Invoice Share Link", "read", link, user=user))
