import pytest

from invoice_share.buyer import status


def state(erpnext_status, **kw):
	args = dict(docstatus=1, is_return=False, erpnext_status=erpnext_status, settled=False)
	args.update(kw)
	return status.buyer_status(**args)


@pytest.mark.parametrize(
	("erpnext_status", "expected"),
	[
		("Unpaid", status.UNPAID),
		("Unpaid and Discounted", status.UNPAID),
		("Overdue", status.OVERDUE),
		("Overdue and Discounted", status.OVERDUE),
		("Partly Paid", status.PARTLY_PAID),
		("Partly Paid and Discounted", status.PARTLY_PAID),
		("Paid", status.PAID),
		("Credit Note Issued", status.PAID),
	],
)
def test_erpnext_status_is_what_the_buyer_sees(erpnext_status, expected):
	assert state(erpnext_status) == expected


def test_an_untouched_invoice_is_unpaid_whatever_its_rounding():
	# ERPNext stores "Unpaid" for an invoice whose rounded total differs from its grand total;
	# nothing here compares totals, so it cannot turn into "Partly Paid".
	assert state("Unpaid") == status.UNPAID


def test_statuses_that_say_nothing_about_payment_fall_back_to_what_is_outstanding():
	assert state("Submitted", settled=False) == status.UNPAID
	assert state("Internal Transfer", settled=True) == status.PAID
	assert state(None, settled=True) == status.PAID


def test_credit_notes_drafts_and_cancelled():
	assert state("Return", is_return=True) == status.CREDIT_NOTE
	assert state("Draft", docstatus=0) == status.DRAFT
	assert state("Cancelled", docstatus=2) == status.CANCELLED


def test_only_open_amounts_are_payable():
	assert status.is_payable(status.UNPAID) and status.is_payable(status.OVERDUE)
	assert status.is_payable(status.PARTLY_PAID)
	assert not status.is_payable(status.PAID) and not status.is_payable(status.CREDIT_NOTE)
