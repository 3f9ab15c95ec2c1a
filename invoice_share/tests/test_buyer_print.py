"""The buyer's PDF by default: a print meant for customers, not Frappe's field dump."""

import io

import frappe

from invoice_share import pdf
from invoice_share.core.compat import TestCase
from invoice_share.devtools import demo
from invoice_share.pdf.print_format import PRINT_FORMAT
from invoice_share.tests.test_buyer_page import INTERNAL_LABELS
from invoice_share.tests.utils import ensure_customer, make_invoice, set_settings, test_company


def pdf_text(data: bytes) -> str:
	"""The PDF's text, with ligatures the font made ("ﬂ" in a token) written out again (NFKC)."""
	import unicodedata

	from pypdf import PdfReader

	return unicodedata.normalize(
		"NFKC",
		" ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages),
	)


def another_print_format() -> str:
	"""A Sales Invoice print format other than the app's own."""
	return frappe.get_all(
		"Print Format",
		{"doc_type": "Sales Invoice", "disabled": 0, "name": ["!=", PRINT_FORMAT]},
		pluck="name",
		limit=1,
	)[0]


class TestBuyerPrint(TestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.company = test_company()
		demo.ensure_seller_details(self.company)
		self.customer = ensure_customer("_Invoice Share Print Customer", None)
		demo.ensure_address(
			"Customer", self.customer, ("12 Print Road", "Papertown", "10101"), is_primary_address=1
		)
		set_settings(print_format=None, letter_head=None, print_language=None, stripe_enabled=0)

	def test_the_default_is_the_customer_print(self):
		# ERPNext 16 sets a default print format for Sales Invoice when it is installed; the
		# buyer still gets the customer print unless the site chose a default itself.
		self.assertTrue(frappe.db.exists("Print Format", PRINT_FORMAT))
		invoice = make_invoice(customer=self.customer)
		self.assertEqual(pdf.print_options(invoice).print_format, PRINT_FORMAT)

	def test_a_default_the_site_chose_is_used(self):
		other = another_print_format()
		# As Customize Form saves it (ERPNext 16's installer made a system-generated one).
		name = "Sales Invoice-main-default_print_format"
		before = frappe.db.get_value("Property Setter", name, ["value", "is_system_generated"], as_dict=True)
		if before:
			frappe.db.set_value("Property Setter", name, {"value": other, "is_system_generated": 0})
		else:
			frappe.get_doc(
				{
					"doctype": "Property Setter",
					"doctype_or_field": "DocType",
					"doc_type": "Sales Invoice",
					"property": "default_print_format",
					"value": other,
					"property_type": "Link",
					"is_system_generated": 0,
				}
			).insert(ignore_permissions=True)
		pdf.forget_print_context()

		def restore():
			if before:
				frappe.db.set_value("Property Setter", name, before)
			else:
				frappe.delete_doc("Property Setter", name, force=True, ignore_permissions=True)
			pdf.forget_print_context()

		self.addCleanup(restore)
		invoice = make_invoice(customer=self.customer)
		self.assertEqual(pdf.print_options(invoice).print_format, other)

	def test_the_default_pdf_names_the_seller_and_no_internal_field(self):
		invoice = make_invoice(customer=self.customer, rate=123.45, qty=2, po_no="PO-PRINT-9")
		text = pdf_text(pdf.render(invoice, pdf.print_options(invoice)))
		company = frappe.db.get_value("Company", self.company, ["company_name", "tax_id"], as_dict=True)
		for expected in (
			company.company_name,
			company.tax_id,
			"1 Market Street",
			self.customer,
			"12 Print Road",
			invoice.name,
			"PO-PRINT-9",
			"Amount due",
			frappe.utils.fmt_money(246.9, currency=invoice.currency),
			"Pay by bank transfer",
			"DE89370400440532013000",
		):
			self.assertIn(expected.lower(), text.lower())  # headings print in capitals
		for label in (*INTERNAL_LABELS, invoice.debit_to):
			self.assertNotIn(label.lower(), text.lower())

	def test_a_credit_note_prints_as_one(self):
		invoice = make_invoice(customer=self.customer)
		credit = make_invoice(customer=self.customer, is_return=True, return_against=invoice.name)
		text = pdf_text(pdf.render(credit, pdf.print_options(credit)))
		self.assertIn(f"Credit Note {credit.name}", text)
		self.assertIn(invoice.name, text)  # against which invoice
		self.assertNotIn("Pay by bank transfer", text)

	def test_settings_still_choose_another_print(self):
		other = another_print_format()
		set_settings(print_format=other)
		invoice = make_invoice(customer=self.customer)
		self.assertEqual(pdf.print_options(invoice).print_format, other)
