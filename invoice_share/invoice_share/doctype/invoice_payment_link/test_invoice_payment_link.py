# Copyright (c) 2026, invoice_share contributors
# For license information, please see license.txt

import json

import frappe
from frappe.utils import flt

from invoice_share import api
from invoice_share.core.compat import TestCase, change_settings
from invoice_share.core.exceptions import InvoiceStateError, PaymentPending, PaymentsNotConfigured
from invoice_share.payments import webhook
from invoice_share.payments.checkout import settle_open_links
from invoice_share.tests.utils import (
	accept_payment_entries,
	configure_stripe,
	ensure_bank_account,
	ensure_customer,
	ensure_receivable_account,
	grant,
	make_invoice,
	make_user,
	pay_by_hand,
	refuse_payment_entries,
	set_settings,
	start_standin,
	test_company,
)

test_ignore = ["Sales Invoice", "Customer", "Company", "Payment Entry", "Share Link"]


def configure_stripe_account() -> str:
	return ensure_bank_account(test_company())


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


class StripeTestCase(TestCase):
	"""Stripe pointed at a stand-in of the class's own; events delivered as Stripe signs them."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.standin = start_standin(cls)

	def setUp(self):
		frappe.set_user("Administrator")
		self.standin.payment_method_types = ["card"]
		configure_stripe(self.standin)

	def deliver(self, event_type: str, session_id: str):
		payload, signature = self.standin.event_for(event_type, session_id)
		response = webhook.handle(payload, signature)
		return response.status_code, json.loads(response.get_data())["message"]


class TestInvoicePaymentLink(StripeTestCase):
	def settle(self, sales_invoice: str | None = None):
		"""Run the settlement job here, as the worker would after commit (and drop what was queued,
		so a live worker does not run it at the same time)."""
		frappe.db.after_commit.reset()
		settle_open_links(sales_invoice)

	def details(self, invoice):
		return api.create_payment_link(invoice.name)["invoice_payment_details"]

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
		self.assertEqual(self.deliver("checkout.session.completed", session_id)[1]["status"], "Processing")
		self.standin.async_payment_result(session_id, succeeded=False)
		self.assertEqual(
			self.deliver("checkout.session.async_payment_failed", session_id)[1]["status"], "Failed"
		)

		delayed = make_invoice(rate=30, qty=1)
		session_id = self.details(delayed)["payment_url"].rsplit("/", 1)[1]
		self.standin.complete_session(session_id, payment_status="unpaid")
		self.assertEqual(self.deliver("checkout.session.completed", session_id)[1]["status"], "Processing")
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
		from invoice_share.buyer.summary import page_context

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
		from invoice_share.buyer.summary import guest_summary

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
			# A Stripe account in the company's currency: Stripe settles the EUR at its own rate.
			self.standin.money.settlement[foreign.lower()] = (company_currency.lower(), "1.1")
			self.addCleanup(self.standin.money.settlement.clear)
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
		# Stripe settles in the company's currency at a rate of its own (1.2 against ERPNext's
		# 1.25): the Stripe account gets Stripe's 120, the difference is exchange loss.
		self.standin.money.settlement[foreign.lower()] = (company_currency.lower(), "1.2")
		self.addCleanup(self.standin.money.settlement.clear)
		self.standin.complete_session(session_id)
		self.assertEqual(self.deliver("checkout.session.completed", session_id)[1]["status"], "Paid")
		invoice.reload()
		self.assertEqual((flt(invoice.outstanding_amount), invoice.status), (0, "Paid"))
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session_id})
		entry = frappe.get_doc("Payment Entry", link.payment_entry)
		self.assertEqual((entry.paid_to, flt(entry.received_amount)), (configure_stripe_account(), 120))

	def test_early_payment_discount_is_what_stripe_asks_and_the_entry_books(self):
		from invoice_share.buyer.summary import guest_summary

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
		from invoice_share.buyer.summary import guest_summary

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
		from invoice_share.buyer.returns import return_page_context

		invoice = make_invoice(rate=42, qty=1)
		session_id = self.details(invoice)["payment_url"].rsplit("/", 1)[1]
		self.assertEqual(return_page_context(session_id, cancelled=False)["status"], "Open")
		self.standin.complete_session(session_id)
		self.assertEqual(return_page_context(session_id, cancelled=False)["status"], "Paid")
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "status"), "Paid")
		self.assertIsNone(return_page_context("cs_test_unknown", cancelled=False))
		self.assertIsNone(return_page_context("not-a-session", cancelled=False))


def _entries_of(sales_invoice: str) -> list[str]:
	return frappe.get_all(
		"Payment Entry Reference", {"reference_name": sales_invoice, "docstatus": 1}, pluck="parent"
	)


class TestReviewFindings(StripeTestCase):
	"""What a review found: a refused payment nobody saw, amounts finer than Stripe's unit, delayed
	methods, Adaptive Pricing, a Stripe key switched, who may change it."""

	def tearDown(self):
		frappe.set_user("Administrator")
		accept_payment_entries()

	def session_of(self, invoice) -> str:
		details = api.create_payment_link(invoice.name)["invoice_payment_details"]
		return details["payment_url"].rsplit("/", 1)[1]

	def link(self, session_id: str):
		return frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session_id})

	def paid_lapsed_and_refused(self, invoice) -> str:
		"""A session the buyer paid, now past its expiry, whose Payment Entry ERPNext refuses."""
		session_id = self.session_of(invoice)
		self.standin.complete_session(session_id)
		frappe.db.set_value(
			"Invoice Payment Link",
			{"checkout_session_id": session_id},
			"expires_on",
			frappe.utils.add_to_date(None, minutes=-5),
		)
		refuse_payment_entries()
		return session_id

	def page(self, invoice) -> str:
		from invoice_share.buyer.pages import buyer_page_html

		return buyer_page_html(frappe.get_doc("Sales Invoice", invoice.name), "TOKEN")

	def test_a_refused_payment_entry_is_flagged_shown_and_booked_once_fixed(self):
		from invoice_share.buyer.returns import return_page_context

		invoice = make_invoice(rate=75, qty=1)
		session_id = self.session_of(invoice)
		self.standin.complete_session(session_id)
		refuse_payment_entries()
		creates_before = len(creates(self.standin))

		status, body = self.deliver("checkout.session.completed", session_id)
		self.assertEqual((status, body["recorded"]), (500, False))  # Stripe delivers it again later
		link = self.link(session_id)
		self.assertEqual((link.status, link.needs_attention), ("Received", 1))
		self.assertIn("refused the Payment Entry", link.attention_note)
		self.assertIn("Invoice Share Test Refusal", link.attention_note)  # the reason
		self.assertTrue(
			frappe.db.exists(
				"Notification Log",
				{"document_name": invoice.name, "subject": ["like", "%refused the Payment Entry%"]},
			)
		)
		# The buyer is told it arrived, is never offered a new session, and the desk gets a 409.
		page = self.page(invoice)
		self.assertIn("received and is being recorded", page)
		self.assertNotIn("start_checkout", page)
		self.assertEqual(return_page_context(session_id, cancelled=False)["status"], "Received")
		with self.assertRaises(PaymentPending):
			api.create_payment_link(invoice.name)
		self.assertEqual(len(creates(self.standin)), creates_before)
		# The hourly sweep tries again (still refused: the flag stays), then books it once fixed.
		settle_open_links(invoice.name)
		self.assertEqual(self.link(session_id).status, "Received")
		self.assertEqual(_entries_of(invoice.name), [])
		accept_payment_entries()
		# Fixed: the buyer's receipt page asks Stripe again and books it, once.
		self.assertEqual(return_page_context(session_id, cancelled=False)["status"], "Paid")
		settle_open_links(invoice.name)
		link = self.link(session_id)
		self.assertEqual((link.status, link.needs_attention), ("Paid", 0))
		self.assertEqual(_entries_of(invoice.name), [link.payment_entry])
		self.assertEqual(self.deliver("checkout.session.completed", session_id)[1]["status"], "Paid")
		self.assertEqual(len(_entries_of(invoice.name)), 1)

	def test_the_sweep_keeps_the_flag_of_a_refused_payment(self):
		"""Before, the sweep's rollback threw the error away and the link stayed Open."""
		invoice = make_invoice(rate=41, qty=1)
		session_id = self.paid_lapsed_and_refused(invoice)  # its webhook never arrives
		settle_open_links()
		frappe.db.rollback()  # what the sweep committed stays
		link = self.link(session_id)
		self.assertEqual((link.status, link.needs_attention), ("Received", 1))
		accept_payment_entries()  # the cause fixed: the next sweep books it
		settle_open_links()
		link = self.link(session_id)
		self.assertEqual((link.status, link.needs_attention), ("Paid", 0))
		self.assertEqual(_entries_of(invoice.name), [link.payment_entry])

	def test_a_pay_click_on_an_expired_paid_session_says_received_not_500(self):
		invoice = make_invoice(rate=52, qty=1)
		session_id = self.paid_lapsed_and_refused(invoice)
		before = len(creates(self.standin))
		with self.assertRaises(PaymentPending):
			api.create_payment_link(invoice.name)
		self.assertEqual(len(creates(self.standin)), before)  # no new session while one is unbooked
		self.assertEqual(self.link(session_id).status, "Received")

	def test_a_site_precision_finer_than_stripes_unit_books_what_stripe_took(self):
		"""A site that keeps three decimals: an invoice of 5.125 is charged 5.13 (Stripe takes whole
		cents; three-decimal currencies the same way, to the nearest ten). The books say 5.13 too,
		and the 0.005 goes to the company's Round Off account."""
		with change_settings("System Settings", currency_precision=3):
			frappe.clear_cache()
			invoice = make_invoice(rate=5.125, qty=1, disable_rounded_total=1)
			self.assertEqual(flt(invoice.outstanding_amount, 3), 5.125)
			session_id = self.session_of(invoice)
			self.assertEqual(self.standin.session(session_id)["amount_total"], 513)
			self.standin.complete_session(session_id)
			self.assertEqual(self.deliver("checkout.session.completed", session_id)[1]["status"], "Paid")
			link = self.link(session_id)
			self.assertEqual((flt(link.received_amount, 3), link.needs_attention), (5.13, 0))
			entry = frappe.get_doc("Payment Entry", link.payment_entry)
			self.assertEqual(flt(entry.received_amount, 3), 5.13)  # what Stripe took
			self.assertEqual(flt(_allocated(entry, invoice.name), 3), 5.125)
			round_off = frappe.get_cached_value("Company", invoice.company, "round_off_account")
			self.assertEqual([(d.account, flt(d.amount, 3)) for d in entry.deductions], [(round_off, -0.005)])
			self.assertEqual(flt(entry.difference_amount, 3), 0)
			invoice.reload()
			self.assertEqual((flt(invoice.outstanding_amount, 3), invoice.status), (0, "Paid"))
		frappe.clear_cache()

	def test_a_delayed_method_shows_processing_and_offers_no_second_session(self):
		self.standin.payment_method_types = ["card", "sepa_debit"]
		invoice = make_invoice(rate=64, qty=1)
		self.assertIn("Pay", self.page(invoice))
		session_id = self.session_of(invoice)
		self.assertIn("online", self.page(invoice))  # other methods than card are on
		self.assertNotIn("by card", self.page(invoice))
		self.standin.complete_session(session_id, payment_status="unpaid")
		self.assertEqual(self.deliver("checkout.session.completed", session_id)[1]["status"], "Processing")
		page = self.page(invoice)
		self.assertIn("being processed", page)
		self.assertNotIn("start_checkout", page)
		before = len(creates(self.standin))
		with self.assertRaises(PaymentPending):
			api.create_payment_link(invoice.name)
		self.assertEqual(len(creates(self.standin)), before)
		self.assertEqual(_entries_of(invoice.name), [])  # nothing booked yet
		# It failed: the invoice can be paid again.
		self.standin.async_payment_result(session_id, succeeded=False)
		self.assertEqual(
			self.deliver("checkout.session.async_payment_failed", session_id)[1]["status"], "Failed"
		)
		self.assertNotEqual(self.session_of(invoice), session_id)
		self.assertIn("start_checkout", self.page(invoice))

	def test_the_button_says_by_card_only_when_card_is_all(self):
		invoice = make_invoice(rate=20, qty=1)
		self.session_of(invoice)
		self.assertIn("by card", self.page(invoice))

	def test_an_adaptive_pricing_payment_is_booked_in_the_invoice_currency(self):
		invoice = make_invoice(rate=90, qty=1)
		session_id = self.session_of(invoice)
		request = creates(self.standin)[-1]
		self.assertEqual(request.params["adaptive_pricing"], {"enabled": "false"})
		other = "JPY" if invoice.currency != "JPY" else "USD"
		self.standin.complete_session(session_id, presentment=(13999, other))
		self.assertEqual(self.deliver("checkout.session.completed", session_id)[1]["status"], "Paid")
		link = self.link(session_id)
		self.assertEqual((flt(link.received_amount), link.needs_attention), (90, 0))
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "status"), "Paid")

	def test_a_new_stripe_key_closes_the_old_keys_sessions_for_good(self):
		from invoice_share.tests.stripe_standin import StripeStandIn

		invoice = make_invoice(rate=33, qty=1)
		old_session = self.session_of(invoice)
		live = StripeStandIn(secret_key="sk_live_" + "L" * 32).start()
		self.addCleanup(live.stop)
		configure_stripe(live)
		link = self.link(old_session)
		self.assertEqual(link.status, "Expired")  # a test-mode session: closed, nothing to check
		requests_before = len(self.standin.requests)
		new_session = self.session_of(invoice)  # never the old one again
		self.assertNotEqual(new_session, old_session)
		self.assertEqual(self.link(new_session).livemode, 1)
		settle_open_links()
		self.assertEqual(len(self.standin.requests), requests_before)  # the sweep leaves it alone
		# Back to the test key: the live session may hold real money, so a person checks it.
		configure_stripe(self.standin)
		live_link = self.link(new_session)
		self.assertEqual((live_link.status, live_link.needs_attention), ("Expired", 1))
		self.assertIn("another Stripe account or mode", live_link.attention_note)
		self.assertEqual(len(live.requests), 1)  # only its create: never asked again
		# The change is on the settings' timeline: who and when, never the value.
		comments = frappe.get_all(
			"Comment",
			{"reference_doctype": "Invoice Share Settings", "content": ["like", "%Stripe secret key%"]},
			["content", "owner"],
		)
		self.assertTrue(comments)
		self.assertFalse([c for c in comments if live.secret_key in c.content or "sk_" in c.content])

	def test_only_a_system_manager_changes_the_stripe_key_or_webhook_secret(self):
		user = make_user("invoice-share-accounts-manager@example.com", ["Accounts Manager"])
		frappe.set_user(user)
		for field, value in (
			("stripe_secret_key", "sk_test_" + "X" * 32),
			("stripe_webhook_secret", "whsec_" + "X" * 32),
		):
			with self.subTest(field=field), self.assertRaises(frappe.PermissionError):
				set_settings(**{field: value})
		shown = frappe.db.get_single_value("Invoice Share Settings", "show_line_items")
		set_settings(show_line_items=0 if shown else 1)  # the rest of the page is theirs
		frappe.set_user("Administrator")
		set_settings(show_line_items=shown)
		self.assertEqual(
			frappe.get_single("Invoice Share Settings").get_password("stripe_secret_key"),
			self.standin.secret_key,
		)


class TestLinkLists(StripeTestCase):
	"""Lists, reports and exports of link rows show only what the user may read of Sales Invoices."""

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_a_sales_user_lists_only_the_links_of_invoices_they_may_read(self):
		mine = make_invoice(customer=ensure_customer("_Invoice Share Listed Customer"))
		theirs = make_invoice(customer=ensure_customer("_Invoice Share Hidden Customer"))
		for invoice in (mine, theirs):
			api.generate_share_link(invoice.name)
			api.create_payment_link(invoice.name)
		grant(self, "Sales Invoice", "Sales User")
		user = make_user("invoice-share-listing@example.com", ["Sales User"])
		if not frappe.db.exists("User Permission", {"user": user, "allow": "Customer"}):
			frappe.get_doc(
				{
					"doctype": "User Permission",
					"user": user,
					"allow": "Customer",
					"for_value": mine.customer,
				}
			).insert(ignore_permissions=True)
		frappe.set_user(user)
		both = [mine.name, theirs.name]
		for doctype in ("Invoice Share Link", "Invoice Payment Link"):
			with self.subTest(doctype=doctype):
				listed = frappe.get_list(doctype, {"sales_invoice": ["in", both]}, pluck="sales_invoice")
				self.assertEqual(listed, [mine.name])
				# (a report or an export asks the same way, with more fields)
				rows = frappe.get_list(
					doctype, filters={"sales_invoice": ["in", both]}, fields=["name", "sales_invoice"]
				)
				self.assertEqual([row.sales_invoice for row in rows], [mine.name])

		# A role that may read the link rows but no Sales Invoice lists none.
		frappe.set_user("Administrator")
		role = "_Invoice Share Link Reader"
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert(
				ignore_permissions=True
			)
		for doctype in ("Invoice Share Link", "Invoice Payment Link"):
			grant(self, doctype, role)
		reader = make_user("invoice-share-link-reader@example.com", [role])
		frappe.set_user(reader)
		for doctype in ("Invoice Share Link", "Invoice Payment Link"):
			with self.subTest(doctype=doctype, user="no invoice access"):
				self.assertEqual(frappe.get_list(doctype, {"sales_invoice": ["in", both]}), [])
