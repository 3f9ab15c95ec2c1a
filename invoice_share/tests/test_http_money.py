"""Money over HTTP against the live server and its background worker: idempotency keys that never
repeat, no lock held while Stripe answers, and sessions closed after commit when an invoice is paid
another way. `scripts/test` starts the server and the worker and sets INVOICE_SHARE_TEST_URL."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import frappe
import pymysql
import requests

from invoice_share.core import guest
from invoice_share.tests.test_http import (
	BASE_URL,
	LOOPBACK_PROXIES,
	WEBHOOK_URL,
	HttpTestCase,
	client_ip,
	session_of,
	setUpModule,
	wait_for,
)
from invoice_share.tests.utils import (
	accept_payment_entries,
	make_invoice,
	refuse_payment_entries,
	set_settings,
	start_standin,
)

__all__ = ["setUpModule"]


class StripeHttpTestCase(HttpTestCase):
	"""The live server's Stripe is a stand-in of the class's own, which delivers its webhooks."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.standin = start_standin(cls, webhook_url=WEBHOOK_URL, commit=True)

	def tearDown(self):
		self.standin.clear_faults()


class TestMoneyOverHttp(StripeHttpTestCase):
	def payment_link(self, invoice_name: str):
		return self.call("POST", "create_payment_link", sales_invoice=invoice_name)

	def test_a_lost_answer_never_blocks_later_checkouts(self):
		"""Stripe makes the session but its answer is lost (twice: stripe-python retries once). The
		request fails and rolls back; before, the next link of any invoice reused the rolled back
		name, and so the idempotency key, and Stripe refused every checkout for 24 hours."""
		first, second = make_invoice(rate=11, qty=1), make_invoice(rate=22, qty=1)
		frappe.db.commit()
		self.standin.inject_fault("POST", r"^/v1/checkout/sessions$", lose_answer=True, times=2)
		failed = self.payment_link(first.name)
		self.assertEqual(failed.status_code, 502, failed.text)
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("Invoice Payment Link", {"sales_invoice": first.name}))

		for invoice in (second, first):
			response = self.payment_link(invoice.name)
			self.assertEqual(response.status_code, 200, response.text)
			session = self.standin.session(session_of(response.json()["message"]["invoice_payment_details"]))
			self.assertEqual(session["metadata"]["sales_invoice"], invoice.name)
		keys = [r.idempotency_key for r in self.standin.requests if r.path == "/v1/checkout/sessions"]
		self.assertEqual(len(set(keys[-4:])), 3)  # the lost one (sent twice), then one per success
		self.assertFalse([r for r in self.standin.requests if r.status == 400])
		made_for_first = [
			s for s in self.standin.sessions.values() if s["metadata"]["sales_invoice"] == first.name
		]
		self.assertEqual(len(made_for_first), 2)  # the lost one stays unknown to us and lapses at Stripe

	def test_no_lock_is_held_while_stripe_answers(self):
		invoice = make_invoice(rate=44, qty=1)
		frappe.db.commit()
		old = session_of(self.payment_link(invoice.name).json()["message"]["invoice_payment_details"])
		# About to lapse: the next request expires it at Stripe and makes a new one.
		frappe.db.set_value(
			"Invoice Payment Link",
			{"checkout_session_id": old},
			"expires_on",
			frappe.utils.add_to_date(None, minutes=2),
		)
		frappe.db.commit()
		self.standin.inject_fault("POST", r"/expire$", delay=3)
		self.standin.inject_fault("POST", r"^/v1/checkout/sessions$", delay=3)
		answer = {}
		thread = threading.Thread(target=lambda: answer.update(r=self.payment_link(invoice.name)))
		thread.start()
		try:
			for moment in (1.5, 3):  # the server is waiting for Stripe: to expire, then to create
				time.sleep(moment)
				self.assert_not_locked(invoice.name)
		finally:
			thread.join(timeout=60)
		self.assertEqual(answer["r"].status_code, 200, answer["r"].text)
		self.assertEqual(self.standin.session(old)["status"], "expired")

	def assert_not_locked(self, invoice_name: str) -> None:
		frappe.db.rollback()
		try:
			for what, query in (
				("the invoice", "SELECT name FROM `tabSales Invoice` WHERE name = %s FOR UPDATE NOWAIT"),
				(
					"its payment links",
					"SELECT name FROM `tabInvoice Payment Link` WHERE sales_invoice = %s FOR UPDATE NOWAIT",
				),
			):
				try:
					frappe.db.sql(query, invoice_name)
				except pymysql.err.OperationalError as exc:
					self.fail(f"{what} stayed locked while Stripe was being called: {exc}")
		finally:
			frappe.db.rollback()

	def test_a_credit_note_that_settles_the_invoice_closes_its_sessions(self):
		invoice = make_invoice(rate=25, qty=2)
		frappe.db.commit()
		session_id = session_of(self.payment_link(invoice.name).json()["message"]["invoice_payment_details"])
		make_invoice(rate=25, qty=2, is_return=True, return_against=invoice.name)
		frappe.db.commit()  # the worker closes the session after this commit
		wait_for(lambda: self.standin.session(session_id)["status"] == "expired")
		wait_for(
			lambda: (
				frappe.db.get_value("Invoice Payment Link", {"checkout_session_id": session_id}, "status")
				== "Expired"
			)
		)
		self.assertEqual(self.payment_link(invoice.name).status_code, 409)


class TestReviewedMoneyOverHttp(StripeHttpTestCase):
	"""Double clicks, refused bookings a rollback must not hide, and limits that junk cannot fill."""

	def tearDown(self):
		super().tearDown()
		accept_payment_entries()
		frappe.db.commit()

	def pay_click(self, token: str, ip: str):
		return requests.post(
			f"{BASE_URL}/api/method/invoice_share.api.start_checkout",
			data={"token": token},
			headers={"X-Forwarded-For": ip},
			timeout=120,
		)

	def test_twenty_concurrent_pay_clicks_make_one_session(self):
		invoice, token, _ = self.shared(rate=87, qty=1)
		# Stripe answers slowly, so the clicks really overlap.
		self.standin.inject_fault("POST", r"^/v1/checkout/sessions$", delay=1)
		with ThreadPoolExecutor(max_workers=20) as pool:
			answers = list(pool.map(lambda _: self.pay_click(token, client_ip()), range(20)))
		self.assertEqual([a.status_code for a in answers], [200] * 20, [a.text for a in answers][:3])
		self.assertEqual(len({a.json()["message"]["id"] for a in answers}), 1)
		made = [s for s in self.standin.sessions.values() if s["metadata"]["sales_invoice"] == invoice.name]
		self.assertEqual((len(made), made[0]["status"]), (1, "open"))  # and none expired
		frappe.db.rollback()
		self.assertEqual(frappe.db.count("Invoice Payment Link", {"sales_invoice": invoice.name}), 1)

	def test_a_refused_booking_is_flagged_even_when_the_request_rolls_back(self):
		"""The desk's Create payment link meets a paid, unbooked session: it answers 409, Frappe
		rolls the request back, and the flag is written all the same (by a job of its own)."""
		invoice = make_invoice(rate=61, qty=1)
		frappe.db.commit()
		answer = self.call("POST", "create_payment_link", sales_invoice=invoice.name)
		session_id = session_of(answer.json()["message"]["invoice_payment_details"])
		self.standin.complete_session(session_id)  # paid; its webhook is lost
		frappe.db.set_value(
			"Invoice Payment Link",
			{"checkout_session_id": session_id},
			"expires_on",
			frappe.utils.add_to_date(None, minutes=-5),
		)
		refuse_payment_entries()  # commits
		frappe.db.commit()
		again = self.call("POST", "create_payment_link", sales_invoice=invoice.name)
		self.assertEqual(again.status_code, 409, again.text)
		self.assertIn("received and is being recorded", again.text)

		def flagged():
			frappe.db.rollback()
			return frappe.db.get_value(
				"Invoice Payment Link", {"checkout_session_id": session_id}, ["status", "needs_attention"]
			) == ("Received", 1)

		wait_for(flagged, message="the refused payment was not flagged")
		made = [s for s in self.standin.sessions.values() if s["metadata"]["sales_invoice"] == invoice.name]
		self.assertEqual(len(made), 1)  # no new session while the paid one is unbooked

	def test_junk_cannot_use_up_another_buyers_or_stripes_limit(self):
		"""Behind nginx on loopback (trusted by default): eleven junk Pay posts from one client do
		not block another buyer, and junk webhooks do not block Stripe's signed deliveries."""
		set_settings(trusted_proxies="")  # as installed
		frappe.db.commit()
		self.addCleanup(lambda: (set_settings(trusted_proxies=LOOPBACK_PROXIES), frappe.db.commit()))
		_, token, _ = self.shared(rate=19, qty=1)
		junk = client_ip()
		codes = [self.pay_click("junk-token", junk).status_code for _ in range(guest.CHECKOUT_LIMIT + 1)]
		self.assertEqual(codes[-1], 429)
		self.assertEqual(self.pay_click(token, client_ip()).status_code, 200)

		stripe_ip = client_ip()
		for _ in range(guest.WEBHOOK_LIMIT + 1):
			bad = requests.post(
				WEBHOOK_URL,
				data=b"{}",
				headers={"X-Forwarded-For": stripe_ip, "Stripe-Signature": "t=1,v1=x"},
			)
		self.assertEqual(bad.status_code, 429)
		payload = json.dumps(
			{"id": "evt_junk_test", "object": "event", "type": "invoice.paid", "data": {"object": {}}}
		).encode()
		signed = requests.post(
			WEBHOOK_URL,
			data=payload,
			headers={"X-Forwarded-For": stripe_ip, "Stripe-Signature": self.standin.sign(payload)},
		)
		self.assertEqual(signed.status_code, 200, signed.text)


class TestBooksOverHttp(StripeHttpTestCase):
	"""Stripe delivers each event several times, some at once, to the live server and its two
	processes: every movement of money is still booked by exactly one voucher."""

	def test_concurrent_and_repeated_deliveries_book_each_movement_once(self):
		from decimal import Decimal

		from invoice_share.payments.amounts import from_minor_units
		from invoice_share.payments.books import STRIPE_TXN
		from invoice_share.tests.test_books import ledger_balance
		from invoice_share.tests.utils import test_company

		self.standin.money.fee_rate, self.standin.money.fee_fixed = Decimal("0.029"), 30
		self.addCleanup(setattr, self.standin.money, "fee_rate", Decimal(0))
		self.addCleanup(setattr, self.standin.money, "fee_fixed", 0)
		settings = frappe.get_single("Invoice Share Settings")
		currency = frappe.get_cached_value("Company", test_company(), "default_currency")
		before = ledger_balance(settings.stripe_account)
		invoices = [make_invoice(rate=rate, qty=1) for rate in (31, 47, 53)]
		frappe.db.commit()
		sessions = []
		for invoice in invoices:
			answer = self.call("POST", "create_payment_link", sales_invoice=invoice.name)
			self.assertEqual(answer.status_code, 200, answer.text)
			url = answer.json()["message"]["invoice_payment_details"]["payment_url"]
			sessions.append(self.standin.complete_session(url.rsplit("/", 1)[1]))
		refund = self.standin.refund(sessions[0]["payment_intent"], 500)
		payout = self.standin.payout(currency)
		events = [("checkout.session.completed", session["id"]) for session in sessions]
		events += [("charge.refunded", refund["charge"]), ("payout.paid", payout["id"])]
		deliveries = events * 4
		random_order = __import__("random").Random(7)
		random_order.shuffle(deliveries)

		def as_stripe_sends(event):
			"""Delivered until it is answered 2xx, as Stripe retries."""
			for _ in range(6):
				status, _body = self.standin.deliver(*event)
				if status < 500:
					return status
				time.sleep(0.5)
			return status

		with ThreadPoolExecutor(max_workers=8) as pool:
			statuses = list(pool.map(as_stripe_sends, deliveries))
		self.assertEqual(statuses, [200] * len(deliveries))
		frappe.db.rollback()  # read what the server committed
		for bt in self.standin.balance_transactions():
			rows = frappe.get_all(
				STRIPE_TXN, {"balance_transaction": bt["id"]}, ["voucher_type", "voucher_no"]
			)
			self.assertEqual(len(rows), 1, bt)
			self.assertEqual(frappe.db.get_value(rows[0].voucher_type, rows[0].voucher_no, "docstatus"), 1)
		for invoice in invoices:
			self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "status"), "Paid")
		self.assertEqual(
			ledger_balance(settings.stripe_account) - before,
			from_minor_units(self.standin.balance().get(currency.lower(), 0), currency),
		)
