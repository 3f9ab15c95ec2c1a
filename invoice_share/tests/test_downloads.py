import random
import time

import frappe

from invoice_share import api, pdf
from invoice_share.core.compat import TestCase, change_settings
from invoice_share.core.exceptions import InvalidArgument, InvoiceStateError
from invoice_share.links import downloads
from invoice_share.pdf.print_format import PRINT_FORMAT
from invoice_share.tests.utils import grant, make_invoice, make_user, set_settings


class TestDownloadLinks(TestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		set_settings(download_link_lifetime=86400, download_link_max_lifetime=2592000)

	def token_of(self, answer):
		return answer["url"].rsplit("/", 1)[1]

	def test_link_is_signed_bound_and_expires(self):
		invoice = make_invoice()
		answer = api.get_download_link(invoice.name)
		self.assertRegex(answer["url"], r"/invoice-pdf/[\w-]+\.[\w-]+\.[\w-]+$")
		self.assertLess(len(answer["url"]), 200)  # short enough to paste into a message
		self.assertRegex(answer["expires_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
		self.assertEqual(downloads.resolve(self.token_of(answer)).name, invoice.name)

		short = self.token_of(api.get_download_link(invoice.name, seconds_valid="5"))
		self.assertIsNotNone(downloads.resolve(short))
		time.sleep(6.2)  # the shortest lifetime allowed, plus the one second of leeway
		self.assertIsNone(downloads.resolve(short))

	def test_tampered_and_foreign_tokens(self):
		invoice = make_invoice()
		token = self.token_of(api.get_download_link(invoice.name))
		header, payload, signature = token.split(".")
		self.assertIsNone(downloads.resolve(f"{header}.{payload}.{signature[::-1]}"))
		self.assertIsNone(downloads.resolve(token[:-2]))
		from invoice_share.links import signing

		foreign = signing.sign(
			secret=frappe.get_single("Invoice Share Settings").get_password("download_link_secret"),
			site="another-site.example",
			sales_invoice=invoice.name,
			expires_at=int(time.time()) + 60,
		)
		self.assertIsNone(downloads.resolve(foreign))

	def test_lifetime_must_be_whole_and_in_range(self):
		invoice = make_invoice()
		for bad in ("4", 4, "1.5", "abc", "-5", 2592001, "2592001"):
			with self.subTest(seconds_valid=bad), self.assertRaises(InvalidArgument):
				api.get_download_link(invoice.name, seconds_valid=bad)
		set_settings(download_link_lifetime=3600, download_link_max_lifetime=3600)
		with self.assertRaises(InvalidArgument):
			api.get_download_link(invoice.name, seconds_valid=3601)
		self.assertTrue(api.get_download_link(invoice.name, seconds_valid=3600)["url"])

	def test_read_permission_is_required(self):
		invoice = make_invoice()
		frappe.set_user(make_user("download-outsider@example.com", ["Website Manager"]))
		with self.assertRaises(frappe.PermissionError):
			api.get_download_link(invoice.name)

	def test_credit_notes_drafts_and_cancelled_invoices(self):
		invoice = make_invoice()
		credit = make_invoice(is_return=True, return_against=invoice.name)
		self.assertEqual(
			downloads.resolve(self.token_of(api.get_download_link(credit.name))).name, credit.name
		)

		with self.assertRaises(InvoiceStateError):
			api.get_download_link(make_invoice(submit=False).name)

		cancelled = make_invoice()
		token = self.token_of(api.get_download_link(cancelled.name))
		cancelled.cancel()
		with change_settings("Print Settings", allow_print_for_cancelled=0):
			self.assertIsNone(downloads.resolve(token))
			with self.assertRaises(InvoiceStateError):
				api.get_download_link(cancelled.name)
		with change_settings("Print Settings", allow_print_for_cancelled=1):
			self.assertEqual(downloads.resolve(token).name, cancelled.name)


class TestPdfCache(TestCase):
	def setUp(self):
		frappe.set_user("Administrator")

	def test_cache_hit_serves_identical_bytes_and_changes_render_again(self):
		invoice = make_invoice()
		first, cached = pdf.get_pdf(invoice)
		self.assertFalse(cached)
		self.assertTrue(first.startswith(b"%PDF"))
		again, cached = pdf.get_pdf(frappe.get_doc("Sales Invoice", invoice.name))
		self.assertTrue(cached)
		self.assertEqual(again, first)
		# The guest routes look the invoice up as a few fields, and hit the same entry.
		fields = frappe.db.get_value("Sales Invoice", invoice.name, pdf.INVOICE_FIELDS, as_dict=True)
		self.assertEqual(pdf.get_pdf(fields), (first, True))

		invoice.db_set("remarks", "changed after the first render", update_modified=True)
		changed, cached = pdf.get_pdf(frappe.get_doc("Sales Invoice", invoice.name))
		self.assertFalse(cached)
		self.assertTrue(changed.startswith(b"%PDF"))

		set_settings(show_line_items=0)  # any settings change is a new key too
		_, cached = pdf.get_pdf(frappe.get_doc("Sales Invoice", invoice.name))
		self.assertFalse(cached)

	def test_the_cache_never_serves_a_stale_print(self):
		"""A change to anything printed on the PDF, not only to the invoice, renders it again."""
		invoice = make_invoice()
		letter_head = _letter_head("_Invoice Share Letter Head")
		set_settings(letter_head=letter_head, print_format=None)
		fields = frappe.db.get_value("Sales Invoice", invoice.name, pdf.INVOICE_FIELDS, as_dict=True)
		pdf.get_pdf(fields)
		self.assertTrue(pdf.get_pdf(fields)[1])
		# Another invoice of the company (ERPNext then updates the company's monthly sales) prints
		# nothing new on this one: still a cache hit.
		make_invoice()
		self.assertTrue(pdf.get_pdf(fields)[1], "submitting another invoice made the cached PDF stale")

		changes = {
			"letter head": lambda: _touch("Letter Head", letter_head, "footer", "<p>New bank details</p>"),
			"Print Settings": lambda: _touch("Print Settings", "Print Settings", "font_size", 11),
			"company": lambda: _touch(
				"Company", invoice.company, "phone_no", f"+1 555 {random.randint(1000, 9999)}"
			),
		}
		formats = frappe.get_all("Print Format", {"doc_type": "Sales Invoice", "disabled": 0}, pluck="name")
		if formats:
			set_settings(print_format=formats[0])
			pdf.get_pdf(fields)
			changes["print format"] = lambda: _touch("Print Format", formats[0], "css", ".x { color: red; }")
		for what, change in changes.items():
			with self.subTest(changed=what):
				self.assertTrue(pdf.get_pdf(fields)[1])
				change()
				self.assertFalse(pdf.get_pdf(fields)[1], f"a {what} change served the old PDF")
				self.assertTrue(pdf.get_pdf(fields)[1])

	def test_pdf_generator_follows_the_site(self):
		"""As the desk's print view: the print format's generator, else Print Settings'."""
		if not frappe.get_meta("Print Settings").has_field("pdf_generator"):
			self.assertIsNone(pdf.pdf_generator("Standard"))  # Frappe 15: wkhtmltopdf only
			return
		self.assertEqual(pdf.pdf_generator("Standard"), "wkhtmltopdf")
		with change_settings("Print Settings", pdf_generator="chrome"):
			self.assertEqual(pdf.pdf_generator("Standard"), "chrome")
		formats = frappe.get_all("Print Format", {"doc_type": "Sales Invoice"}, pluck="name", limit=1)
		if formats:
			previous = frappe.db.get_value("Print Format", formats[0], "pdf_generator")
			_touch("Print Format", formats[0], "pdf_generator", "chrome")
			self.addCleanup(_touch, "Print Format", formats[0], "pdf_generator", previous)
			self.assertEqual(pdf.pdf_generator(formats[0]), "chrome")
		invoice = make_invoice()
		options = pdf.print_options(invoice)
		keys = {
			pdf.cache_key(invoice, pdf.PrintOptions(options.print_format, None, "en", generator))
			for generator in ("wkhtmltopdf", "chrome")
		}
		self.assertEqual(len(keys), 2)

	def test_settings_choose_print_format_letter_head_and_language(self):
		invoice = make_invoice()
		set_settings(print_format=None, letter_head=None, print_language=None)
		options = pdf.print_options(invoice)
		self.assertEqual(options.print_format, pdf.site_default_print_format() or PRINT_FORMAT)
		formats = frappe.get_all(
			"Print Format", {"doc_type": "Sales Invoice", "disabled": 0}, pluck="name", limit=1
		)
		if formats:
			set_settings(print_format=formats[0], print_language="de")
			options = pdf.print_options(invoice)
			self.assertEqual((options.print_format, options.language), (formats[0], "de"))

	def test_filename_is_the_invoice_number(self):
		invoice = make_invoice()
		self.assertEqual(pdf.filename(invoice.name), f"{invoice.name}.pdf")
		self.assertEqual(pdf.filename("SINV/2026 #7"), "SINV-2026-7.pdf")
		response = pdf.pdf_response(b"%PDF-1.4 x", pdf.filename(invoice.name))
		self.assertEqual(response.headers["Content-Type"], "application/pdf")
		self.assertEqual(response.headers["Content-Length"], "10")
		self.assertIn(f'filename="{invoice.name}.pdf"', response.headers["Content-Disposition"])


def _letter_head(name: str) -> str:
	if not frappe.db.exists("Letter Head", name):
		frappe.get_doc(
			{"doctype": "Letter Head", "letter_head_name": name, "source": "HTML", "content": "<p>Seller</p>"}
		).insert(ignore_permissions=True)
	return name


def _touch(doctype: str, name: str, field: str, value) -> None:
	"""Save a document the way the desk does (its cached copy is cleared)."""
	doc = frappe.get_doc(doctype, name)
	doc.set(field, value)
	doc.flags.ignore_permissions = True
	doc.flags.ignore_mandatory = True
	doc.save()


class TestReviewedPdfs(TestCase):
	"""The buyer's PDF: what depends on the day, guest parameters, and the share link's reach."""

	def setUp(self):
		frappe.set_user("Administrator")
		set_settings(download_link_lifetime=86400, download_link_max_lifetime=2592000)

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_a_lapsed_early_payment_discount_is_not_printed_from_the_store(self):
		from invoice_share.invoice_share.doctype.invoice_payment_link.test_invoice_payment_link import (
			_discount_terms,
		)
		from invoice_share.tests.test_buyer_print import pdf_text
		from invoice_share.tests.utils import days_later

		invoice = make_invoice(rate=200, qty=1, submit=False)
		invoice.payment_terms_template = _discount_terms()  # 10 % off within 10 days
		invoice.due_date = None
		invoice.set("payment_schedule", [])
		invoice.save()
		invoice.submit()
		today, from_store = pdf.get_pdf(frappe.get_doc("Sales Invoice", invoice.name))
		self.assertFalse(from_store)
		self.assertIn("180.00", pdf_text(today))
		with days_later(11):  # the discount has lapsed
			later, from_store = pdf.get_pdf(frappe.get_doc("Sales Invoice", invoice.name))
		self.assertFalse(from_store)
		self.assertNotIn("180.00", pdf_text(later))
		self.assertIn("200.00", pdf_text(later))

	def test_the_print_sees_no_guest_parameter(self):
		invoice = make_invoice(rate=17, qty=1)
		plain, _ = pdf.get_pdf(frappe.get_doc("Sales Invoice", invoice.name))
		other = make_invoice(rate=17, qty=1)
		for settings in ('{"bad', '{"compact_item_print": 1, "with_letterhead": 0}'):
			with self.subTest(settings=settings):
				frappe.local.form_dict = frappe._dict(settings=settings, trigger_print="1", token="x")
				try:
					data, _from_store = pdf.get_pdf(frappe.get_doc("Sales Invoice", other.name))
				finally:
					form, frappe.local.form_dict = frappe.local.form_dict, frappe._dict()
				self.assertTrue(data.startswith(b"%PDF"))
				self.assertEqual(form.settings, settings)  # the request's own parameters are back
		self.assertTrue(plain.startswith(b"%PDF"))

	def test_a_download_link_shows_the_share_link_only_to_who_may_share(self):
		from invoice_share.tests.test_buyer_print import pdf_text

		invoice = make_invoice(rate=23, qty=1)
		share_url = api.generate_share_link(invoice.name)["share_url"]
		token = share_url.rsplit("/", 1)[1]

		def served_pdf(answer) -> str:
			response = api.signed_invoice_pdf(token=answer["url"].rsplit("/", 1)[1])
			self.assertEqual(response.status_code, 200)
			return pdf_text(response.get_data())

		# (the PDF's text has ligatures and line breaks: the link's start and its heading are checked)
		self.assertIn("VIEW AND PAY ONLINE", served_pdf(api.get_download_link(invoice.name)).upper())
		self.assertTrue(share_url.startswith("http"))
		role = "_Invoice Share Printer"  # may read and print invoices, not change or share them
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert(
				ignore_permissions=True
			)
		grant(self, "Sales Invoice", role, print=1)
		printer = make_user("invoice-share-printer@example.com", [role])
		frappe.set_user(printer)
		as_printer = frappe.get_doc("Sales Invoice", invoice.name)
		self.assertFalse(as_printer.has_permission("write"))
		self.assertTrue(as_printer.has_permission("print"))
		text = served_pdf(api.get_download_link(invoice.name))
		self.assertNotIn("VIEW AND PAY ONLINE", text.upper())
		self.assertNotIn(token[:6], text)
		self.assertNotIn("invoice-", text)
