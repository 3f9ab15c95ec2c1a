"""What the buyer is told about an invoice's payment state.

No Frappe import here. The state is ERPNext's own, as stored on the Sales Invoice (`status`,
which ERPNext keeps up to date as payments, credit notes and due dates come and go); this only
maps ERPNext's longer list onto the few words a buyer needs.
"""

PAID = "Paid"
PARTLY_PAID = "Partly Paid"
UNPAID = "Unpaid"
OVERDUE = "Overdue"
CREDIT_NOTE = "Credit Note"
CANCELLED = "Cancelled"
DRAFT = "Draft"

# ERPNext's Sales Invoice statuses, by the word they start with ("Overdue and Discounted" …).
_BY_PREFIX = (
	("Overdue", OVERDUE),
	("Partly Paid", PARTLY_PAID),
	("Unpaid", UNPAID),
	("Paid", PAID),
	("Credit Note Issued", PAID),  # settled by a credit note: nothing left to pay
	("Return", CREDIT_NOTE),
)


def buyer_status(*, docstatus: int, is_return: bool, erpnext_status: str | None, settled: bool) -> str:
	"""Unpaid, Overdue, Partly Paid, Paid or Credit Note (or Draft/Cancelled, never shown to guests).

	`erpnext_status` is the invoice's stored `status`; `settled` says that nothing is outstanding,
	for the few statuses that say nothing about payment ("Submitted", "Internal Transfer").
	"""
	if docstatus == 0:
		return DRAFT
	if docstatus == 2:
		return CANCELLED
	if is_return:
		return CREDIT_NOTE
	for prefix, state in _BY_PREFIX:
		if (erpnext_status or "").startswith(prefix):
			return state
	return PAID if settled else UNPAID


def is_payable(status: str) -> bool:
	"""Whether the buyer may be offered to pay online."""
	return status in (UNPAID, OVERDUE, PARTLY_PAID)
