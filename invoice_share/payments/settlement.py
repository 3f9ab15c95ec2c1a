"""What an invoice still asks for, and the Payment Entry for what Stripe took, by ERPNext's rules.

Amounts come from ERPNext itself: Payment Request's `get_amount` turns what is outstanding
(kept in the receivable account's currency) into the invoice's currency, and Payment Entry's
`get_payment_entry` applies early-payment discounts, rounding and exchange rates. Nothing here
re-implements those rules.
"""

import frappe
from frappe import _
from frappe.utils import flt, getdate, nowdate

from invoice_share.payments import amounts


def amount_due(invoice, on_date=None) -> float:
	"""What settles the invoice on `on_date` (today), in the invoice's currency; 0 when nothing is owed.

	`invoice` is a loaded Sales Invoice. Without an early-payment discount that applies on that
	date, this is Payment Request's amount; with one, the amount of ERPNext's own Payment Entry.
	"""
	if invoice.docstatus != 1 or invoice.is_return or flt(invoice.outstanding_amount) <= 0:
		return 0.0
	party_amount = flt(invoice.outstanding_amount)
	if early_payment_discount_applies(invoice, on_date):
		party_amount = flt(erpnext_payment_entry(invoice, None, on_date).paid_amount)
	return to_invoice_currency(invoice, party_amount)


def early_payment_discount_applies(invoice, on_date=None) -> bool:
	"""Whether a payment term still offers its discount on `on_date` (ERPNext's own test)."""
	on_date = getdate(on_date or nowdate())
	return any(
		term.discount
		and not term.discounted_amount
		and term.discount_date
		and on_date <= getdate(term.discount_date)
		for term in invoice.get("payment_schedule") or []
	)


def to_invoice_currency(invoice, party_amount: float) -> float:
	"""An amount in the receivable account's currency, in the invoice's currency.

	The receivable account is in the invoice's currency or in the company's; in the second case
	ERPNext's Payment Request divides by the invoice's conversion rate, and so do we.
	"""
	from erpnext.accounts.doctype.payment_request.payment_request import get_amount

	if flt(party_amount) <= 0:
		return 0.0
	probe = frappe._dict(
		doctype="Sales Invoice",
		is_pos=0,
		party_account_currency=_party_account_currency(invoice),
		currency=invoice.currency,
		conversion_rate=invoice.conversion_rate,
		outstanding_amount=party_amount,
	)
	return flt(get_amount(probe), invoice.precision("outstanding_amount"))


def to_party_currency(invoice, amount: float) -> float:
	"""The inverse of `to_invoice_currency`, at the invoice's conversion rate."""
	if _party_account_currency(invoice) == invoice.currency:
		return flt(amount, invoice.precision("outstanding_amount"))
	return flt(flt(amount) * flt(invoice.conversion_rate), invoice.precision("outstanding_amount"))


def same_money(first, second, currency: str) -> bool:
	"""Equal once both are in Stripe's minor units for `currency`."""
	return amounts.to_minor_units(flt(first), currency) == amounts.to_minor_units(flt(second), currency)


def erpnext_payment_entry(invoice, bank_account: str | None, reference_date=None):
	"""ERPNext's unsaved Payment Entry that settles the invoice in full as of `reference_date`."""
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

	entry = get_payment_entry(
		"Sales Invoice",
		invoice.name,
		bank_account=bank_account,
		payment_type="Receive",
		reference_date=reference_date or nowdate(),
	)
	# get_payment_entry says "Discount of … applied" as a desk alert; nobody here should see it.
	frappe.clear_messages()
	return entry


def build_payment_entry(invoice, taken: float, *, bank_account: str, reference_date):
	"""An unsaved Payment Entry for `taken` (what Stripe took, in the invoice's currency).

	Returns (entry, matched). When `taken` is what ERPNext takes to settle the invoice as of
	`reference_date` (the day the buyer was quoted), the entry is ERPNext's own, discount and
	all, and `matched` is True. Otherwise the whole of `taken` is on the entry, allocated to the
	invoice up to what it still owes and the rest left unallocated for the customer (an
	advance); a cancelled or settled invoice gets no allocation at all.
	"""
	entry = erpnext_payment_entry(invoice, bank_account, reference_date)
	owes = invoice.docstatus == 1 and flt(invoice.outstanding_amount) > 0
	asked = to_invoice_currency(invoice, entry.paid_amount)
	if owes and same_money(asked, taken, invoice.currency):
		if flt(asked, invoice.precision("outstanding_amount")) != flt(
			taken, invoice.precision("outstanding_amount")
		):
			# Stripe charges whole minor units (three-decimal currencies to the nearest ten): what
			# it took settles the invoice, and the difference goes where ERPNext puts rounding.
			_set_received(entry, invoice, taken, bank_account)
			_round_off_difference(entry, invoice)
		return entry, True

	_set_received(entry, invoice, taken, bank_account)
	# An early-payment discount belongs to a full settlement only.
	entry.set("deductions", [row for row in entry.get("deductions") if row.is_exchange_gain_loss])
	remaining = to_party_currency(invoice, taken) if owes else 0.0
	for reference in entry.get("references"):
		reference.allocated_amount = min(remaining, flt(reference.outstanding_amount))
		remaining = flt(remaining - reference.allocated_amount, entry.precision("paid_amount"))
	entry.set("references", [row for row in entry.get("references") if flt(row.allocated_amount) > 0])
	entry.set_amounts()
	return entry, False


def _set_received(entry, invoice, taken: float, bank_account: str) -> None:
	"""The entry receives `taken` (in the invoice's currency), converted as ERPNext does."""
	from erpnext.accounts.doctype.payment_entry.payment_entry import (
		get_bank_cash_account,
		set_paid_amount_and_received_amount,
	)

	entry.paid_amount, entry.received_amount = set_paid_amount_and_received_amount(
		"Sales Invoice",
		_party_account_currency(invoice),
		get_bank_cash_account(invoice, bank_account),
		to_party_currency(invoice, taken),
		"Receive",
		None,
		invoice,
	)


def _round_off_difference(entry, invoice) -> None:
	"""What the entry receives beyond (or short of) what it allocates, on the company's Round Off
	account, as a deduction row (ERPNext's own place for the difference of a Payment Entry)."""
	entry.set_amounts()
	# The entry settles the invoice in full: what it allocates, less what it receives and the
	# deductions it has (an early-payment discount), is the rounding (in the company's currency).
	deducted = sum(flt(row.amount) for row in entry.get("deductions"))
	difference = flt(
		flt(entry.base_total_allocated_amount) - flt(entry.base_received_amount) - deducted,
		entry.precision("difference_amount"),
	)
	if not difference:
		return
	company = frappe.get_cached_doc("Company", invoice.company)
	account = company.round_off_account or company.write_off_account
	if not account:
		frappe.throw(
			_(
				"Set a Round Off Account for company {0}: Stripe took {1} and the invoice asked for a fraction of a cent more or less."
			).format(frappe.bold(invoice.company), entry.received_amount),
			title=_("No Round Off Account"),
		)
	entry.append(
		"deductions",
		{
			"account": account,
			"cost_center": company.round_off_cost_center or company.cost_center,
			"amount": difference,
			"description": _("Rounding to Stripe's smallest unit"),
		},
	)
	entry.set_amounts()


def _party_account_currency(invoice) -> str:
	from erpnext.accounts.utils import get_account_currency

	return invoice.get("party_account_currency") or get_account_currency(invoice.debit_to)
