# Copyright (c) 2026, invoice_share contributors
# For license information, please see license.txt

import json

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import flt

from invoice_share import api
from invoice_share.exceptions import InvoiceStateError, PaymentsNotConfigured
from invoice_share.payments import webhook
from invoice_share.tests.stripe_standin import StripeStandIn
from invoice_share.tests.utils import (
	configure_stripe,
	ensure_customer,
	ensure_receivable_account,
	make_invoice,
	pay_by_hand,
	set_settings,
)

test_ignore = ["Sales Invoice", "Customer", "Company", "Payment Entry", "Share Link"]


def creates(standin) -> list:
	return [r for r in standin.requests if r.method == "POST" and r.path == "/v1/checkout/sessions"]


class TestInvoicePaymentLink(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.standin = StripeStandIn().start()
		cls.addClassCleanup(cls.standin.stop)

	def setUp(self):
		frappe.set_user("Administrator")
		configure_stripe(self.standin)

	def details(self, invoice):
		return api.create_payment_link(invoice.name)["invoice_payment_details"]

	def deliver(self, event_type: str, session_id: str):
		payload, signature = self.standin.event_for(event_type, session_id)
		response = webhook.handle(payload, signature)
		return response.status_code, json.loads(response.get_data())["message"]

	def test_payment_link_answer_and_amount_from_the_server(self):
		invoice = make_invoice(rate=123.45, qty=2)
		details = self.details(invoice)
		self.assertEqual(
			set(details),
			{
				"sales_invoice",
				"customer",
				"payment_provider",
				"payment_url",
				"amount",
				"currency",
				"expires_at",
			},
		)
		self.assertEqual(details["payment_provider"], "stripe")
		self.assertEqual((details["amount"], details["currency"]), (246.9, invoice.currency))
		self.assertTrue(details["payment_url"].startswith(self.standin.url))

		(request,) = creates(self.standin)[-1:]
		line = request.params["line_items"][0]
		self.assertEqual(line["price_data"]["unit_amount"], "24690")
		self.assertEqual(line["price_data"]["currency"], invoice.currency.lower())
		self.assertEqual(request.params["mode"], "payment")
		self.assertEqual(request.params["metadata"]["sales_invoice"], invoice.name)
		self.assertEqual(request.params["metadata"]["site"], frappe.local.site)
		self.assertTrue(request.idempotency_key)
		self.assertFalse([r for r in self.standin.requests if r.path.startswith("/v1/charges")])

	def test_open_session_is_reused(self):
		invoice = make_invoice()
		before = len(creates(self.standin))
		first, second = self.details(invoice), self.details(invoice)
		self.assertEqual(first["payment_url"], second["payment_url"])
		self.assertEqual(len(creates(self.standin)), before + 1)
		self.assertEqual(frappe.db.count("Invoice Payment Link", {"sales_invoice": invoice.name}), 1)

	def test_zero_decimal_currency(self):
		invoice = make_invoice(
			rate=1500,
			qty=3,
			currency="JPY",
			customer=ensure_customer("_Invoice Share JPY Customer"),
			debit_to=ensure_receivable_account("JPY"),
			conversion_rate=0.0067,
		)
		self.details(invoice)
		line = creates(self.standin)[-1].params["line_items"][0]["price_data"]
		self.assertEqual((line["unit_amount"], line["currency"]), ("4500", "jpy"))

	def test_partial_payment_asks_for_the_remainder(self):
		invoice = make_invoice(rate=100, qty=1)
		full = self.details(invoice)
		pay_by_hand(invoice.name, 40)

		rest = self.details(frappe.get_doc("Sales Invoice", invoice.name))
		self.assertEqual(rest["amount"], 60)
		self.assertNotEqual(rest["payment_url"], full["payment_url"])
		old_session = full["payment_url"].rsplit("/", 1)[1]
		self.assertEqual(self.standin.session(old_session)["status"], "expired")
		self.assertEqual(
			creates(self.standin)[-1].params["line_items"][0]["price_data"]["unit_amount"], "6000"
		)

	def test_no_payment_link_for_credit_notes_paid_drafts_or_small_amounts(self):
		invoice = make_invoice()
		credit = make_invoice(is_return=True, return_against=invoice.name)
		for name in (credit.name, make_invoice(submit=False).name):
			with self.subTest(name=name), self.assertRaises(InvoiceStateError):
				api.create_payment_link(name)
		tiny = make_invoice(rate=0.3, qty=1)
		with self.assertRaisesRegex(InvoiceStateError, "less than 0.50"):
			api.create_payment_link(tiny.name)
		set_settings(stripe_enabled=0)
		with self.assertRaises(PaymentsNotConfigured):
			api.create_payment_link(invoice.name)

	def test_paid_webhook_records_one_payment_entry(self):
		invoice = make_invoice(rate=250, qty=1)
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		self.standin.complete_session(session_id)

		for _ in range(5):  # Stripe repeats events; the entry is made once
			status, body = self.deliver("checkout.session.completed", session_id)
			self.assertEqual((status, body["status"]), (200, "Paid"))

		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session_id})
		self.assertEqual(link.status, "Paid")
		entries = frappe.get_all(
			"Payment Entry Reference", {"reference_name": invoice.name, "docstatus": 1}, pluck="parent"
		)
		self.assertEqual(entries, [link.payment_entry])
		entry = frappe.get_doc("Payment Entry", link.payment_entry)
		self.assertEqual(
			(entry.docstatus, entry.reference_no, flt(entry.paid_amount)), (1, link.payment_intent, 250)
		)
		self.assertEqual(
			entry.mode_of_payment, frappe.get_single("Invoice Share Settings").stripe_mode_of_payment
		)
		invoice.reload()
		self.assertEqual((flt(invoice.outstanding_amount), invoice.status), (0, "Paid"))
		self.assertTrue(
			frappe.db.exists(
				"Comment", {"reference_name": invoice.name, "content": ["like", "Paid %through Stripe%"]}
			)
		)
		with self.assertRaises(InvoiceStateError):  # nothing left to pay
			api.create_payment_link(invoice.name)

	def test_amount_mismatch_is_not_recorded(self):
		invoice = make_invoice(rate=80, qty=1)
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		self.standin.complete_session(session_id, amount_total=100)
		status, body = self.deliver("checkout.session.completed", session_id)
		self.assertEqual((status, body["status"]), (200, "Open"))
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session_id})
		self.assertEqual(link.status, "Open")
		self.assertFalse(link.payment_entry)
		self.assertIn(
			"does not match",
			frappe.get_all("Error Log", pluck="method", order_by="creation desc", limit=1)[0],
		)
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount")), 80)

	def test_failed_and_expired_sessions(self):
		invoice = make_invoice()
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		self.standin.complete_session(session_id, payment_status="unpaid")  # a delayed method
		self.assertEqual(self.deliver("checkout.session.completed", session_id)[1]["status"], "Open")
		self.standin.async_payment_result(session_id, succeeded=False)
		self.assertEqual(
			self.deliver("checkout.session.async_payment_failed", session_id)[1]["status"], "Failed"
		)

		delayed = make_invoice(rate=30, qty=1)
		session_id = self.details(delayed)["payment_url"].rsplit("/", 1)[1]
		self.standin.complete_session(session_id, payment_status="unpaid")
		self.assertEqual(self.deliver("checkout.session.completed", session_id)[1]["status"], "Open")
		self.standin.async_payment_result(session_id, succeeded=True)
		self.assertEqual(
			self.deliver("checkout.session.async_payment_succeeded", session_id)[1]["status"], "Paid"
		)
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", delayed.name, "outstanding_amount")), 0)

		other = make_invoice()
		session_id = self.details(other)["payment_url"].rsplit("/", 1)[1]
		self.standin.expire_now(session_id)
		self.assertEqual(self.deliver("checkout.session.expired", session_id)[1]["status"], "Expired")

	def test_bad_signatures_get_400_and_change_nothing(self):
		invoice = make_invoice()
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		self.standin.complete_session(session_id)
		payload, signature = self.standin.event_for("checkout.session.completed", session_id)
		tampered = payload.replace(b'"paid"', b'"paid" ', 1)
		wrong_secret = self.standin.sign(payload, secret="whsec_wrong")
		stale = self.standin.sign(payload, timestamp=int(frappe.utils.time.time()) - 3600)
		for body, header in (
			(tampered, signature),
			(payload, wrong_secret),
			(payload, stale),
			(payload, None),
		):
			self.assertEqual(webhook.handle(body, header).status_code, 400)
		self.assertEqual(
			frappe.db.get_value("Invoice Payment Link", {"checkout_session_id": session_id}, "status"), "Open"
		)

	def test_unknown_events_are_acknowledged(self):
		payload = json.dumps(
			{"id": "evt_x", "object": "event", "type": "invoice.paid", "data": {"object": {}}}
		).encode()
		response = webhook.handle(payload, self.standin.sign(payload))
		self.assertEqual(response.status_code, 200)

	def test_cancelling_the_invoice_expires_its_sessions(self):
		invoice = make_invoice()
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		invoice.reload()
		invoice.cancel()
		self.assertEqual(self.standin.session(session_id)["status"], "expired")
		self.assertEqual(
			frappe.db.get_value("Invoice Payment Link", {"checkout_session_id": session_id}, "status"),
			"Cancelled",
		)
		with self.assertRaises(InvoiceStateError):
			api.create_payment_link(invoice.name)

	def test_payment_after_cancellation_is_flagged_not_posted(self):
		invoice = make_invoice(rate=60, qty=1)
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		self.standin.complete_session(session_id)  # the buyer pays just as the seller cancels
		invoice.reload()
		invoice.cancel()
		status, body = self.deliver("checkout.session.completed", session_id)
		self.assertEqual((status, body["status"]), (200, "Cancelled"))
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session_id})
		self.assertFalse(link.payment_entry)
		self.assertIn("refund it in Stripe", link.last_error)
		self.assertTrue(link.payment_intent)

	def test_return_page_reconciles_when_the_webhook_is_late(self):
		from invoice_share.payments.checkout import return_page_context

		invoice = make_invoice(rate=42, qty=1)
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		self.assertEqual(return_page_context(session_id, cancelled=False)["status"], "Open")
		self.standin.complete_session(session_id)
		self.assertEqual(return_page_context(session_id, cancelled=False)["status"], "Paid")
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "status"), "Paid")
		self.assertIsNone(return_page_context("cs_test_unknown", cancelled=False))
		self.assertIsNone(return_page_context("not-a-session", cancelled=False))
