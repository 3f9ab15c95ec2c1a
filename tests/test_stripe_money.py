"""The money that moves at Stripe, read through StripeGateway (the real stripe package) from the
stand-in, and what `payments.ledger` makes of it: the books' rule keeps the Stripe account equal
to Stripe's balance, whatever happened, in every currency."""

import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invoice_share.payments import ledger
from invoice_share.payments.amounts import from_minor_units
from invoice_share.payments.stripe_api import StripeGateway, StripeGatewayError
from invoice_share.tests.stripe_money import MoneyError
from invoice_share.tests.stripe_standin import StripeStandIn


@pytest.fixture(scope="module")
def standin():
	with StripeStandIn() as server:
		yield server


def _gateway(standin) -> StripeGateway:
	return StripeGateway(standin.secret_key, api_base=standin.url, max_network_retries=0)


def _paid_session(standin, gateway, amount=10000, currency="usd", invoice="ACC-SINV-0001"):
	session = gateway.create_checkout_session(
		amount_minor=amount,
		currency=currency,
		product_name=f"Invoice {invoice}",
		success_url="https://erp.example.com/paid?session_id={CHECKOUT_SESSION_ID}",
		cancel_url="https://erp.example.com/view/x",
		expires_at=int(time.time()) + 3600,
		metadata={"site": "erp.example.com", "sales_invoice": invoice},
		idempotency_key=f"test-{time.time_ns()}",
	)
	return standin.complete_session(session["id"])


def test_a_payment_has_stripes_fee_on_its_balance_transaction(standin):
	gateway = _gateway(standin)
	standin.money.fee_rate, standin.money.fee_fixed = Decimal("0.029"), 30
	try:
		session = _paid_session(standin, gateway, amount=12345)
	finally:
		standin.money.fee_rate, standin.money.fee_fixed = Decimal(0), 0
	intent = gateway.retrieve_payment_intent(session["payment_intent"])
	bt = intent["latest_charge"]["balance_transaction"]
	assert intent["metadata"]["sales_invoice"] == "ACC-SINV-0001"
	assert (bt["amount"], bt["fee"], bt["net"]) == (12345, 388, 11957)  # 2.9% + 30, as Stripe says
	move = ledger.movement(bt, reference=intent["id"])
	assert move.kind == ledger.PAYMENT and move.reference == intent["id"]
	assert (move.amount, move.fee, move.net) == (Decimal("123.45"), Decimal("3.88"), Decimal("119.57"))
	assert dict(move.lines()) == {
		ledger.STRIPE_ACCOUNT: Decimal("119.57"),
		ledger.FEE_ACCOUNT: Decimal("3.88"),
		ledger.CUSTOMER: Decimal("-123.45"),
	}


def test_settlement_in_another_currency_is_stripes_conversion(standin):
	gateway = _gateway(standin)
	standin.money.settlement["eur"] = ("usd", "1.0812")
	try:
		session = _paid_session(standin, gateway, amount=5000, currency="eur")
	finally:
		standin.money.settlement.clear()
	bt = gateway.retrieve_payment_intent(session["payment_intent"])["latest_charge"]["balance_transaction"]
	assert (bt["currency"], bt["amount"], bt["exchange_rate"]) == ("usd", 5406, 1.0812)
	refund = gateway.create_refund(
		payment_intent=session["payment_intent"], amount_minor=1000, idempotency_key="r-eur", metadata={}
	)
	refund_bt = gateway.retrieve_balance_transaction(refund["balance_transaction"])
	assert (refund_bt["currency"], refund_bt["amount"]) == ("usd", -1081)


def test_refunds_are_bounded_idempotent_and_refused_while_disputed(standin):
	gateway = _gateway(standin)
	session = _paid_session(standin, gateway, amount=8000)
	intent = session["payment_intent"]
	first = gateway.create_refund(
		payment_intent=intent, amount_minor=3000, idempotency_key="k1", metadata={"a": "1"}
	)
	again = gateway.create_refund(
		payment_intent=intent, amount_minor=3000, idempotency_key="k1", metadata={"a": "1"}
	)
	assert first["id"] == again["id"]  # a second click never refunds twice
	assert [r["id"] for r in gateway.list_refunds(intent)] == [first["id"]]
	with pytest.raises(StripeGatewayError) as too_much:
		gateway.create_refund(payment_intent=intent, amount_minor=5001, idempotency_key="k2", metadata={})
	assert too_much.value.code == "amount_too_large"
	failed = standin.fail_refund(first["id"])
	failure_bt = gateway.retrieve_balance_transaction(failed["failure_balance_transaction"])
	assert ledger.movement(failure_bt).kind == ledger.REFUND_FAILURE
	assert ledger.movement(failure_bt).reference == first["id"]
	dispute = standin.open_dispute(intent)
	with pytest.raises(StripeGatewayError) as disputed:
		gateway.create_refund(payment_intent=intent, amount_minor=100, idempotency_key="k3", metadata={})
	assert disputed.value.code == "charge_disputed"
	withdrawn = ledger.movement(gateway.retrieve_dispute(dispute["id"])["balance_transactions"][0])
	assert withdrawn.kind == ledger.DISPUTE and withdrawn.reference == dispute["id"]
	assert (withdrawn.amount, withdrawn.fee) == (Decimal("-80.00"), Decimal("15.00"))


def test_a_payouts_transactions_come_on_every_page(standin):
	gateway = _gateway(standin)
	for _ in range(7):
		_paid_session(standin, gateway, amount=1000, currency="sek")
	payout = standin.payout("sek")
	listed = gateway._list_all(
		gateway._services.balance_transactions.list, {"payout": payout["id"]}, page_size=3
	)
	assert len(listed) == len({row["id"] for row in listed}) >= 8  # seven payments and the payout
	assert sum(row["net"] for row in listed) == 0  # the payout takes exactly what it holds
	assert gateway.retrieve_payout(payout["id"])["amount"] == payout["amount"]


# A random history: what may happen at Stripe, one step at a time.
_steps = st.lists(
	st.one_of(
		st.tuples(st.just("pay"), st.sampled_from(["usd", "eur", "jpy"]), st.integers(100, 500000)),
		st.tuples(st.just("refund"), st.integers(0, 50), st.integers(1, 100)),
		st.tuples(st.just("fail_refund"), st.integers(0, 50)),
		st.tuples(st.just("dispute"), st.integers(0, 50)),
		st.tuples(st.just("close_dispute"), st.integers(0, 50), st.booleans()),
		st.tuples(st.just("fee"), st.sampled_from(["usd", "eur"]), st.integers(1, 5000)),
		st.tuples(st.just("payout"), st.sampled_from(["usd", "eur", "jpy"])),
		st.tuples(st.just("fail_payout"), st.integers(0, 50)),
	),
	min_size=1,
	max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_steps, fee_bp=st.integers(0, 400), fixed=st.integers(0, 50))
def test_the_books_rule_matches_stripes_balance_after_any_history(steps, fee_bp, fixed):
	with StripeStandIn() as standin:
		standin.money.fee_rate, standin.money.fee_fixed = Decimal(fee_bp) / 10000, fixed
		standin.money.settlement["eur"] = ("usd", "1.0937")
		gateway = _gateway(standin)
		intents, refunds, disputes, payouts = [], [], [], []
		for step in steps:
			try:
				if step[0] == "pay":
					intents.append(
						_paid_session(standin, gateway, amount=step[2], currency=step[1])["payment_intent"]
					)
				elif step[0] == "refund" and intents:
					intent = intents[step[1] % len(intents)]
					left = gateway.retrieve_payment_intent(intent)["latest_charge"]
					room = left["amount"] - left["amount_refunded"]
					if room > 0:
						refunds.append(standin.refund(intent, max(1, room * step[2] // 100))["id"])
				elif step[0] == "fail_refund" and refunds:
					standin.fail_refund(refunds[step[1] % len(refunds)])
				elif step[0] == "dispute" and intents:
					disputes.append(standin.open_dispute(intents[step[1] % len(intents)])["id"])
				elif step[0] == "close_dispute" and disputes:
					standin.close_dispute(
						disputes[step[1] % len(disputes)], won=step[2], fee_returned=step[1] % 2 * 1500
					)
				elif step[0] == "fee":
					standin.stripe_fee(step[2], step[1])
				elif step[0] == "payout":
					payouts.append(standin.payout(step[1])["id"])
				elif step[0] == "fail_payout" and payouts:
					standin.fail_payout(payouts[step[1] % len(payouts)])
			except (ValueError, MoneyError, StripeGatewayError):
				pass  # what Stripe would refuse (a refund of a disputed charge, an empty payout…)

		books: dict[tuple[str, str], Decimal] = {}
		seen = set()
		for bt in gateway.list_balance_transactions(created_since=0):
			move = ledger.movement(bt)
			assert move.balance_transaction not in seen
			seen.add(move.balance_transaction)
			assert sum(change for _, change in move.lines()) == 0  # every voucher balances
			for where, change in move.lines():
				books[(where, move.currency)] = books.get((where, move.currency), Decimal(0)) + change
		balance = gateway.retrieve_balance()
		stripe_says = {
			row["currency"].upper(): from_minor_units(row["amount"], row["currency"])
			for row in balance["available"]
		}
		for row in balance["pending"]:
			stripe_says[row["currency"].upper()] += from_minor_units(row["amount"], row["currency"])
		ours = {
			currency: amount for (where, currency), amount in books.items() if where == ledger.STRIPE_ACCOUNT
		}
		assert {c: a for c, a in ours.items() if a} == {c: a for c, a in stripe_says.items() if a}
		for payout in payouts:
			moved = sum(
				row["net"]
				for row in gateway.list_balance_transactions(payout=payout)
				if row["type"] != "payout"
			)
			assert moved == gateway.retrieve_payout(payout)["amount"]
