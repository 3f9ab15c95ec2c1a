import datetime

import pytest

from invoice_share.core import wording

TODAY = datetime.date(2026, 11, 22)


def ident(text):
	return text


@pytest.mark.parametrize(
	("accepted", "language", "expected"),
	[
		(["en-GB", "en"], "en", "22 November 2026"),
		(["en-US"], "en", "November 22, 2026"),
		([], "en", "November 22, 2026"),
		(["de-DE"], "de", "22. November 2026"),
		(["fr-FR", "en"], "fr", "22 novembre 2026"),
		# The page is German (say, the invoice's language): an English browser's tag is not taken.
		(["en-GB"], "de", "22. November 2026"),
		(["xx-invalid", "en-GB"], "en", "22 November 2026"),
		([], None, "November 22, 2026"),
	],
)
def test_dates_are_written_out_in_the_buyers_locale(accepted, language, expected):
	assert wording.long_date(TODAY, wording.buyer_locale(accepted, language)) == expected


def test_no_date_is_an_empty_string():
	assert wording.long_date(None, wording.buyer_locale([], "en")) == ""


@pytest.mark.parametrize(
	("due", "expected"),
	[
		(TODAY, "Due today"),
		(TODAY + datetime.timedelta(days=1), "Due tomorrow"),
		(TODAY + datetime.timedelta(days=5), "Due in 5 days"),
		(TODAY - datetime.timedelta(days=1), "Overdue by 1 day"),
		(TODAY - datetime.timedelta(days=3), "Overdue by 3 days"),
		(None, ""),
	],
)
def test_how_far_off_the_due_date_is(due, expected):
	assert wording.due_phrase(due, TODAY, ident) == expected


def test_the_phrase_goes_through_translation():
	german = {"Overdue by {0} days": "Seit {0} Tagen überfällig"}
	assert wording.due_phrase(TODAY - datetime.timedelta(days=3), TODAY, lambda s: german.get(s, s)) == (
		"Seit 3 Tagen überfällig"
	)
