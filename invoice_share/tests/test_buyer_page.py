"""What the buyer page says: who, what and how to pay, in plain words and dates, and nothing of the
seller's books. Rendered in-process, as the page renderer does for a valid token."""

import datetime
import re

import frappe
from frappe.utils import add_days, getdate, nowdate

from invoice_share.buyer import summary
from invoice_share.buyer.pages import buyer_page_html
from invoice_share.core.compat import TestCase
from invoice_share.devtools import demo
from invoice_share.tests.utils import (
	ensure_customer,
	make_invoice,
	pay_by_hand,
	set_settings,
	test_company,
)

INTERNAL_LABELS = (
	"Update Billed Amount in Delivery Note",
	"Amount Eligible for Commission",
	"Distributed Discount Amount",
	"Rate of Stock UOM",
)


def long_en_gb(value) -> str:
	"""22 November 2026, written without babel (the code under test uses it)."""
	value = getdate(value)
	return f"{value.day} {value.strftime('%B')} {value.year}"


def text_of(html: str) -> str:
	return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


class TestBuyerPage(TestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.company = test_company()
		demo.ensure_seller_details(self.company)
		self.customer = ensure_customer("_Invoice Share Billed Customer", "billed@example.com")
		demo.ensure_address(
			"Customer", self.customer, ("77 Buyer Lane", "Buyerton", "99887"), is_primary_address=1
		)
		set_settings(stripe_enabled=0, show_line_items=1)

	def page(self, invoice, accept=("en-GB",)) -> str:
		return buyer_page_html(
			frappe.get_doc("Sales Invoice", invoice.name), "t" * 43, accepted_languages=list(accept)
		)

	def test_the_page_says_who_what_and_how_to_pay(self):
		invoice = make_invoice(
			customer=self.customer,
			rate=150,
			qty=2,
			po_no="PO-BUYER-42",
			terms="<p>Pay within 30 days.</p><p>Late fees apply.</p>",
		)
		html = self.page(invoice)
		text = text_of(html)
		company = frappe.get_cached_value(
			"Company", self.company, ["company_name", "tax_id", "email", "phone_no"], as_dict=True
		)
		for expected in (
			company.company_name,
			"1 Market Street",  # the seller's address
			company.tax_id,
			company.email,
			company.phone_no,
			"Bill to",
			self.customer,
			"77 Buyer Lane",  # the billing address
			"PO-BUYER-42",
			"Pay within 30 days.",
			"Late fees apply.",
			# Stripe is off: how to pay by transfer instead, quoting the invoice.
			"Pay by bank transfer",
			"DE89370400440532013000",
			"Demo Savings Bank",
			"DEMOUS33",
			"Reference to quote",
		):
			self.assertIn(expected, text)
		self.assertNotIn("by card", text)
		# One clear amount due (the total and the amount due are the same figure here).
		self.assertEqual(text.count("Amount due"), 1)
		self.assertIn("Due in 30 days", text)
		# Nothing of the seller's books.
		for internal in (
			invoice.debit_to,
			invoice.items[0].income_account,
			invoice.items[0].cost_center,
			*INTERNAL_LABELS,
		):
			self.assertNotIn(internal, html)

	def test_another_customers_invoice_shows_nothing_of_this_one(self):
		mine = make_invoice(customer=self.customer, po_no="PO-MINE-1")
		other = make_invoice(
			customer=ensure_customer("_Invoice Share Other Buyer", None), po_no="PO-THEIRS-2"
		)
		html = self.page(other)
		for foreign in (self.customer, "77 Buyer Lane", "PO-MINE-1", mine.name):
			self.assertNotIn(foreign, html)

	def test_dates_in_the_buyers_locale_and_how_far_the_due_date_is(self):
		overdue = make_invoice(customer=self.customer, posting_days=-10, due_days=7)
		text = text_of(self.page(overdue, accept=("en-GB", "en")))
		self.assertIn(long_en_gb(overdue.posting_date), text)
		self.assertIn(long_en_gb(add_days(nowdate(), -3)), text)
		self.assertIn("Overdue by 3 days", text)
		self.assertIn("Overdue", text)

		today = make_invoice(customer=self.customer, due_days=0)
		self.assertIn("Due today", text_of(self.page(today)))

		# An American browser writes the month first.
		us = text_of(self.page(today, accept=("en-US",)))
		date = getdate(nowdate())
		self.assertIn(f"{date.strftime('%B')} {date.day}, {date.year}", us)

	def test_what_was_paid_so_far_and_when(self):
		invoice = make_invoice(customer=self.customer, rate=100, qty=2)
		pay_by_hand(invoice.name, 60)
		text = text_of(self.page(invoice))
		self.assertIn(f"Paid on {long_en_gb(nowdate())}", text)
		self.assertIn(frappe.utils.fmt_money(60, currency=invoice.currency), text)
		# Now the amount due differs from the total: shown in the totals as well.
		self.assertEqual(text.count("Amount due"), 2)
		self.assertIn(frappe.utils.fmt_money(140, currency=invoice.currency), text)
		self.assertIn("Partly Paid", text)

	def test_a_paid_invoice_asks_for_nothing(self):
		invoice = make_invoice(customer=self.customer)
		pay_by_hand(invoice.name)
		text = text_of(self.page(invoice))
		self.assertIn("Paid — thank you!", text)
		self.assertIn("Nothing left to pay", text)
		self.assertNotIn("Pay by bank transfer", text)
		self.assertNotIn("Due in", text)

	def test_values_are_escaped(self):
		invoice = make_invoice(customer=self.customer, po_no='"><img src=x>')
		# As a name could arrive from an import or an integration: markup in the bill-to.
		frappe.db.set_value(
			"Sales Invoice",
			invoice.name,
			{"customer_name": "<i>Bold</i> & Co", "address_display": "<br>1 <script>x</script> Road<br>"},
		)
		html = self.page(invoice)
		self.assertIn("&lt;i&gt;Bold&lt;/i&gt; &amp; Co", html)
		self.assertNotIn("<script>x", html)
		self.assertIn("&lt;img src=", html)
		self.assertNotIn("<img", html)

	def test_summary_lists_payments_in_the_invoice_currency(self):
		invoice = make_invoice(customer=self.customer, rate=50, qty=1)
		self.assertEqual(summary.payments_so_far(invoice), [])
		pay_by_hand(invoice.name, 20)
		payments = summary.payments_so_far(invoice)
		self.assertEqual([(p["amount"], p["is_credit_note"]) for p in payments], [(20.0, False)])
		self.assertEqual(payments[0]["date"], datetime.date.fromisoformat(nowdate()))
