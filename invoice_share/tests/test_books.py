"""The books match Stripe: fees, refunds, disputes, Stripe's own fees and payouts, each Stripe
balance transaction booked by exactly one voucher, with events late, shuffled and repeated."""

import json
import random
from decimal import Decimal

import frappe
from frappe.utils import flt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invoice_share import api
from invoice_share.core.compat import TestCase, change_settings
from invoice_share.core.exceptions import InvalidArgument, InvoiceStateError
from invoice_share.payments import webhook
from invoice_share.payments.amounts import from_minor_units
from invoice_share.payments.books import STRIPE_TXN
from invoice_share.tests.stripe_money import MoneyError
from invoice_share.tests.stripe_standin import StripeStandIn
from invoice_share.tests.utils import (
	accept_payment_entries,
	configure_stripe,
	ensure_customer,
	make_invoice,
	refuse_payment_entries,
	set_settings,
	start_standin,
	test_company,
)


def ledger_balance(account: str) -> Decimal:
	"""The account's balance in its own currency, from the General Ledger."""
	gle = frappe.qb.DocType("GL Entry")
	(row,) = (
		frappe.qb.from_(gle)
		.select(
			frappe.query_builder.functions.Sum(gle.debit_in_account_currency)
			- frappe.query_builder.functions.Sum(gle.credit_in_account_currency)
		)
		.where((gle.account == account) & (gle.is_cancelled == 0))
	).run()
	return Decimal(str(flt(row[0], 2)))


class BooksTestCase(TestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.standin = start_standin(cls)

	def setUp(self):
		frappe.set_user("Administrator")
		self.use(self.standin)

	def use(self, standin):
		configure_stripe(standin)
		self.settings = frappe.get_single("Invoice Share Settings")
		self.currency = frappe.get_cached_value("Company", test_company(), "default_currency")

	def deliver(self, standin, event_type: str, object_id: str):
		payload, signature = standin.event_for(event_type, object_id)
		response = webhook.handle(payload, signature)
		return response.status_code, json.loads(response.get_data())["message"]

	def pay(self, standin, rate: float, customer: str | None = None, currency=None, conversion_rate=1):
		invoice = make_invoice(
			rate=rate, qty=1, customer=customer, currency=currency, conversion_rate=conversion_rate
		)
		url = api.create_payment_link(invoice.name)["invoice_payment_details"]["payment_url"]
		session = standin.complete_session(url.rsplit("/", 1)[1])
		return invoice, session

	def stripe_balance(self, standin) -> Decimal:
		minor = standin.balance().get(self.currency.lower(), 0)
		return from_minor_units(minor, self.currency)

	def vouchers(self, balance_transaction: str):
		return frappe.get_all(
			STRIPE_TXN, {"balance_transaction": balance_transaction}, ["voucher_type", "voucher_no"]
		)


class TestBooks(BooksTestCase):
	def setUp(self):
		super().setUp()
		self.standin.money.fee_rate, self.standin.money.fee_fixed = Decimal("0.029"), 30

	def tearDown(self):
		self.standin.money.fee_rate, self.standin.money.fee_fixed = Decimal(0), 0

	def test_a_payment_puts_the_net_on_stripe_and_the_fee_on_the_fee_account(self):
		before = ledger_balance(self.settings.stripe_account)
		fees_before = ledger_balance(self.settings.stripe_fee_account)
		invoice, session = self.pay(self.standin, 200)
		self.assertEqual(self.deliver(self.standin, "checkout.session.completed", session["id"])[0], 200)
		self.deliver(self.standin, "checkout.session.completed", session["id"])  # again: nothing more
		invoice.reload()
		self.assertEqual((flt(invoice.outstanding_amount), invoice.status), (0, "Paid"))
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session["id"]})
		entry = frappe.get_doc("Payment Entry", link.payment_entry)
		(bt,) = [row for row in self.standin.balance_transactions() if row["type"] == "charge"][-1:]
		self.assertEqual((bt["amount"], bt["fee"]), (20000, 610))  # 2.9 % + 0.30, Stripe's figures
		self.assertEqual(flt(entry.received_amount), 193.90)
		self.assertEqual(
			[(d.account, flt(d.amount)) for d in entry.deductions], [(self.settings.stripe_fee_account, 6.10)]
		)
		self.assertEqual(sum(flt(r.allocated_amount) for r in entry.references), 200)
		self.assertEqual(ledger_balance(self.settings.stripe_account) - before, Decimal("193.90"))
		self.assertEqual(ledger_balance(self.settings.stripe_fee_account) - fees_before, Decimal("6.10"))
		self.assertEqual(
			self.vouchers(bt["id"]), [{"voucher_type": "Payment Entry", "voucher_no": entry.name}]
		)

	def test_a_dashboard_refund_goes_to_the_credit_note_or_stays_with_the_customer(self):
		invoice, session = self.pay(self.standin, 100)
		self.deliver(self.standin, "checkout.session.completed", session["id"])
		before = ledger_balance(self.settings.stripe_account)
		# No credit note yet: the refund is unallocated, the customer owes it, the link says so.
		refund = self.standin.refund(session["payment_intent"], 3000)
		status, answer = self.deliver(self.standin, "charge.refunded", refund["charge"])
		self.assertEqual((status, answer["booked"]), (200, 1))
		self.assertEqual(self.deliver(self.standin, "refund.updated", refund["id"])[1]["booked"], 0)
		((voucher_type, voucher_no),) = [
			tuple(v.values()) for v in self.vouchers(refund["balance_transaction"])
		]
		entry = frappe.get_doc(voucher_type, voucher_no)
		self.assertEqual(
			(entry.payment_type, entry.party, flt(entry.paid_amount)), ("Pay", invoice.customer, 30)
		)
		self.assertEqual(entry.references, [])
		self.assertEqual(entry.reference_no, refund["id"])
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session["id"]})
		self.assertTrue(link.needs_attention)
		self.assertIn("credit note", link.attention_note)
		self.assertEqual(ledger_balance(self.settings.stripe_account) - before, Decimal("-30.00"))

		# With a credit note: the next refund pays it back.
		credit_note = make_invoice(
			rate=20, qty=-1, is_return=True, return_against=invoice.name, customer=invoice.customer
		)
		second = self.standin.refund(session["payment_intent"], 2000)
		self.deliver(self.standin, "refund.updated", second["id"])
		((voucher_type, voucher_no),) = [
			tuple(v.values()) for v in self.vouchers(second["balance_transaction"])
		]
		entry = frappe.get_doc(voucher_type, voucher_no)
		self.assertEqual(
			[(r.reference_name, abs(flt(r.allocated_amount))) for r in entry.references],
			[(credit_note.name, 20)],
		)
		credit_note.reload()
		self.assertEqual(flt(credit_note.outstanding_amount), 0)

		# The first refund fails at the buyer's bank: a voucher of its own brings the money back.
		failed = self.standin.fail_refund(refund["id"])
		self.deliver(self.standin, "refund.failed", refund["id"])
		((voucher_type, voucher_no),) = [
			tuple(v.values()) for v in self.vouchers(failed["failure_balance_transaction"])
		]
		self.assertEqual(frappe.db.get_value(voucher_type, voucher_no, "docstatus"), 1)
		self.assertEqual(
			frappe.db.get_value("Payment Entry", entry.name, "docstatus"), 1
		)  # nothing cancelled
		self.assertEqual(ledger_balance(self.settings.stripe_account) - before, Decimal("-20.00"))

	def test_a_dispute_is_booked_flagged_refused_a_refund_and_reinstated_when_won(self):
		invoice, session = self.pay(self.standin, 80)
		self.deliver(self.standin, "checkout.session.completed", session["id"])
		before = ledger_balance(self.settings.stripe_account)
		dispute = self.standin.open_dispute(session["payment_intent"])
		self.deliver(self.standin, "charge.dispute.funds_withdrawn", dispute["id"])
		self.deliver(self.standin, "charge.dispute.created", dispute["id"])  # the same money: once
		((voucher_type, voucher_no),) = [
			tuple(v.values()) for v in self.vouchers(dispute["balance_transactions"][0]["id"])
		]
		journal = frappe.get_doc(voucher_type, voucher_no)
		self.assertEqual(journal.cheque_no, dispute["id"])
		lines = {
			(row.account, row.party or None): flt(row.debit) - flt(row.credit) for row in journal.accounts
		}
		self.assertEqual(lines[(self.settings.stripe_account, None)], -95)  # 80 and the 15 dispute fee
		self.assertEqual(lines[(self.settings.stripe_fee_account, None)], 15)
		self.assertEqual(lines[(invoice.debit_to, invoice.customer)], 80)
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session["id"]})
		self.assertTrue(link.needs_attention)
		self.assertIn("Respond in Stripe by", link.attention_note)
		self.assertEqual(ledger_balance(self.settings.stripe_account) - before, Decimal("-95.00"))

		won = self.standin.close_dispute(dispute["id"], won=True)
		self.deliver(self.standin, "charge.dispute.funds_reinstated", dispute["id"])
		self.deliver(self.standin, "charge.dispute.closed", dispute["id"])
		self.assertEqual(len(self.vouchers(won["balance_transactions"][1]["id"])), 1)
		self.assertEqual(ledger_balance(self.settings.stripe_account) - before, Decimal("-15.00"))

	def test_a_payout_books_what_it_holds_then_moves_its_amount_to_the_bank(self):
		standin = StripeStandIn().start()
		self.addCleanup(standin.stop)
		self.use(standin)
		standin.money.fee_rate, standin.money.fee_fixed = Decimal("0.029"), 30
		before = ledger_balance(self.settings.stripe_account)
		bank_before = ledger_balance(self.settings.stripe_payout_account)
		paid = [self.pay(standin, rate) for rate in (50, 75)]
		self.deliver(standin, "checkout.session.completed", paid[0][1]["id"])  # the second's is lost
		standin.stripe_fee(500, self.currency)  # Stripe's own fee: no event of its own
		payout = standin.payout(self.currency)
		status, answer = self.deliver(standin, "payout.paid", payout["id"])
		self.assertEqual((status, answer["booked"]), (200, 3))  # the lost payment, the fee, the payout
		self.deliver(standin, "payout.reconciliation_completed", payout["id"])
		self.assertEqual(ledger_balance(self.settings.stripe_account) - before, self.stripe_balance(standin))
		self.assertEqual(self.stripe_balance(standin), 0)
		amount = from_minor_units(payout["amount"], self.currency)
		self.assertEqual(ledger_balance(self.settings.stripe_payout_account) - bank_before, amount)
		((voucher_type, voucher_no),) = [
			tuple(v.values()) for v in self.vouchers(payout["balance_transaction"])
		]
		journal = frappe.get_doc(voucher_type, voucher_no)
		self.assertEqual(
			(journal.cheque_no, str(journal.posting_date)),
			(payout["id"], str(frappe.utils.getdate(frappe.utils.add_days(frappe.utils.nowdate(), 2)))),
		)
		for invoice, _session in paid:
			self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "status"), "Paid")

		failed = standin.fail_payout(payout["id"])
		self.deliver(standin, "payout.failed", payout["id"])
		self.assertEqual(len(self.vouchers(failed["failure_balance_transaction"])), 1)
		self.assertEqual(ledger_balance(self.settings.stripe_account) - before, self.stripe_balance(standin))
		self.assertEqual(ledger_balance(self.settings.stripe_payout_account) - bank_before, 0)

	def test_a_desk_refund_is_asked_once_within_what_the_credit_note_allows_and_booked_against_it(self):
		invoice, session = self.pay(self.standin, 100)
		self.deliver(self.standin, "checkout.session.completed", session["id"])
		self.assertFalse(api.get_share_status(invoice.name)["can_refund_via_stripe"])
		credit_note = make_invoice(
			rate=40, qty=-1, is_return=True, return_against=invoice.name, customer=invoice.customer
		)
		self.assertTrue(api.get_share_status(credit_note.name)["can_refund_via_stripe"])
		refunds_at_stripe = lambda: [  # noqa: E731
			r for r in self.standin.requests if r.method == "POST" and r.path == "/v1/refunds"
		]
		with self.assertRaises(InvalidArgument):
			api.refund_via_stripe(credit_note.name, 40.01)  # more than the credit note pays back
		self.assertEqual(refunds_at_stripe(), [])

		# ERPNext refuses the Payment Entry: Stripe refunded, nothing is booked; the second click
		# gets the same refund, booked once ERPNext takes it.
		refuse_payment_entries()
		self.addCleanup(accept_payment_entries)
		first = api.refund_via_stripe(credit_note.name, 25)
		self.assertIsNone(first["payment_entry"])
		accept_payment_entries()
		second = api.refund_via_stripe(credit_note.name, 25)
		self.assertEqual(second["refund"], first["refund"])
		self.assertEqual(len({r.idempotency_key for r in refunds_at_stripe()}), 1)
		refunded = lambda: [  # noqa: E731
			r
			for r in self.standin.money._objects["refunds"].values()
			if r["payment_intent"] == session["payment_intent"]
		]
		self.assertEqual(len(refunded()), 1)
		entry = frappe.get_doc("Payment Entry", second["payment_entry"])
		self.assertEqual((entry.payment_type, entry.paid_from), ("Pay", self.settings.stripe_account))
		self.assertEqual(
			[(r.reference_name, flt(r.allocated_amount)) for r in entry.references], [(credit_note.name, -25)]
		)
		credit_note.reload()
		self.assertEqual(flt(credit_note.outstanding_amount), -15)

		# A dispute is open: Stripe refunds nothing, and nothing is booked.
		self.standin.open_dispute(session["payment_intent"])
		with self.assertRaises(InvoiceStateError):
			api.refund_via_stripe(credit_note.name)
		self.assertEqual(len(refunded()), 1)

	def test_sync_from_stripe_books_what_no_webhook_brought(self):
		standin = StripeStandIn().start()
		self.addCleanup(standin.stop)
		self.use(standin)
		before = ledger_balance(self.settings.stripe_account)
		_invoice, session = self.pay(standin, 40)
		standin.refund(session["payment_intent"], 1000)
		standin.stripe_fee(200, self.currency)
		with self.assertRaises(frappe.ValidationError):
			api.sync_stripe("yesterday")
		answer = api.sync_stripe(frappe.utils.nowdate())
		self.assertEqual(answer["booked"], 3)
		self.assertEqual(api.sync_stripe(frappe.utils.nowdate())["booked"], 0)
		self.assertEqual(ledger_balance(self.settings.stripe_account) - before, self.stripe_balance(standin))

	def test_the_reconciliation_report_shows_the_difference_and_what_is_missing_on_either_side(self):
		from invoice_share.invoice_share.report.stripe_reconciliation.stripe_reconciliation import execute

		standin = StripeStandIn().start()
		self.addCleanup(standin.stop)
		self.use(standin)
		before = ledger_balance(self.settings.stripe_account)  # this site's earlier tests
		_invoice, session = self.pay(standin, 60)
		self.deliver(standin, "checkout.session.completed", session["id"])
		fee = standin.stripe_fee(250, self.currency)  # no event: not booked yet
		journal = frappe.get_doc(
			{
				"doctype": "Journal Entry",
				"voucher_type": "Bank Entry",
				"company": test_company(),
				"posting_date": frappe.utils.nowdate(),
				"cheque_no": "by hand",
				"cheque_date": frappe.utils.nowdate(),
				"accounts": [
					{"account": self.settings.stripe_account, "debit_in_account_currency": 7},
					{"account": self.settings.stripe_payout_account, "credit_in_account_currency": 7},
				],
			}
		).insert(ignore_permissions=True)
		journal.submit()
		_columns, rows, _message, _chart, summary = execute({"from_date": frappe.utils.nowdate()})
		figures = [row["value"] for row in summary]
		self.assertEqual(figures[0], float(self.stripe_balance(standin)))
		self.assertEqual(figures[2], flt(float(before) + 7 + 2.5, 2))  # the fee not booked, the 7 by hand
		self.assertIn(fee["id"], [row.get("reference") for row in rows])
		self.assertIn(journal.name, [row.get("voucher_no") for row in rows])
		paid = [bt["id"] for bt in standin.balance_transactions() if bt["type"] == "charge"]
		self.assertNotIn(paid[0], [row.get("reference") for row in rows])
		api.sync_stripe(frappe.utils.nowdate())
		_columns, rows, _message, _chart, summary = execute({"from_date": frappe.utils.nowdate()})
		self.assertNotIn(fee["id"], [row.get("reference") for row in rows])
		self.assertEqual(summary[2]["value"], flt(float(before) + 7, 2))

	def test_stripes_conversion_goes_to_the_stripe_account_and_the_difference_is_exchange_gain_or_loss(self):
		"""EUR 100 at ERPNext's 1.1 against the company's receivable; Stripe converts at 1.08."""
		company = test_company()
		foreign = "EUR" if self.currency != "EUR" else "USD"
		frappe.db.set_value("Currency", foreign, "enabled", 1)
		gain_loss = frappe.get_cached_value("Company", company, "exchange_gain_loss_account")
		self.assertTrue(gain_loss, "the test company has an Exchange Gain / Loss Account")
		self.standin.money.settlement[foreign.lower()] = (self.currency.lower(), "1.08")
		self.addCleanup(self.standin.money.settlement.clear)
		before = ledger_balance(self.settings.stripe_account)
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
			url = api.create_payment_link(invoice.name)["invoice_payment_details"]["payment_url"]
			session = self.standin.complete_session(url.rsplit("/", 1)[1])
			self.assertEqual(self.deliver(self.standin, "checkout.session.completed", session["id"])[0], 200)
		invoice.reload()
		self.assertEqual((flt(invoice.outstanding_amount), invoice.status), (0, "Paid"))
		bt = [row for row in self.standin.balance_transactions() if row["type"] == "charge"][-1]
		self.assertEqual((bt["amount"], bt["fee"], bt["net"]), (10800, 343, 10457))  # Stripe's figures
		self.assertEqual(ledger_balance(self.settings.stripe_account) - before, Decimal("104.57"))
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session["id"]})
		entry = frappe.get_doc("Payment Entry", link.payment_entry)
		rows = {d.account: flt(d.amount) for d in entry.deductions}
		self.assertEqual(rows, {self.settings.stripe_fee_account: 3.43, gain_loss: 2.0})  # 110 owed, 108 came

	def test_a_site_without_the_books_accounts_books_payments_as_before(self):
		configure_stripe(self.standin)
		legacy = frappe.get_single("Invoice Share Settings")
		legacy.update({"stripe_fee_account": None, "stripe_payout_account": None})
		legacy.save(ignore_permissions=True)  # on already: saved, and the form says what is missing
		self.assertEqual(len(legacy.books_missing()), 2)
		invoice, session = self.pay(self.standin, 90)
		self.assertEqual(
			self.deliver(self.standin, "checkout.session.completed", session["id"])[1]["status"], "Paid"
		)
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session["id"]})
		entry = frappe.get_doc("Payment Entry", link.payment_entry)
		self.assertEqual((flt(entry.paid_amount), list(entry.deductions)), (90, []))  # gross, as before
		self.assertFalse(frappe.db.exists(STRIPE_TXN, {"sales_invoice": invoice.name}))

	def test_another_integrations_money_on_the_same_stripe_account_is_left_alone(self):
		intent = self.standin.money.settle_payment(5000, self.currency, {"site": "shop.example.com"})
		refund = self.standin.refund(intent, 1000)
		dispute_of = self.standin.money.settle_payment(7000, self.currency, {})
		dispute = self.standin.open_dispute(dispute_of)
		for event in (
			("charge.refunded", refund["charge"]),
			("charge.dispute.funds_withdrawn", dispute["id"]),
		):
			status, answer = self.deliver(self.standin, *event)
			self.assertEqual((status, answer["booked"]), (200, 0))
		txns = [refund["balance_transaction"], dispute["balance_transactions"][0]["id"]]
		self.assertFalse(frappe.get_all(STRIPE_TXN, {"balance_transaction": ["in", txns]}))

	def test_money_in_a_currency_the_books_are_not_kept_in_is_flagged_not_booked(self):
		"""Stripe keeps a balance in EUR (no settlement into the company's currency)."""
		foreign = "EUR" if self.currency != "EUR" else "USD"
		frappe.db.set_value("Currency", foreign, "enabled", 1)
		with change_settings(
			"Accounts Settings", allow_multi_currency_invoices_against_single_party_account=1
		):
			invoice, session = self.pay(
				self.standin, 50, ensure_customer(f"_Invoice Share {foreign} Customer"), foreign, 1.1
			)
			self.assertEqual(self.deliver(self.standin, "checkout.session.completed", session["id"])[0], 500)
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session["id"]})
		self.assertEqual((link.status, link.needs_attention), ("Received", 1))
		self.assertIn(f"in {foreign}", link.last_error)
		refund = self.standin.refund(session["payment_intent"], 1000)
		status, answer = self.deliver(self.standin, "refund.updated", refund["id"])
		self.assertEqual((status, answer["booked"]), (200, 0))  # answered: a retry changes nothing
		link.reload()
		self.assertIn(f"in {foreign}", link.attention_note)
		self.assertFalse(frappe.db.exists(STRIPE_TXN, refund["balance_transaction"]))
		self.assertNotEqual(frappe.db.get_value("Sales Invoice", invoice.name, "status"), "Paid")

	def test_the_hourly_sync_books_what_no_webhook_brought(self):
		from invoice_share.payments.sync import hourly_sync

		standin = StripeStandIn().start()
		self.addCleanup(standin.stop)
		self.use(standin)
		before = ledger_balance(self.settings.stripe_account)
		invoice, _session = self.pay(standin, 30)  # its webhook never comes
		standin.stripe_fee(120, self.currency)
		hourly_sync()
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "status"), "Paid")
		self.assertEqual(ledger_balance(self.settings.stripe_account) - before, self.stripe_balance(standin))

	def test_stripe_cannot_be_turned_on_without_the_books_accounts(self):
		set_settings(stripe_enabled=0)
		settings_doc = frappe.get_single("Invoice Share Settings")
		settings_doc.update({"stripe_enabled": 1, "stripe_fee_account": None})
		with self.assertRaises(frappe.ValidationError):
			settings_doc.save(ignore_permissions=True)
		# A site that had Stripe on keeps it on, and the form says what is missing.
		configure_stripe(self.standin)
		settings_doc = frappe.get_single("Invoice Share Settings")
		settings_doc.stripe_payout_account = None
		settings_doc.save(ignore_permissions=True)
		self.assertEqual(len(settings_doc.books_missing()), 1)


# Random histories, events late, shuffled and repeated.
_actions = st.lists(
	st.one_of(
		st.tuples(st.just("pay"), st.integers(5, 900), st.booleans()),  # in the company's currency or not
		st.tuples(st.just("refund"), st.integers(0, 30), st.integers(1, 100)),
		st.tuples(st.just("fail_refund"), st.integers(0, 30)),
		st.tuples(st.just("dispute"), st.integers(0, 30)),
		st.tuples(st.just("close_dispute"), st.integers(0, 30), st.booleans()),
		st.tuples(st.just("fee"), st.integers(1, 900)),
		st.tuples(st.just("payout")),
		st.tuples(st.just("fail_payout"), st.integers(0, 30)),
	),
	min_size=3,
	max_size=12,
)


class TestRandomHistories(BooksTestCase):
	@settings(
		max_examples=12,
		deadline=None,
		derandomize=False,
		suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
	)
	@given(actions=_actions, seed=st.integers(0, 2**32 - 1), fee_bp=st.integers(0, 350))
	def test_the_stripe_account_equals_stripes_balance_after_any_history(self, actions, seed, fee_bp):
		shuffle = random.Random(seed)
		frappe.db.savepoint("invoice_share_history")
		standin = StripeStandIn().start()
		multi_currency = None
		try:
			self.use(standin)
			standin.money.fee_rate, standin.money.fee_fixed = Decimal(fee_bp) / 10000, 30
			before = ledger_balance(self.settings.stripe_account)
			customer = ensure_customer("_Invoice Share History Customer")
			# Payments in a second currency, which Stripe settles in the company's at its own rate
			# (ERPNext's is 1.1).
			self.foreign = "EUR" if self.currency != "EUR" else "USD"
			frappe.db.set_value("Currency", self.foreign, "enabled", 1)
			standin.money.settlement[self.foreign.lower()] = (self.currency.lower(), "1.0937")
			multi_currency = change_settings(
				"Accounts Settings", allow_multi_currency_invoices_against_single_party_account=1
			)
			multi_currency.__enter__()
			intents, refunds, disputes, payouts, delivered = [], [], [], [], []
			pending: list[tuple[str, str]] = []
			for action in actions:
				events = self.happen(standin, action, customer, intents, refunds, disputes, payouts)
				pending.extend(events or [])
				# Some events wait, the rest come in any order, and some old ones come again.
				shuffle.shuffle(pending)
				held = shuffle.randint(0, min(2, len(pending)))
				now, pending = pending[held:], pending[:held]
				now += shuffle.sample(delivered, min(len(delivered), shuffle.randint(0, 2)))
				for event in now:
					status, _answer = self.deliver(standin, *event)
					self.assertEqual(status, 200, event)
					delivered.append(event)
				if not pending:
					# Every event so far delivered: the books are Stripe's, but for Stripe's own
					# fees that no payout has carried yet (Stripe sends no event for those).
					self.assertEqual(
						ledger_balance(self.settings.stripe_account) - before,
						self.stripe_balance(standin) - self.unannounced_fees(standin),
					)
			for event in pending + delivered[-3:]:
				self.assertEqual(self.deliver(standin, *event)[0], 200)
			api.sync_stripe(frappe.utils.nowdate())  # the safety net finds Stripe's own fees
			self.assertEqual(
				ledger_balance(self.settings.stripe_account) - before, self.stripe_balance(standin)
			)
			txns = [bt["id"] for bt in standin.balance_transactions()]
			booked = frappe.get_all(STRIPE_TXN, {"balance_transaction": ["in", txns]}, pluck="voucher_no")
			self.assertEqual(len(booked), len(txns))  # every movement booked, each by one voucher
			self.assertEqual(len(set(booked)), len(booked))
		finally:
			standin.stop()
			if multi_currency is not None:
				multi_currency.__exit__(None, None, None)
			frappe.db.rollback(save_point="invoice_share_history")

	def unannounced_fees(self, standin) -> Decimal:
		"""What Stripe's own fees that no payout has carried yet took from the balance."""
		paid_out = standin.money._paid_out
		minor = sum(
			bt["net"]
			for bt in standin.balance_transactions()
			if bt["type"] == "stripe_fee" and bt["id"] not in paid_out
		)
		return from_minor_units(minor, self.currency)

	def happen(self, standin, action, customer, intents, refunds, disputes, payouts):
		"""Make `action` happen at Stripe; the events Stripe sends for it, or None if refused."""
		kind = action[0]
		try:
			if kind == "pay":
				foreign = {"currency": self.foreign, "conversion_rate": 1.1} if action[2] else {}
				_invoice, session = self.pay(standin, action[1], customer, **foreign)
				intents.append(session["payment_intent"])
				return [("checkout.session.completed", session["id"])]
			if kind == "refund" and intents:
				intent = intents[action[1] % len(intents)]
				charge = standin.money.get(standin.money.get(intent)["latest_charge"])
				room = charge["amount"] - charge["amount_refunded"]
				if room <= 0:
					return None
				refund = standin.refund(intent, max(1, room * action[2] // 100))
				refunds.append(refund["id"])
				return [("charge.refunded", refund["charge"]), ("refund.created", refund["id"])]
			if kind == "fail_refund" and refunds:
				refund = standin.fail_refund(refunds[action[1] % len(refunds)])
				return [("refund.failed", refund["id"])]
			if kind == "dispute" and intents:
				intent = intents[action[1] % len(intents)]
				charge = standin.money.get(standin.money.get(intent)["latest_charge"])
				if charge["disputed"] or charge["amount"] == charge["amount_refunded"]:
					return None
				dispute = standin.open_dispute(intent)
				disputes.append(dispute["id"])
				return [
					("charge.dispute.created", dispute["id"]),
					("charge.dispute.funds_withdrawn", dispute["id"]),
				]
			if kind == "close_dispute" and disputes:
				dispute = standin.close_dispute(disputes[action[1] % len(disputes)], won=action[2])
				return [
					(
						"charge.dispute.funds_reinstated" if action[2] else "charge.dispute.closed",
						dispute["id"],
					)
				]
			if kind == "fee":
				standin.stripe_fee(action[1], self.currency)
				return []
			if kind == "payout":
				payout = standin.payout(self.currency)
				payouts.append(payout["id"])
				return [("payout.paid", payout["id"])]
			if kind == "fail_payout" and payouts:
				payout = standin.fail_payout(payouts[action[1] % len(payouts)])
				return [("payout.failed", payout["id"])]
		except (ValueError, MoneyError):
			return None  # what Stripe would not do (pay out a negative balance, close a closed dispute)
		return None
