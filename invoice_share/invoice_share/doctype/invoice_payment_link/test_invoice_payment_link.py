# Copyright (c) 2026, invoice_share contributors
# For license information, please see license.txt

import json

import frappe
from frappe.utils import flt

from invoice_share import api
from invoice_share.compat import TestCase, change_settings
from invoice_share.exceptions import InvoiceStateError, PaymentsNotConfigured
from invoice_share.payments import webhook
from invoice_share.payments.checkout import settle_open_links
from invoice_share.tests.utils import (
	configure_stripe,
	ensure_customer,
	ensure_receivable_account,
	make_invoice,
	pay_by_hand,
	set_settings,
	start_standin,
	test_company,
)

test_ignore = ["Sales Invoice", "Customer", "Company", "Payment Entry", "Share Link"]


def creates(standin) -> list:
	return [r for r in standin.requests if r.method == "POST" and r.path == "/v1/checkout/sessions"]


def expires(standin, session_id: str) -> list:
	return [r for r in standin.requests if r.method == "POST" and r.path.endswith(f"/{session_id}/expire")]


def _allocated(entry, sales_invoice: str) -> float:
	return sum(flt(r.allocated_amount) for r in entry.references if r.reference_name == sales_invoice)


def _discount_terms() -> str:
	"""A payment terms template: all due in 30 days, 10 % off within 10 days."""
	name = "_Invoice Share 10% 10 Net 30"
	if not frappe.db.exists("Payment Terms Template", name):
		frappe.get_doc(
			{
				"doctype": "Payment Terms Template",
				"template_name": name,
				"terms": [
					{
						"invoice_portion": 100,
						"due_date_based_on": "Day(s) after invoice date",
						"credit_days": 30,
						"discount_type": "Percentage",
						"discount": 10,
						"discount_validity_based_on": "Day(s) after invoice date",
						"discount_validity": 10,
					}
				],
			}
		).insert(ignore_permissions=True)
	return name


class TestInvoicePaymentLink(TestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.standin = start_standin(cls)

	def setUp(self):
		frappe.set_user("Administrator")
		configure_stripe(self.standin)

	def settle(self, sales_invoice: str | None = None):
		"""Run the settlement job here, as the worker would after commit (and drop what was queued,
		so a live worker does not run it at the same time)."""
		frappe.db.after_commit.reset()
		settle_open_links(sales_invoice)

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
			api.create_payment_link(make_invoice().name)

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

	def test_amount_mismatch_is_booked_and_flagged(self):
		invoice = make_invoice(rate=80, qty=1)
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		self.standin.complete_session(session_id, amount_total=10000)  # Stripe took 100.00, not 80.00
		status, body = self.deliver("checkout.session.completed", session_id)
		self.assertEqual((status, body["status"]), (200, "Paid"))
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session_id})
		self.assertEqual((link.needs_attention, flt(link.received_amount)), (1, 100))
		entry = frappe.get_doc("Payment Entry", link.payment_entry)
		self.assertEqual((entry.docstatus, flt(entry.paid_amount)), (1, 100))
		self.assertEqual(_allocated(entry, invoice.name), 80)
		self.assertEqual(flt(entry.unallocated_amount), 20)
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount")), 0)

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

	def test_cancelling_the_invoice_expires_its_sessions_after_commit(self):
		invoice = make_invoice()
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		invoice.reload()
		invoice.cancel()
		# Nothing is sent to Stripe from inside the transaction that may still roll back.
		self.assertEqual(self.standin.session(session_id)["status"], "open")
		self.assertFalse(expires(self.standin, session_id))
		self.settle(invoice.name)  # the job queued for after the commit
		self.assertEqual(self.standin.session(session_id)["status"], "expired")
		self.assertEqual(
			frappe.db.get_value("Invoice Payment Link", {"checkout_session_id": session_id}, "status"),
			"Cancelled",
		)
		with self.assertRaises(InvoiceStateError):
			api.create_payment_link(invoice.name)

	def test_a_failed_expiry_is_flagged_and_retried_never_recorded_as_expired(self):
		invoice = make_invoice()
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		invoice.reload()
		invoice.cancel()
		self.standin.inject_fault("POST", "/expire$", status=503, times=10)
		self.standin.inject_fault("GET", f"/{session_id}$", status=503, times=10)
		try:
			self.settle(invoice.name)
		finally:
			self.standin.clear_faults()
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session_id})
		self.assertEqual((link.status, link.needs_attention), ("Open", 1))
		self.assertEqual(self.standin.session(session_id)["status"], "open")
		self.settle()  # the hourly sweep, once Stripe answers again
		self.assertEqual(frappe.db.get_value("Invoice Payment Link", link.name, "status"), "Cancelled")
		self.assertEqual(self.standin.session(session_id)["status"], "expired")

	def test_payment_after_cancellation_is_booked_as_an_advance_and_flagged(self):
		invoice = make_invoice(rate=60, qty=1)
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		self.standin.complete_session(session_id)  # the buyer pays just as the seller cancels
		invoice.reload()
		invoice.cancel()
		status, body = self.deliver("checkout.session.completed", session_id)
		self.assertEqual((status, body["status"]), (200, "Paid"))
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session_id})
		self.assertEqual(link.needs_attention, 1)
		entry = frappe.get_doc("Payment Entry", link.payment_entry)
		self.assertEqual((entry.docstatus, entry.party, flt(entry.paid_amount)), (1, invoice.customer, 60))
		self.assertEqual((len(entry.references), flt(entry.unallocated_amount)), (0, 60))
		# Cancelling closes the session only after commit; by then Stripe says it is paid.
		self.settle(invoice.name)
		self.assertEqual(frappe.db.get_value("Invoice Payment Link", link.name, "status"), "Paid")

	def test_paid_by_hand_in_part_then_the_old_session_is_paid(self):
		"""The case seen on a real site: link for 100, clerk books 40, buyer pays the old session."""
		invoice = make_invoice(rate=100, qty=1)
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		pay_by_hand(invoice.name, 40)
		self.standin.complete_session(session_id)
		for _ in range(3):  # Stripe repeats itself; once booked, always the same answer
			status, body = self.deliver("checkout.session.completed", session_id)
			self.assertEqual((status, body["status"]), (200, "Paid"))
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session_id})
		self.assertEqual(link.needs_attention, 1)
		self.assertIn("left unallocated", link.attention_note)
		entry = frappe.get_doc("Payment Entry", link.payment_entry)
		self.assertEqual((flt(entry.paid_amount), _allocated(entry, invoice.name)), (100, 60))
		self.assertEqual(flt(entry.unallocated_amount), 40)
		self.assertEqual(frappe.db.count("Payment Entry", {"reference_no": link.payment_intent}), 1)
		invoice.reload()
		self.assertEqual((flt(invoice.outstanding_amount), invoice.status), (0, "Paid"))
		self.assertTrue(
			frappe.db.exists(
				"Comment", {"reference_name": invoice.name, "content": ["like", "%left unallocated%"]}
			)
		)

	def test_paid_in_full_another_way_then_the_old_session_is_paid(self):
		invoice = make_invoice(rate=50, qty=1)
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		pay_by_hand(invoice.name)
		self.standin.complete_session(session_id)
		status, body = self.deliver("checkout.session.completed", session_id)
		self.assertEqual((status, body["status"]), (200, "Paid"))
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session_id})
		entry = frappe.get_doc("Payment Entry", link.payment_entry)
		self.assertEqual((entry.docstatus, len(entry.references), flt(entry.unallocated_amount)), (1, 0, 50))
		self.assertEqual(link.needs_attention, 1)

	def test_an_invoice_paid_another_way_closes_its_sessions_and_stops_asking(self):
		from invoice_share.summary import page_context

		invoice = make_invoice(rate=70, qty=1)
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		pay_by_hand(invoice.name, 30)
		self.settle(invoice.name)  # queued after the Payment Entry's commit
		self.assertEqual(self.standin.session(session_id)["status"], "expired")
		self.assertEqual(
			frappe.db.get_value("Invoice Payment Link", {"checkout_session_id": session_id}, "status"),
			"Expired",
		)
		rest = self.details(frappe.get_doc("Sales Invoice", invoice.name))
		self.assertEqual(rest["amount"], 40)
		pay_by_hand(invoice.name)
		self.settle(invoice.name)
		self.assertEqual(self.standin.session(rest["payment_url"].rsplit("/", 1)[1])["status"], "expired")
		context = page_context(frappe.get_doc("Sales Invoice", invoice.name), show_items=False)
		self.assertEqual((context["status"], context["is_payable"]), ("Paid", False))

	def test_a_payment_whose_webhook_never_arrived_is_booked_by_the_hourly_sweep(self):
		invoice = make_invoice(rate=33, qty=1)
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		self.standin.complete_session(session_id)
		frappe.db.set_value(
			"Invoice Payment Link",
			{"checkout_session_id": session_id},
			"expires_on",
			frappe.utils.add_to_date(None, minutes=-5),
		)
		self.settle()
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session_id})
		self.assertEqual(link.status, "Paid")
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount")), 0)

	def test_each_link_has_its_own_random_name_and_idempotency_key(self):
		first, second = make_invoice(), make_invoice()
		for invoice in (first, second):
			self.details(invoice)
		links = frappe.get_all(
			"Invoice Payment Link",
			{"sales_invoice": ["in", [first.name, second.name]]},
			["name", "idempotency_key"],
		)
		self.assertEqual(len({link.idempotency_key for link in links}), 2)
		for link in links:
			self.assertRegex(link.name, r"^IPL-[0-9A-F]{16}$")
			self.assertTrue(link.idempotency_key.endswith(link.name))
		keys = {r.idempotency_key for r in creates(self.standin)}
		self.assertTrue({link.idempotency_key for link in links} <= keys)

	def test_multi_currency_invoice_against_a_company_currency_receivable(self):
		"""EUR 100 at 1.1 against the company's receivable: ERPNext stores 110 outstanding."""
		from invoice_share.summary import guest_summary

		company_currency = frappe.get_cached_value("Company", test_company(), "default_currency")
		foreign = "EUR" if company_currency != "EUR" else "USD"
		frappe.db.set_value("Currency", foreign, "enabled", 1)
		with change_settings(
			"Accounts Settings", allow_multi_currency_invoices_against_single_party_account=1
		):
			invoice = make_invoice(
				rate=100,
				qty=1,
				currency=foreign,
				customer=ensure_customer(f"_Invoice Share {foreign} Customer"),
				conversion_rate=1.1,
			)
			self.assertEqual(invoice.party_account_currency, company_currency)
			self.assertEqual(flt(invoice.outstanding_amount), 110)

			details = self.details(invoice)
			self.assertEqual((details["amount"], details["currency"]), (100, foreign))
			line = creates(self.standin)[-1].params["line_items"][0]["price_data"]
			self.assertEqual((line["unit_amount"], line["currency"]), ("10000", foreign.lower()))
			summary = guest_summary(frappe.get_doc("Sales Invoice", invoice.name))
			self.assertEqual((summary["outstanding_amount"], summary["currency"]), (100, foreign))

			session_id = details["payment_url"].rsplit("/", 1)[1]
			self.standin.complete_session(session_id)
			self.assertEqual(self.deliver("checkout.session.completed", session_id)[1]["status"], "Paid")
		invoice.reload()
		self.assertEqual((flt(invoice.outstanding_amount), invoice.status), (0, "Paid"))
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session_id})
		self.assertEqual(link.needs_attention, 0)

	def test_foreign_currency_receivable_account(self):
		company_currency = frappe.get_cached_value("Company", test_company(), "default_currency")
		foreign = "EUR" if company_currency != "EUR" else "USD"
		invoice = make_invoice(
			rate=100,
			qty=1,
			currency=foreign,
			customer=ensure_customer(f"_Invoice Share {foreign} Debtor"),
			debit_to=ensure_receivable_account(foreign),
			conversion_rate=1.25,
		)
		details = self.details(invoice)
		self.assertEqual((details["amount"], details["currency"]), (100, foreign))
		session_id = details["payment_url"].rsplit("/", 1)[1]
		self.standin.complete_session(session_id)
		self.assertEqual(self.deliver("checkout.session.completed", session_id)[1]["status"], "Paid")
		invoice.reload()
		self.assertEqual((flt(invoice.outstanding_amount), invoice.status), (0, "Paid"))

	def test_early_payment_discount_is_what_stripe_asks_and_the_entry_books(self):
		from invoice_share.summary import guest_summary

		company = test_company()
		discount_account = frappe.db.get_value(
			"Account", {"company": company, "root_type": "Expense", "is_group": 0}, "name"
		)
		previous = frappe.get_cached_value("Company", company, "default_discount_account")
		frappe.db.set_value("Company", company, "default_discount_account", discount_account)
		self.addCleanup(frappe.db.set_value, "Company", company, "default_discount_account", previous)
		invoice = make_invoice(rate=200, qty=1, submit=False)
		invoice.payment_terms_template = _discount_terms()
		invoice.due_date = None
		invoice.set("payment_schedule", [])
		invoice.save()
		invoice.submit()

		details = self.details(invoice)
		self.assertEqual(details["amount"], 180)  # 10 % off when paid within 10 days
		self.assertEqual(
			guest_summary(frappe.get_doc("Sales Invoice", invoice.name))["outstanding_amount"], 180
		)
		session_id = details["payment_url"].rsplit("/", 1)[1]
		self.standin.complete_session(session_id)
		self.assertEqual(self.deliver("checkout.session.completed", session_id)[1]["status"], "Paid")
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session_id})
		entry = frappe.get_doc("Payment Entry", link.payment_entry)
		self.assertEqual((flt(entry.paid_amount), _allocated(entry, invoice.name)), (180, 200))
		self.assertEqual(sum(flt(d.amount) for d in entry.deductions), 20)
		self.assertEqual(link.needs_attention, 0)
		invoice.reload()
		self.assertEqual((flt(invoice.outstanding_amount), invoice.status), (0, "Paid"))

	def test_rounded_invoice_asks_for_the_rounded_total_and_is_unpaid(self):
		from invoice_share.summary import guest_summary

		# A currency that rounds to whole units (as ERPNext does when the smallest fraction is 1).
		currency = frappe.get_cached_value("Company", test_company(), "default_currency")
		previous = frappe.db.get_value("Currency", currency, "smallest_currency_fraction_value")
		frappe.db.set_value("Currency", currency, "smallest_currency_fraction_value", 1)
		self.addCleanup(
			frappe.db.set_value, "Currency", currency, "smallest_currency_fraction_value", previous
		)
		frappe.db.value_cache.clear()
		invoice = make_invoice(rate=100.37, qty=1)
		self.assertNotEqual(flt(invoice.grand_total), flt(invoice.rounded_total))
		summary = guest_summary(frappe.get_doc("Sales Invoice", invoice.name))
		self.assertEqual(summary["status"], "Unpaid")
		self.assertEqual(summary["outstanding_amount"], flt(invoice.rounded_total))
		self.assertEqual(self.details(invoice)["amount"], flt(invoice.rounded_total))
		line = creates(self.standin)[-1].params["line_items"][0]["price_data"]
		self.assertEqual(line["unit_amount"], str(round(flt(invoice.rounded_total) * 100)))

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
