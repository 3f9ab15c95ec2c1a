"""What the buyer is told about an invoice's payment state.

No Frappe import here: the buyer page, the JSON summary and get_share_status all use it.
"""

import datetime
from decimal import Decimal

PAID = "Paid"
PARTLY_PAID = "Partly Paid"
UNPAID = "Unpaid"
OVERDUE = "Overdue"
CREDIT_NOTE = "Credit Note"
CANCELLED = "Cancelled"
DRAFT = "Draft"


def buyer_status(
	*,
	docstatus: int,
	is_return: bool,
	grand_total: Decimal | float,
	outstanding_amount: Decimal | float,
	due_date: datetime.date | None,
	today: datetime.date,
	precision: int = 2,
) -> str:
	"""Unpaid, Overdue, Partly Paid, Paid or Credit Note (or Draft/Cancelled, never shown to guests)."""
	if docstatus == 0:
		return DRAFT
	if docstatus == 2:
		return CANCELLED
	if is_return:
		return CREDIT_NOTE
	outstanding = round(Decimal(str(outstanding_amount)), precision)
	total = round(Decimal(str(grand_total)), precision)
	if outstanding <= 0:
		return PAID
	if due_date and due_date < today:
		return OVERDUE
	if outstanding < total:
		return PARTLY_PAID
	return UNPAID


def is_payable(status: str) -> bool:
	"""Whether the buyer may be offered to pay online."""
	return status in (UNPAID, OVERDUE, PARTLY_PAID)
