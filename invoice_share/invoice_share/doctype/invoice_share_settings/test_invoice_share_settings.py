# Copyright (c) 2026, invoice_share contributors
# For license information, please see license.txt

import frappe

from invoice_share import downloads, install
from invoice_share.compat import TestCase
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
		token = url.split("token=", 1)[1]
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
