# Copyright (c) 2026, invoice_share contributors
# For license information, please see license.txt

import frappe

from invoice_share import install
from invoice_share.core.compat import TestCase
from invoice_share.links import downloads
from invoice_share.tests.utils import make_invoice, set_settings


class TestInvoiceShareSettings(TestCase):
	def setUp(self):
		frappe.set_user("Administrator")

	def test_install_gave_defaults_and_a_secret(self):
		install.after_install()  # idempotent: running it again keeps the secret
		settings = frappe.get_single("Invoice Share Settings")
		secret = settings.get_password("download_link_secret")
		self.assertGreaterEqual(len(secret), 64)
		self.assertEqual(settings.download_link_lifetime, 86400)
		self.assertEqual(settings.checkout_session_lifetime, 60)
		self.assertEqual(settings.show_line_items, 1)
		install.after_install()
		self.assertEqual(
			frappe.get_single("Invoice Share Settings").get_password("download_link_secret"), secret
		)
		# The secret is kept encrypted, never in the settings table.
		self.assertNotIn(
			secret, str(frappe.db.sql("SELECT value FROM tabSingles WHERE doctype='Invoice Share Settings'"))
		)

	def test_validation(self):
		for values in (
			{"download_link_lifetime": 4},
			{"download_link_max_lifetime": 3},
			{"download_link_lifetime": 100, "download_link_max_lifetime": 50},
			{"checkout_session_lifetime": 29},
			{"checkout_session_lifetime": 1441},
			{"stripe_api_base": "ftp://example.com"},
			{
				"print_format": frappe.get_all(
					"Print Format", {"doc_type": ["!=", "Sales Invoice"]}, pluck="name", limit=1
				)[0]
			},
		):
			with self.subTest(values=values), self.assertRaises(frappe.ValidationError):
				set_settings(**values)
		group = frappe.db.get_value("Account", {"is_group": 1}, "name")
		with self.assertRaises(frappe.ValidationError):
			set_settings(stripe_account=group)

	def test_rotation_kills_download_links(self):
		invoice = make_invoice()
		url = downloads.issue(invoice, 60)["url"]
		token = url.rsplit("/", 1)[1]
		self.assertEqual(downloads.resolve(token).name, invoice.name)

		settings = frappe.get_single("Invoice Share Settings")
		old = settings.get_password("download_link_secret")
		settings.rotate_download_link_secret()
		frappe.clear_document_cache("Invoice Share Settings", "Invoice Share Settings")
		self.assertNotEqual(
			frappe.get_single("Invoice Share Settings").get_password("download_link_secret"), old
		)
		self.assertIsNone(downloads.resolve(token))

	def test_rotation_needs_write_permission(self):
		from invoice_share.tests.utils import make_user

		frappe.set_user(make_user("settings-reader@example.com", ["Accounts User"]))
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc("Invoice Share Settings").rotate_download_link_secret()


class TestStripeApiBase(TestCase):
	"""The address the secret key is sent to cannot be used to take the key away."""

	KEY = "sk_test_the_real_key"

	def setUp(self):
		frappe.set_user("Administrator")
		set_settings(stripe_api_base="https://api.stripe.com", stripe_secret_key=self.KEY)

	def tearDown(self):
		frappe.set_user("Administrator")

	def key(self):
		return frappe.get_single("Invoice Share Settings").get_password(
			"stripe_secret_key", raise_exception=False
		)

	def stored_keys(self) -> int:
		return frappe.db.sql(
			"SELECT COUNT(*) FROM `__Auth` WHERE doctype = %s AND fieldname = %s",
			("Invoice Share Settings", "stripe_secret_key"),
		)[0][0]

	def test_changing_the_address_clears_the_stored_key(self):
		self.assertEqual(self.key(), self.KEY)
		settings = frappe.get_single("Invoice Share Settings")  # as the desk has it: the key masked
		settings.stripe_api_base = "https://stripe-proxy.example.com"
		settings.save()
		self.assertIsNone(self.key())
		self.assertEqual(self.stored_keys(), 0)
		self.assertEqual(
			frappe.db.get_single_value("Invoice Share Settings", "stripe_api_base"),
			"https://stripe-proxy.example.com",
		)

	def test_a_key_entered_with_the_new_address_is_kept(self):
		set_settings(stripe_api_base="https://stripe-proxy.example.com", stripe_secret_key="sk_test_new")
		self.assertEqual(self.key(), "sk_test_new")

	def test_the_test_helper_that_sets_both_at_once_keeps_working(self):
		from types import SimpleNamespace

		from invoice_share.tests.utils import configure_stripe

		standin = SimpleNamespace(
			secret_key="sk_test_standin", webhook_secret="whsec_standin", url="http://127.0.0.1:12111"
		)
		configure_stripe(standin)
		self.assertEqual(self.key(), "sk_test_standin")

	def test_saving_without_changing_the_address_keeps_the_key(self):
		set_settings(show_line_items=0)
		set_settings(stripe_api_base="https://API.stripe.com/")  # the same address, written otherwise
		self.assertEqual(self.key(), self.KEY)
		self.assertEqual(
			frappe.db.get_single_value("Invoice Share Settings", "stripe_api_base"), "https://api.stripe.com"
		)

	def test_only_a_system_manager_may_change_it(self):
		from invoice_share.tests.utils import make_user

		frappe.set_user(make_user("settings-accounts-manager@example.com", ["Accounts Manager"]))
		settings = frappe.get_single("Invoice Share Settings")
		settings.show_line_items = 0
		settings.save()  # an Accounts Manager may change the other settings
		settings = frappe.get_single("Invoice Share Settings")
		settings.stripe_api_base = "https://attacker.example"
		with self.assertRaises(frappe.PermissionError):
			settings.save()
		frappe.set_user("Administrator")
		self.assertEqual(
			frappe.db.get_single_value("Invoice Share Settings", "stripe_api_base"), "https://api.stripe.com"
		)
		self.assertEqual(self.key(), self.KEY)

	def test_https_only_and_plain_http_only_to_this_machine(self):
		for bad in (
			"http://attacker.example",
			"http://10.0.0.5:8080",
			"ftp://api.stripe.com",
			"https://user:pw@api.stripe.com",
			"https://attacker.example/collect?x=",
			"api.stripe.com",
		):
			with self.subTest(base=bad), self.assertRaises(frappe.ValidationError):
				set_settings(stripe_api_base=bad)
			self.assertEqual(self.key(), self.KEY)  # a refused address changes nothing
		for good, stored in (
			("http://127.0.0.1:12111", "http://127.0.0.1:12111"),
			("http://localhost:12111", "http://localhost:12111"),
			("https://stripe-proxy.example.com/", "https://stripe-proxy.example.com"),
		):
			with self.subTest(base=good):
				set_settings(stripe_api_base=good)
				self.assertEqual(
					frappe.db.get_single_value("Invoice Share Settings", "stripe_api_base"), stored
				)


class TestTrustedProxies(TestCase):
	def setUp(self):
		frappe.set_user("Administrator")

	def test_entries_must_be_addresses_or_networks(self):
		set_settings(trusted_proxies="127.0.0.1\n10.0.0.0/8\n::1")
		for bad in ("127.0.0.1\nnginx", "10.0.0.0/33", "127.0.0.1:8000"):
			with self.subTest(trusted_proxies=bad), self.assertRaises(frappe.ValidationError):
				set_settings(trusted_proxies=bad)
		self.assertEqual(
			frappe.db.get_single_value("Invoice Share Settings", "trusted_proxies"),
			"127.0.0.1\n10.0.0.0/8\n::1",
		)
