"""Money over HTTP against the live server and its background worker: idempotency keys that never
repeat, no lock held while Stripe answers, and sessions closed after commit when an invoice is paid
another way. `scripts/test` starts the server and the worker and sets INVOICE_SHARE_TEST_URL."""

import threading
import time

import frappe
import pymysql

from invoice_share.tests.test_http import WEBHOOK_URL, HttpTestCase, session_of, setUpModule, wait_for
from invoice_share.tests.utils import (
	make_invoice,
	start_standin,
)

__all__ = ["setUpModule"]


class TestMoneyOverHttp(HttpTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.standin = start_standin(cls, webhook_url=WEBHOOK_URL, commit=True)

	def tearDown(self):
		self.standin.clear_faults()

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
