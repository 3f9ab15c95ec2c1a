"""Stripe Checkout for an invoice: make or reuse a session, close the ones no longer wanted, report.

The amount is what ERPNext would take to settle the invoice today (`settlement.amount_due`), in
Stripe's minor units for the invoice's currency. No database lock is held and nothing of ours is
written while Stripe is called. The Stripe key goes into a client made for the call
(`stripe_api.StripeGateway`), never into the `stripe` module's globals.
"""

import json
import secrets
import time

import frappe
from frappe import _
from frappe.utils import add_to_date, cint, flt, fmt_money, get_datetime, now_datetime

from invoice_share.core.documents import ensure_submitted
from invoice_share.core.exceptions import (
	CheckoutBusy,
	InvoiceStateError,
	PaymentPending,
	PaymentProviderError,
	PaymentsNotConfigured,
)
from invoice_share.core.formats import from_timestamp, iso
from invoice_share.core.routes import RETURN_ROUTE
from invoice_share.core.settings import get_settings, learn_checkout_origin
from invoice_share.core.urls import site_url
from invoice_share.payments import amounts, settlement
from invoice_share.payments.gateway import PAYMENT_LINK, current_key, gateway_or_none, get_gateway
from invoice_share.payments.recording import RecordingFailed, apply_session
from invoice_share.payments.stripe_api import (
	StripeGateway,
	StripeGatewayError,
	checkout_origin,
	key_fingerprint,
	mask_secret,
)

# An open session about to expire is not handed out again.
REUSE_MARGIN_MINUTES = 10
# Money is on its way (a bank debit) or taken but not yet booked: no new session meanwhile.
PENDING_STATUSES = ("Processing", "Received")
# Statuses the sweep looks at.
LIVE_STATUSES = ("Open", *PENDING_STATUSES)
# One checkout per invoice at a time: a Redis lock around making the session, held until the
# request that made it has committed its row (so a second click finds and reuses it).
CHECKOUT_LOCK_SECONDS = 60
CHECKOUT_WAIT_SECONDS = 40
# What a request that waited on the lock reuses: the session the holder just committed. Its own
# snapshot of the database began before that commit, so it is handed over through Redis.
RECENT_SESSION_SECONDS = 60
# What the Stripe account offers at checkout, as its latest session said (the button's words).
_METHODS_KEY = "invoice_share:stripe_payment_method_types"


def ensure_payable(invoice) -> float:
	"""What the invoice asks for today, in its currency; a clear 409 when it cannot be paid online."""
	ensure_submitted(invoice)
	if invoice.is_return:
		frappe.throw(
			_("{0} is a credit note; credit notes get no payment link.").format(frappe.bold(invoice.name)),
			exc=InvoiceStateError,
			title=_("Credit Note"),
		)
	due = settlement.amount_due(invoice)
	if due <= 0:
		frappe.throw(
			_("Sales Invoice {0} has nothing outstanding.").format(frappe.bold(invoice.name)),
			exc=InvoiceStateError,
			title=_("Nothing to Pay"),
		)
	return due


def checkout_for(invoice, *, share_link: str | None = None):
	"""An Open Invoice Payment Link for what the invoice asks for today: reused, or made now.

	The amount is ERPNext's (`settlement.amount_due`). No database lock is held and nothing is
	written before Stripe has answered: a new session is made under a random, never reused
	idempotency key, and its row is inserted afterwards, so a lost answer or a rolled back request
	leaves nothing behind that a later request could collide with. Concurrent requests for one
	invoice (a double click) take turns on a short Redis lock and share one session. While a
	payment is processing or waits to be booked, no new session is made (PaymentPending).
	"""
	due = ensure_payable(invoice)
	gateway = get_gateway()
	ensure_no_payment_pending(invoice.name)
	currency = invoice.currency
	minor = _minor_units(due, currency)

	waited = _take_checkout_lock(invoice.name)
	if waited:
		recent = _recent_session(invoice.name, currency, minor)
		if recent:
			return recent

	key = current_key()
	reusable, stale = None, []
	for link in _open_links(invoice.name):
		if link.stripe_key and link.stripe_key != key:
			continue  # another account's or mode's session: closed when the key changed
		fresh = link.expires_on and link.expires_on > add_to_date(
			now_datetime(), minutes=REUSE_MARGIN_MINUTES
		)
		if reusable is None and fresh and _asks_for(link, currency, minor):
			reusable = link
		else:
			# A session for another amount (or about to lapse) must not be paid any more.
			stale.append(link)
	# Every call to Stripe comes before anything is written.
	closed = [(link, expire_at_stripe(gateway, link)) for link in stale]
	# A stale session that was paid meanwhile is booked (below) before anything new is offered.
	paid_meanwhile = any(session and session.get("status") == "complete" for _link, session in closed)
	link = None
	if reusable:
		link = frappe.get_doc(PAYMENT_LINK, reusable.name)
	elif not paid_meanwhile:
		link = _new_session(gateway, invoice, due, minor, share_link, key)
	for stale_link, session in closed:
		record_closing(stale_link, session, "Expired")
	if link is None:
		ensure_no_payment_pending(invoice.name)
		frappe.throw(
			_(
				"A payment for invoice {0} has just arrived. Reload the page to see what is left to pay."
			).format(frappe.bold(invoice.name)),
			exc=InvoiceStateError,
			title=_("Payment Received"),
		)
	return link


def ensure_no_payment_pending(sales_invoice: str) -> None:
	"""A clear 409 while a payment of the invoice is processing or waits to be booked."""
	status = pending_payment(sales_invoice)
	if status == "Received":
		frappe.throw(
			_("Your payment for invoice {0} was received and is being recorded.").format(
				frappe.bold(sales_invoice)
			),
			exc=PaymentPending,
			title=_("Payment Received"),
		)
	if status == "Processing":
		frappe.throw(
			_(
				"Your payment for invoice {0} is being processed. You can pay again only if it does not go through."
			).format(frappe.bold(sales_invoice)),
			exc=PaymentPending,
			title=_("Payment Processing"),
		)


def pending_payment(sales_invoice: str) -> str | None:
	"""'Received' (paid, not yet booked) or 'Processing' (a bank debit on its way), else None."""
	link = frappe.qb.DocType(PAYMENT_LINK)
	rows = (
		frappe.qb.from_(link)
		.select(link.status)
		.where((link.sales_invoice == sales_invoice) & link.status.isin(PENDING_STATUSES))
		.orderby(link.status, order=frappe.qb.desc)  # Received before Processing
		.limit(1)
	).run()
	return rows[0][0] if rows else None


def _take_checkout_lock(sales_invoice: str) -> bool:
	"""Hold the invoice's checkout lock until this request commits or rolls back; True when
	another request held it first (and may have made a session meanwhile)."""
	held = frappe.local.flags.setdefault("invoice_share_checkout_locks", {})
	if sales_invoice in held:
		return False
	key = frappe.cache.make_key(f"invoice_share:checkout_lock:{sales_invoice}")
	token = secrets.token_hex(8)
	waited = False
	deadline = time.monotonic() + CHECKOUT_WAIT_SECONDS
	while not frappe.cache.set(key, token, nx=True, ex=CHECKOUT_LOCK_SECONDS):
		waited = True
		if time.monotonic() > deadline:
			frappe.throw(
				_("Another payment of this invoice is being started. Try again in a minute."),
				exc=CheckoutBusy,
				title=_("Payment Busy"),
			)
		time.sleep(0.1)
	held[sales_invoice] = {"token": token, "publish": None}

	def release():
		entry = held.pop(sales_invoice, None) or {}
		if entry.get("publish"):
			entry["publish"]()
		# Only our own lock: one that outlived CHECKOUT_LOCK_SECONDS may be another's by now.
		if frappe.cache.get(key) in (token, token.encode()):
			frappe.cache.delete(key)

	frappe.db.after_commit.add(release)
	frappe.db.after_rollback.add(release)
	return waited


def _recent_key(sales_invoice: str) -> str:
	return frappe.cache.make_key(f"invoice_share:recent_session:{sales_invoice}")


def _publish_recent_session(link) -> None:
	"""After commit: the session just made, for a request that waited on the lock."""
	values = {field: link.get(field) for field in _RECENT_FIELDS}
	values["expires_on"] = str(values["expires_on"])

	def publish():
		# After commit: only a row that really was committed (not one rolled back to a savepoint).
		if frappe.db.exists(PAYMENT_LINK, {"name": link.name, "status": "Open"}):
			frappe.cache.set(_recent_key(link.sales_invoice), json.dumps(values), ex=RECENT_SESSION_SECONDS)

	# Run by the lock's release after commit, before the lock is let go (see _take_checkout_lock).
	entry = frappe.local.flags.get("invoice_share_checkout_locks", {}).get(link.sales_invoice)
	if entry is not None:
		entry["publish"] = publish


_RECENT_FIELDS = (
	"name",
	"sales_invoice",
	"amount",
	"currency",
	"checkout_session_id",
	"payment_url",
	"expires_on",
)


def _recent_session(sales_invoice: str, currency: str, minor: int):
	"""The session another request made for this amount moments ago, if still fresh."""
	raw = frappe.cache.get(_recent_key(sales_invoice))
	if not raw:
		return None
	link = frappe._dict(json.loads(raw))
	link.expires_on = get_datetime(link.expires_on)
	fresh = link.expires_on > add_to_date(now_datetime(), minutes=REUSE_MARGIN_MINUTES)
	return link if fresh and _asks_for(link, currency, minor) else None


def _new_session(gateway: StripeGateway, invoice, due: float, minor: int, share_link: str | None, key: str):
	currency = invoice.currency

	name = new_link_name()
	idempotency_key = f"invoice-share:{frappe.local.site}:{name}"
	lifetime = cint(get_settings().checkout_session_lifetime) or 60
	return_url = site_url(f"/{RETURN_ROUTE}?session_id={{CHECKOUT_SESSION_ID}}")
	try:
		session = gateway.create_checkout_session(
			amount_minor=minor,
			currency=currency,
			product_name=_("Invoice {0}").format(invoice.name),
			description=_("Invoice {0} from {1}").format(invoice.name, invoice.company),
			success_url=return_url,
			cancel_url=f"{return_url}&cancelled=1",
			expires_at=int(time.time()) + lifetime * 60,
			metadata={"site": frappe.local.site, "sales_invoice": invoice.name, "payment_link": name},
			# stripe-python's own retries of this call reuse the key; no other call ever does.
			idempotency_key=idempotency_key,
			client_reference_id=name,
			customer_email=invoice.get("contact_email") or None,
		)
	except StripeGatewayError as exc:
		frappe.log_error(
			title="Invoice Share: Stripe refused a checkout session",
			message=mask_secret(str(exc)),
			defer_insert=True,
		)
		frappe.throw(
			_("Stripe could not start the payment: {0}").format(exc.user_message),
			exc=PaymentProviderError,
			title=_("Payment Provider Error"),
		)

	link = frappe.get_doc(
		{
			"doctype": PAYMENT_LINK,
			"sales_invoice": invoice.name,
			"share_link": share_link,
			"provider": "Stripe",
			"status": "Open",
			"amount": due,
			"currency": currency,
			"idempotency_key": idempotency_key,
			"checkout_session_id": session["id"],
			"payment_url": session["url"],
			"expires_on": from_timestamp(session["expires_at"]),
			"livemode": 1 if session.get("livemode") else 0,
			"stripe_key": key,
		}
	)
	link.flags.new_name = name
	link.insert(ignore_permissions=True)
	_publish_recent_session(link)
	_remember_session_traits(session)
	return link


def _remember_session_traits(session: dict) -> None:
	"""What a session tells of the account: the payment methods it offers (the Pay button says
	"by card" only when card is all), and the origin of its hosted page (a custom checkout domain,
	which the buyer page's form must be allowed to lead to)."""
	methods = session.get("payment_method_types")
	if isinstance(methods, list):
		frappe.cache.set(frappe.cache.make_key(_METHODS_KEY), json.dumps(sorted(map(str, methods))))
	origin = checkout_origin(session.get("url"))
	if origin:
		learn_checkout_origin(origin)


def card_only() -> bool:
	"""Whether the buyer can pay by card only (as the account's latest session said)."""
	raw = frappe.cache.get(frappe.cache.make_key(_METHODS_KEY))
	return bool(raw) and json.loads(raw) == ["card"]


def new_link_name() -> str:
	"""Random, so a name (and the Stripe idempotency key made from it) is never handed out twice,
	not even when the transaction that first used it rolled back."""
	return f"IPL-{secrets.token_hex(8).upper()}"


def _asks_for(link, currency: str, minor: int) -> bool:
	if link.currency != currency:
		return False
	try:
		return amounts.to_minor_units(link.amount, link.currency) == minor
	except amounts.AmountError:
		return False


def _open_links(sales_invoice: str | None = None, statuses=("Open",)) -> list[frappe._dict]:
	"""The invoice's Open payment links, or every Open one (a plain read: nothing stays locked)."""
	filters = {"status": ["in", list(statuses)]}
	if sales_invoice:
		filters["sales_invoice"] = sales_invoice
	return frappe.get_all(
		PAYMENT_LINK,
		filters=filters,
		fields=[
			"name",
			"status",
			"sales_invoice",
			"amount",
			"currency",
			"expires_on",
			"checkout_session_id",
			"stripe_key",
			"livemode",
		],
		order_by="creation asc",
	)


def payment_link_details(link) -> dict:
	"""The Lago-style answer of `create_payment_link`."""
	return {
		"invoice_payment_details": {
			"sales_invoice": link.sales_invoice,
			"customer": frappe.db.get_value("Sales Invoice", link.sales_invoice, "customer"),
			"payment_provider": "stripe",
			"payment_url": link.payment_url,
			"amount": flt(link.amount),
			"currency": link.currency,
			"expires_at": iso(link.expires_on),
		}
	}


def _minor_units(amount, currency) -> int:
	try:
		amounts.check_minimum(amount, currency)
		return amounts.to_minor_units(amount, currency)
	except amounts.AmountError as exc:
		if exc.message_template == amounts.MESSAGE_BELOW_MINIMUM:
			message = _("Stripe cannot charge less than {0} {1}.").format(*exc.args_for_message)
		else:
			message = _("Stripe cannot charge {0} {1}.").format(amount, currency)
		frappe.throw(message, exc=InvoiceStateError, title=_("Amount Not Payable Online"))


def close_at_stripe(gateway: StripeGateway | None, link, status: str) -> str:
	"""Expire the link's session at Stripe, then record what Stripe says; returns the link's status."""
	return record_closing(link, expire_at_stripe(gateway, link), status)


def expire_at_stripe(gateway: StripeGateway | None, link) -> dict | None:
	"""Ask Stripe to expire the link's session; Stripe's view of it after, or None if unknown.

	A network call only: nothing is read or written here, so the caller can make every Stripe
	call before it writes (or locks) anything.
	"""
	if gateway is None or not link.checkout_session_id:
		return None
	try:
		return gateway.expire_checkout_session(link.checkout_session_id)
	except StripeGatewayError as expire_error:
		# Not open any more (paid, or expired already), or Stripe did not answer: ask what it is.
		try:
			return gateway.retrieve_checkout_session(link.checkout_session_id)
		except StripeGatewayError:
			frappe.log_error(
				title="Invoice Share: could not expire a checkout session",
				message=mask_secret(f"{link.checkout_session_id}: {expire_error}"),
				reference_doctype=PAYMENT_LINK,
				reference_name=link.name,
				defer_insert=True,
			)
			return None


def record_closing(link, session: dict | None, status: str) -> str:
	"""Record what Stripe said when asked to expire a session; returns the link's status.

	A session Stripe did not expire is never recorded as closed: if it was paid meanwhile the
	payment is recorded, and if Stripe could not be asked (or said it is still open) the link
	stays Open, flagged, and the hourly job tries again.
	"""
	if not link.checkout_session_id:
		frappe.db.set_value(PAYMENT_LINK, link.name, "status", status)
		return status
	if session is None:
		return flag(
			link.name,
			_("Stripe could not be asked to expire this checkout session; it is tried again every hour."),
		)
	try:
		result = apply_session(session, None, closed_status=status)
	except RecordingFailed:
		return "Received"  # paid, flagged for attention; the sweep books it once it can
	if result == "Open":
		return flag(
			link.name, _("Stripe did not expire this checkout session; it is tried again every hour.")
		)
	return result or status


def flag(name: str, note: str) -> str:
	"""Mark a payment link for a person to look at; returns its status."""
	frappe.db.set_value(PAYMENT_LINK, name, {"needs_attention": 1, "attention_note": note})
	return frappe.db.get_value(PAYMENT_LINK, name, "status")


def settle_after_commit(sales_invoice: str) -> None:
	"""Queue `settle_open_links` for the invoice once the current transaction has committed."""
	if not frappe.db.exists(PAYMENT_LINK, {"sales_invoice": sales_invoice, "status": "Open"}):
		return
	frappe.enqueue(
		"invoice_share.payments.checkout.settle_open_links",
		queue="short",
		sales_invoice=sales_invoice,
		enqueue_after_commit=True,
	)


def settle_open_links(sales_invoice: str | None = None) -> None:
	"""Close the Open sessions an invoice no longer asks for; with no invoice, the hourly sweep.

	A session is closed when its invoice was cancelled (Cancelled), or no longer asks for that
	amount, having been paid another way, partly or fully (Expired). The hourly sweep also looks
	at sessions past their expiry, so a payment whose webhook never arrived is still recorded.
	Each link is committed on its own, so no lock outlives a call to Stripe. Background job only.
	"""
	gateway = gateway_or_none()
	key = current_key()
	for link in _open_links(sales_invoice, statuses=LIVE_STATUSES):
		if link.stripe_key and link.stripe_key != key:
			continue  # made with another Stripe key: not ours to ask (see retire_links_of_other_keys)
		status = _wanted_status(link)
		if status is None:
			continue
		try:
			if status == "Check":
				reconcile_link(gateway, link)
			else:
				close_at_stripe(gateway, link, status)
			frappe.db.commit()
		except RecordingFailed:
			# ERPNext still refuses the Payment Entry: the link keeps its flag, tried next hour.
			frappe.db.commit()
		except Exception:
			frappe.db.rollback()
			frappe.log_error(
				title="Invoice Share: could not settle a payment link",
				reference_doctype=PAYMENT_LINK,
				reference_name=link.name,
			)


def _wanted_status(link) -> str | None:
	"""Cancelled/Expired when the session must be closed, "Check" when past its expiry, else None.

	A session whose money is on its way or waits to be booked is always checked."""
	if link.status in PENDING_STATUSES:
		return "Check"
	invoice = frappe.get_doc("Sales Invoice", link.sales_invoice)
	if invoice.docstatus == 2:
		return "Cancelled"
	due = settlement.amount_due(invoice)
	if due <= 0 or not _asks_for(link, invoice.currency, amounts.to_minor_units(due, invoice.currency)):
		return "Expired"
	if link.expires_on and link.expires_on <= now_datetime():
		return "Check"
	return None


def reconcile_link(gateway: StripeGateway | None, link) -> str | None:
	if gateway is None or not link.checkout_session_id:
		return None
	try:
		session = gateway.retrieve_checkout_session(link.checkout_session_id)
	except StripeGatewayError as exc:
		frappe.log_error(
			title="Invoice Share: could not retrieve a checkout session",
			message=mask_secret(f"{link.checkout_session_id}: {exc}"),
			reference_doctype=PAYMENT_LINK,
			reference_name=link.name,
		)
		return None
	return apply_session(session, None)


def retire_links_of_other_keys() -> int:
	"""After the Stripe key changed (test ↔ live, or another account): the old key's sessions can
	no longer be asked about or expired from here. They are closed, never handed out again, and
	left alone by the sweep; those that may hold real money (live mode, or a payment on its way or
	not yet booked) are flagged for a person to check in the old Stripe account."""
	key = current_key()
	retired = 0
	for link in _open_links(statuses=LIVE_STATUSES):
		if link.stripe_key == key and key:
			continue
		values = {"status": "Expired"}
		if link.livemode or link.status in PENDING_STATUSES or not link.stripe_key:
			values.update(
				needs_attention=1,
				attention_note=_(
					"Closed because the Stripe secret key was changed: this session was made with another"
					" Stripe account or mode and cannot be checked from here. If the buyer paid it, the money"
					" is in that account; record it by hand."
				),
			)
		frappe.db.set_value(PAYMENT_LINK, link.name, values)
		retired += 1
	return retired


def latest_payment_status(sales_invoice: str) -> str | None:
	statuses = frappe.get_all(
		PAYMENT_LINK,
		filters={"sales_invoice": sales_invoice},
		pluck="status",
		order_by="creation desc",
		limit=1,
	)
	return statuses[0] if statuses else None
