# Copyright (c) 2026, invoice_share contributors
# For license information, please see license.txt

"""Stripe Reconciliation: Stripe's balance against the Stripe account's ledger, then every Stripe
balance transaction with no voucher and every voucher on the Stripe account with no balance
transaction, since a date."""

import datetime
from zoneinfo import ZoneInfo

import frappe
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import flt, get_system_timezone, getdate

from invoice_share.core.formats import from_timestamp
from invoice_share.payments import ledger
from invoice_share.payments.amounts import from_minor_units
from invoice_share.payments.books import STRIPE_TXN, books_accounts, books_company
from invoice_share.payments.gateway import get_gateway
from invoice_share.payments.stripe_api import StripeGatewayError


def execute(filters=None):
	filters = frappe._dict(filters or {})
	company = books_company()
	if not company:
		frappe.throw(
			_("Set the Stripe, Stripe fee and Stripe payout accounts in Invoice Share Settings first."),
			title=_("Stripe Accounts Missing"),
		)
	accounts = books_accounts(company)
	since = getdate(filters.from_date) if filters.get("from_date") else getdate()
	start = datetime.datetime.combine(since, datetime.time.min, tzinfo=ZoneInfo(get_system_timezone()))
	gateway = get_gateway()
	try:
		balance = gateway.retrieve_balance()
		movements = gateway.list_balance_transactions(created_since=int(start.timestamp()))
	except StripeGatewayError as exc:
		frappe.throw(
			_("Stripe could not be asked: {0}").format(exc.user_message), title=_("Stripe Unavailable")
		)

	currency = frappe.get_cached_value("Account", accounts.stripe, "account_currency")
	stripe_minor = sum(
		int(row.get("amount") or 0)
		for part in ("available", "pending")
		for row in balance.get(part) or []
		if str(row.get("currency") or "").upper() == currency
	)
	stripe_says = flt(from_minor_units(stripe_minor, currency))
	books_say = _ledger_balance(accounts.stripe)
	summary = [
		{"label": _("Stripe's balance"), "value": stripe_says, "datatype": "Currency", "currency": currency},
		{
			"label": _("Stripe account in ERPNext"),
			"value": books_say,
			"datatype": "Currency",
			"currency": currency,
		},
		{
			"label": _("Difference"),
			"value": flt(books_say - stripe_says, 2),
			"datatype": "Currency",
			"currency": currency,
			"indicator": "Green" if flt(books_say - stripe_says, 2) == 0 else "Red",
		},
	]

	data = []
	booked = set(
		frappe.get_all(
			STRIPE_TXN,
			filters={"balance_transaction": ["in", [m["id"] for m in movements] or [""]]},
			pluck="name",
		)
	)
	for bt in movements:
		if bt["id"] in booked:
			continue
		move = ledger.movement(bt)
		data.append(
			{
				"problem": _("At Stripe, not booked"),
				"reference": bt["id"],
				"kind": _(move.kind),
				"date": getdate(from_timestamp(move.created)),
				"net": flt(move.net),
				"currency": move.currency,
			}
		)
	for voucher in _unmatched_vouchers(accounts.stripe, since):
		data.append(
			{
				"problem": _("Booked, not at Stripe"),
				"voucher_type": voucher.voucher_type,
				"voucher_no": voucher.voucher_no,
				"date": voucher.posting_date,
				"net": flt(voucher.net),
				"currency": currency,
			}
		)
	columns = [
		{"fieldname": "problem", "label": _("Problem"), "fieldtype": "Data", "width": 180},
		{"fieldname": "reference", "label": _("Balance Transaction"), "fieldtype": "Data", "width": 220},
		{"fieldname": "kind", "label": _("Kind"), "fieldtype": "Data", "width": 130},
		{
			"fieldname": "voucher_type",
			"label": _("Voucher Type"),
			"fieldtype": "Link",
			"options": "DocType",
			"width": 130,
		},
		{
			"fieldname": "voucher_no",
			"label": _("Voucher"),
			"fieldtype": "Dynamic Link",
			"options": "voucher_type",
			"width": 180,
		},
		{"fieldname": "date", "label": _("Date"), "fieldtype": "Date", "width": 100},
		{"fieldname": "net", "label": _("Net"), "fieldtype": "Currency", "options": "currency", "width": 120},
		{
			"fieldname": "currency",
			"label": _("Currency"),
			"fieldtype": "Link",
			"options": "Currency",
			"hidden": 1,
		},
	]
	return columns, data, None, None, summary


def _ledger_balance(account: str) -> float:
	gle = frappe.qb.DocType("GL Entry")
	rows = (
		frappe.qb.from_(gle)
		.select(Sum(gle.debit_in_account_currency) - Sum(gle.credit_in_account_currency))
		.where((gle.account == account) & (gle.is_cancelled == 0))
	).run()
	return flt(rows[0][0]) if rows and rows[0][0] is not None else 0.0


def _unmatched_vouchers(account: str, since) -> list:
	"""Vouchers on the Stripe account since a date that no balance transaction names."""
	gle = frappe.qb.DocType("GL Entry")
	txn = frappe.qb.DocType(STRIPE_TXN)
	return (
		frappe.qb.from_(gle)
		.left_join(txn)
		.on((txn.voucher_type == gle.voucher_type) & (txn.voucher_no == gle.voucher_no))
		.select(
			gle.voucher_type,
			gle.voucher_no,
			gle.posting_date,
			(Sum(gle.debit_in_account_currency) - Sum(gle.credit_in_account_currency)).as_("net"),
		)
		.where(
			(gle.account == account)
			& (gle.is_cancelled == 0)
			& (gle.posting_date >= since)
			& txn.name.isnull()
		)
		.groupby(gle.voucher_type, gle.voucher_no, gle.posting_date)
	).run(as_dict=True)
