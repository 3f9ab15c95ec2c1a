import datetime

from invoice_share import status

TODAY = datetime.date(2026, 11, 21)


def state(**kw):
	args = dict(
		docstatus=1, is_return=False, grand_total=100, outstanding_amount=100, due_date=TODAY, today=TODAY
	)
	args.update(kw)
	return status.buyer_status(**args)


def test_unpaid_until_the_due_date_passes():
	assert state() == status.UNPAID
	assert state(due_date=TODAY - datetime.timedelta(days=1)) == status.OVERDUE


def test_partly_paid_and_paid():
	assert state(outstanding_amount=40) == status.PARTLY_PAID
	assert state(outstanding_amount=0) == status.PAID
	assert state(outstanding_amount=0.004) == status.PAID  # below the currency's precision


def test_overdue_wins_over_partly_paid():
	assert state(outstanding_amount=40, due_date=TODAY - datetime.timedelta(days=3)) == status.OVERDUE


def test_credit_notes_drafts_and_cancelled():
	assert state(is_return=True, grand_total=-100, outstanding_amount=-100) == status.CREDIT_NOTE
	assert state(docstatus=0) == status.DRAFT
	assert state(docstatus=2) == status.CANCELLED


def test_only_open_amounts_are_payable():
	assert status.is_payable(status.UNPAID) and status.is_payable(status.OVERDUE)
	assert status.is_payable(status.PARTLY_PAID)
	assert not status.is_payable(status.PAID) and not status.is_payable(status.CREDIT_NOTE)
