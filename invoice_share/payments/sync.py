"""Stripe's events are hints: read what moved from Stripe, then book each balance transaction once.

`sync_object` books what one object (a PaymentIntent or charge, refund, dispute or payout) moved;
`sync_since` books every balance transaction since a time that is not booked yet (for a site that
turns the books on after months of payments, and the hourly safety net). Every Stripe call is
made before anything is written; payments are booked by their payment link (`recording`), the
rest by `books`. Objects of other integrations on the same Stripe account are left alone.
"""

from __future__ import annotations

import time

import frappe

from invoice_share.payments import books, ledger
from invoice_share.payments.books import STRIPE_TXN, StripeUnavailable, books_accounts, books_company
from invoice_share.payments.gateway import PAYMENT_LINK, get_gateway
from invoice_share.payments.recording import RecordingFailed, apply_session
from invoice_share.payments.stripe_api import StripeGateway, StripeGatewayError, mask_secret

# Stripe retries an event for up to three days; the hourly sync looks that far back.
SYNC_WINDOW_SECONDS = 3 * 24 * 3600


def sync_object(object_id: str) -> list[str]:
	"""Book whatever Stripe says moved for one object (an event's hint): a PaymentIntent or
	charge, a refund, a dispute or a payout. Returns the balance transactions booked now."""
	if not books_company():
		return []
	gateway = get_gateway()
	found = _read(gateway, object_id)
	return _book_all(found)


def sync_since(created_since: int, commit_each: bool = False) -> list[str]:
	"""Book every balance transaction since a time that is not booked yet (the safety net)."""
	if not books_company():
		return []
	gateway = get_gateway()
	try:
		rows = gateway.list_balance_transactions(created_since=created_since)
	except StripeGatewayError as exc:
		raise StripeUnavailable(mask_secret(str(exc))) from None
	missing = [row for row in rows if not frappe.db.exists(STRIPE_TXN, row["id"])]
	found = []
	try:
		for bt in sorted(missing, key=lambda row: row.get("created") or 0):
			found.extend(_context(gateway, bt))
	except StripeGatewayError as exc:
		raise StripeUnavailable(mask_secret(str(exc))) from None
	return _book_all(found, commit_each)


def _read(gateway: StripeGateway, object_id: str) -> list[tuple[dict, dict]]:
	"""(balance transaction, context) pairs for an object; every Stripe call happens here."""
	try:
		if object_id.startswith("ch_"):
			object_id = gateway.retrieve_charge(object_id).get("payment_intent") or ""
		if object_id.startswith("pi_"):
			return _intent_movements(gateway, object_id)
		if object_id.startswith(("re_", "pyr_")):
			refund = gateway.retrieve_refund(object_id)
			return _refund_movements(gateway, refund, _intent(gateway, refund.get("payment_intent")))
		if object_id.startswith("du_"):
			dispute = gateway.retrieve_dispute(object_id)
			intent = _intent(gateway, dispute.get("payment_intent"))
			return [
				(bt, {"intent": intent, "dispute": dispute})
				for bt in dispute.get("balance_transactions") or []
			]
		if object_id.startswith("po_"):
			payout = gateway.retrieve_payout(object_id)
			if payout.get("status") not in ("paid", "failed"):
				return []
			pairs = []
			for bt in reversed(gateway.list_balance_transactions(payout=object_id)):
				if bt.get("source") == object_id:
					continue  # the payout's own transfer, booked after what it holds
				pairs.extend(_context(gateway, bt))
			# A payout that failed was made first: its transfer, then the failure that undoes it,
			# whichever of the two events comes first.
			pairs.append((_bt(gateway, payout["balance_transaction"]), {"payout": payout}))
			if payout.get("status") == "failed" and payout.get("failure_balance_transaction"):
				pairs.append((_bt(gateway, payout["failure_balance_transaction"]), {"payout": payout}))
			return [(bt, {**context, "in_payout": object_id}) for bt, context in pairs]
	except StripeGatewayError as exc:
		raise StripeUnavailable(mask_secret(str(exc))) from None
	return []


def _context(gateway: StripeGateway, bt: dict) -> list[tuple[dict, dict]]:
	"""What a balance transaction needs to be booked (its refund, dispute, payout or charge)."""
	kind = ledger.kind_of(bt)
	source = bt.get("source")
	if kind == ledger.PAYMENT and isinstance(source, str):
		intent_id = (
			source if source.startswith("pi_") else gateway.retrieve_charge(source).get("payment_intent")
		)
		return [(bt, _payment_context(gateway, _intent(gateway, intent_id)))]
	if kind in (ledger.REFUND, ledger.REFUND_FAILURE) and isinstance(source, str):
		refund = gateway.retrieve_refund(source)
		return [(bt, {"intent": _intent(gateway, refund.get("payment_intent")), "refund": refund})]
	if kind in (ledger.DISPUTE, ledger.DISPUTE_REVERSAL) and isinstance(source, str):
		dispute = gateway.retrieve_dispute(source)
		return [(bt, {"intent": _intent(gateway, dispute.get("payment_intent")), "dispute": dispute})]
	if kind in (ledger.PAYOUT, ledger.PAYOUT_FAILURE) and isinstance(source, str):
		return [(bt, {"payout": gateway.retrieve_payout(source)})]
	return [(bt, {})]


def _intent_movements(gateway: StripeGateway, intent_id: str) -> list[tuple[dict, dict]]:
	intent = _intent(gateway, intent_id)
	pairs = []
	charge = intent.get("latest_charge") if intent else None
	if isinstance(charge, dict) and isinstance(charge.get("balance_transaction"), dict):
		pairs.append((charge["balance_transaction"], _payment_context(gateway, intent)))
	if intent:
		for refund in gateway.list_refunds(intent_id):
			pairs.extend(_refund_movements(gateway, refund, intent))
	return pairs


def _payment_context(gateway: StripeGateway, intent: dict | None) -> dict:
	"""A payment's PaymentIntent and, when it is one of ours, its Checkout Session (read now, so
	that nothing is asked of Stripe once booking has begun)."""
	link = _ours(intent)
	session = gateway.retrieve_checkout_session(link.checkout_session_id) if link else None
	return {"intent": intent, "session": session}


def _refund_movements(gateway: StripeGateway, refund: dict, intent: dict | None) -> list[tuple[dict, dict]]:
	pairs = []
	for field in ("balance_transaction", "failure_balance_transaction"):
		if refund.get(field):
			pairs.append((_bt(gateway, refund[field]), {"intent": intent, "refund": refund}))
	return pairs


def _intent(gateway: StripeGateway, intent_id: str | None) -> dict | None:
	return gateway.retrieve_payment_intent(intent_id) if intent_id else None


def _bt(gateway: StripeGateway, value) -> dict:
	return value if isinstance(value, dict) else gateway.retrieve_balance_transaction(value)


def _ours(intent: dict | None) -> frappe._dict | None:
	"""The payment link of one of our payments, or None (another integration's, or unknown)."""
	if not intent:
		return None
	metadata = intent.get("metadata") or {}
	name = frappe.db.get_value(PAYMENT_LINK, {"payment_intent": intent.get("id")}, "name")
	if not name and metadata.get("site") == frappe.local.site and metadata.get("payment_link"):
		name = metadata["payment_link"] if frappe.db.exists(PAYMENT_LINK, metadata["payment_link"]) else None
	if not name:
		return None
	return frappe.db.get_value(
		PAYMENT_LINK,
		name,
		["name", "sales_invoice", "checkout_session_id", "payment_entry", "status", "currency"],
		as_dict=True,
	)


def _book_all(found: list[tuple[dict, dict]], commit_each: bool = False) -> list[str]:
	"""Book each pair not booked yet, oldest first; in a job, each in a transaction of its own
	(one voucher ERPNext refuses does not hold up the others; it is logged and retried)."""
	booked = []
	for bt, context in found:
		if frappe.db.exists(STRIPE_TXN, bt["id"]):
			continue
		if not commit_each:
			if book(bt, context):
				booked.append(bt["id"])
			continue
		try:
			if book(bt, context):
				booked.append(bt["id"])
			frappe.db.commit()
		except Exception:
			frappe.db.rollback()
			frappe.log_error(
				title="Invoice Share: could not book a Stripe balance transaction", message=bt["id"]
			)
	return booked


def hourly_sync() -> None:
	"""The safety net for lost webhooks: book what moved at Stripe in the last three days."""
	try:
		sync_since(int(time.time()) - SYNC_WINDOW_SECONDS, commit_each=True)
	except StripeUnavailable:
		frappe.log_error(title="Invoice Share: Stripe could not be asked what moved")


def book(bt: dict, context: dict) -> bool:
	"""Book one balance transaction (read from Stripe with its context); True when booked now."""
	kind = ledger.kind_of(bt)
	link = _ours(context.get("intent"))
	if kind in ledger.CUSTOMER_KINDS and link is None:
		return False  # another integration's payment on the same Stripe account
	if kind == ledger.PAYMENT:
		# The payment link books it (under its row lock), with this balance transaction.
		session = context.get("session")
		if not session:
			return False
		try:
			apply_session(session, None, balance_transaction=bt)
		except RecordingFailed:
			return False
		return bool(books.voucher_of(bt["id"]))
	company = books_company()
	return books.book_movement(ledger.movement(bt), books_accounts(company), link=link, context=context)
