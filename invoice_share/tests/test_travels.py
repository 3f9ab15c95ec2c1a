"""The link travels with the invoice (Jinja helper, Email Template, PDF with the link and QR codes),
the seller hears of first views, and the customer reads it all in their own language."""

import io
import re

import frappe
from frappe.email.doctype.email_template.email_template import get_email_template
from frappe.utils import getdate, nowdate

from invoice_share import api, pdf
from invoice_share.buyer.pages import buyer_page_html
from invoice_share.core.compat import TestCase, change_settings
from invoice_share.devtools import demo
from invoice_share.install import EMAIL_TEMPLATE
from invoice_share.links import sharing
from invoice_share.notifications import notices
from invoice_share.tests.test_buyer_print import pdf_text
from invoice_share.tests.utils import (
	ensure_customer,
	make_invoice,
	make_user,
	set_settings,
	test_company,
)

URL_RE = re.compile(r"/invoice-view/([A-Za-z0-9_-]{43})")


def decoded_qr_codes(data: bytes) -> list[str]:
	"""The texts of the QR codes in a PDF (every embedded image, decoded with zxing-cpp)."""
	import unittest

	try:
		import zxingcpp
	except ImportError:
		raise unittest.SkipTest("zxing-cpp is not installed in the bench (scripts/test installs it)")
	from PIL import Image
	from pypdf import PdfReader

	texts = []
	for page in PdfReader(io.BytesIO(data)).pages:
		for image in page.images:
			picture = Image.open(io.BytesIO(image.data)).convert("L")
			# Printed small: scale up and add a quiet zone, as a phone's camera would see it.
			picture = picture.resize((picture.width * 4, picture.height * 4), Image.NEAREST)
			framed = Image.new("L", (picture.width + 80, picture.height + 80), 255)
			framed.paste(picture, (40, 40))
			texts += [result.text for result in zxingcpp.read_barcodes(framed)]
	return texts


class TestTheLinkTravels(TestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		demo.ensure_seller_details(test_company())
		set_settings(print_format=None, letter_head=None, print_language=None, stripe_enabled=0)

	def test_the_sales_invoice_email_template_carries_a_working_link(self):
		self.assertEqual(frappe.get_meta("Sales Invoice").default_email_template, EMAIL_TEMPLATE)
		invoice = make_invoice()
		# As the Email dialog renders it: with the invoice's fields.
		first = get_email_template(EMAIL_TEMPLATE, invoice.as_dict())
		self.assertIn(invoice.name, first["subject"])
		token = URL_RE.search(first["message"]).group(1)
		self.assertEqual(sharing.resolve_token(token).sales_invoice, invoice.name)
		# Sending it again sends the same link, and the API shows it too.
		again = get_email_template(EMAIL_TEMPLATE, invoice.as_dict())
		self.assertEqual(URL_RE.search(again["message"]).group(1), token)
		self.assertEqual(api.generate_share_link(invoice.name)["share_token"], token)

	def test_the_jinja_helper_in_notifications_and_print_formats(self):
		invoice = make_invoice()
		url = frappe.render_template("{{ invoice_share_url(doc) }}", {"doc": invoice})
		self.assertTrue(url.startswith("http") and URL_RE.search(url), url)
		self.assertEqual(frappe.render_template("{{ invoice_share_url(doc.name) }}", {"doc": invoice}), url)
		draft = make_invoice(submit=False)
		self.assertEqual(frappe.render_template("{{ invoice_share_url(doc) }}", {"doc": draft}), "")
		# Someone who may not read the invoice gets nothing, and nothing is made.
		other = make_invoice()
		frappe.set_user(make_user("invoice-share-jinja-outsider@example.com", ["Website Manager"]))
		self.assertEqual(frappe.render_template("{{ invoice_share_url(doc) }}", {"doc": other}), "")
		frappe.set_user("Administrator")
		self.assertIsNone(sharing.get_active_link(other.name))

	def test_the_pdf_shows_the_link_and_its_qr_code(self):
		invoice = make_invoice()
		url = api.generate_share_link(invoice.name)["share_url"]
		data, _ = pdf.get_pdf(frappe.get_doc("Sales Invoice", invoice.name))
		self.assertIn("view and pay online", pdf_text(data).lower())
		self.assertIn(url, pdf_text(data).replace(" ", ""))
		self.assertIn(url, decoded_qr_codes(data))
		# A new link is another PDF: the old link is not printed any more.
		new_url = api.generate_share_link(invoice.name, regenerate=1)["share_url"]
		data, cached = pdf.get_pdf(frappe.get_doc("Sales Invoice", invoice.name))
		self.assertFalse(cached)
		self.assertIn(new_url, decoded_qr_codes(data))
		self.assertNotIn(url, decoded_qr_codes(data))

	def test_an_eur_invoice_carries_an_epc_qr_for_a_sepa_transfer(self):
		company_currency = frappe.get_cached_value("Company", test_company(), "default_currency")
		if company_currency == "EUR":
			invoice = make_invoice(rate=120, qty=1)
		else:
			frappe.db.set_value("Currency", "EUR", "enabled", 1)
			with change_settings(
				"Accounts Settings", allow_multi_currency_invoices_against_single_party_account=1
			):
				invoice = make_invoice(
					rate=120,
					qty=1,
					currency="EUR",
					conversion_rate=1.1,
					customer=ensure_customer("_Invoice Share EUR Buyer"),
				)
		data, _ = pdf.get_pdf(frappe.get_doc("Sales Invoice", invoice.name))
		epc = [text for text in decoded_qr_codes(data) if text.startswith("BCD\n")]
		self.assertEqual(len(epc), 1, decoded_qr_codes(data))
		lines = epc[0].split("\n")
		self.assertEqual(lines[6], "DE89370400440532013000")
		self.assertEqual(lines[7], "EUR120.00")
		self.assertIn(invoice.name, epc[0])
		# On the buyer page too, next to the bank details (card payment is off).
		self.assertIn('alt="GiroCode for a SEPA transfer"', buyer_page_html(invoice, "t" * 43))


class TestTheSellerHears(TestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		set_settings(notify_on_first_view=1, notify_on_payment=1, notify_role=None)

	def notifications(self, invoice_name):
		return frappe.get_all(
			"Notification Log",
			{"document_type": "Sales Invoice", "document_name": invoice_name},
			["for_user", "subject"],
		)

	def test_the_first_view_notifies_the_owner_and_the_role_once(self):
		manager = make_user("invoice-share-notified@example.com", ["Accounts Manager"])
		set_settings(notify_role="Accounts Manager")
		invoice = make_invoice()
		token = api.generate_share_link(invoice.name)["share_token"]
		for _ in range(3):
			sharing.record_view(sharing.resolve_token(token))
		logs = self.notifications(invoice.name)
		self.assertIn(invoice.owner, {log.for_user for log in logs})
		self.assertIn(manager, {log.for_user for log in logs})
		self.assertEqual(len([log for log in logs if log.for_user == manager]), 1)
		self.assertTrue(all("opened invoice" in log.subject for log in logs))

	def test_settings_turn_it_off(self):
		set_settings(notify_on_first_view=0)
		invoice = make_invoice()
		token = api.generate_share_link(invoice.name)["share_token"]
		sharing.record_view(sharing.resolve_token(token))
		self.assertEqual(self.notifications(invoice.name), [])

	def test_a_payment_notifies_and_the_customer_gets_a_receipt(self):
		from invoice_share.tests.utils import ensure_outgoing_email_account

		ensure_outgoing_email_account()
		invoice = make_invoice(rate=80, qty=1)
		notices.notify_payment(invoice.name, "$ 80.00")
		self.assertTrue(any("paid" in log.subject for log in self.notifications(invoice.name)))


class TestTheBuyersLanguage(TestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		demo.ensure_seller_details(test_company())
		set_settings(print_format=None, letter_head=None, print_language=None, stripe_enabled=0)
		self.customer = ensure_customer("_Invoice Share Kunde GmbH", "kunde@example.com")
		frappe.db.set_value("Customer", self.customer, "language", "de")

	def test_a_german_customers_page_and_pdf_are_german(self):
		invoice = make_invoice(customer=self.customer)
		frappe.local.lang = "en"  # what the browser asked for
		from invoice_share.buyer.pages import _use_buyer_language

		_use_buyer_language(invoice)
		html = buyer_page_html(invoice, "t" * 43, accepted_languages=["en-US"])
		frappe.local.lang = "en"
		self.assertIn('lang="de"', html)
		self.assertIn("Rechnung", html)
		date = getdate(nowdate())
		self.assertIn(f"{date.day}. ", html)  # 22. November 2026
		self.assertNotIn("Amount due", html)
		text = pdf_text(pdf.render(invoice, pdf.print_options(invoice)))
		self.assertIn("Rechnung", text)
		self.assertNotIn("Amount due", text)

	def test_without_a_language_the_browser_decides(self):
		customer = ensure_customer("_Invoice Share No Language Buyer", None)
		frappe.db.set_value("Customer", customer, "language", None)
		invoice = make_invoice(customer=customer)
		self.assertIsNone(notices.buyer_language(invoice))
