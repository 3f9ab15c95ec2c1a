import datetime
from zoneinfo import ZoneInfo

import pytest

from invoice_share.core import params
from invoice_share.core.params import parse_flag, parse_whole_number


@pytest.mark.parametrize(
	"value,expected",
	[
		(None, False),
		(0, False),
		(1, True),
		(True, True),
		("1", True),
		("true", True),
		("Yes", True),
		("0", False),
		("false", False),
		("", False),
	],
)
def test_flags(value, expected):
	assert parse_flag(value) is expected


@pytest.mark.parametrize("value", [2, -1, "maybe", "2", 1.0, [], {}])
def test_bad_flags(value):
	assert parse_flag(value) is None


@pytest.mark.parametrize("value,expected", [(5, 5), ("86400", 86400), (" 60 ", 60), ("-5", -5), (30.0, 30)])
def test_whole_numbers(value, expected):
	assert parse_whole_number(value) == expected


@pytest.mark.parametrize("value", ["1.5", 1.5, "abc", "", None, True, "1e3", "٣", "9" * 20])
def test_not_whole_numbers(value):
	assert parse_whole_number(value) is None


NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
	("text", "expected"),
	[
		("2026-11-22T23:31:46+00:00", "2026-11-22 18:31:46"),  # what the API answers with
		("2026-11-22T23:31:46Z", "2026-11-22 18:31:46"),
		("2026-11-22T23:31:46z", "2026-11-22 18:31:46"),
		("2026-11-22T18:31:46-05:00", "2026-11-22 18:31:46"),
		("2026-11-23T00:31:46+0100", "2026-11-22 18:31:46"),
		("2026-11-23T05:01:46+10:30", "2026-11-22 13:31:46"),
		("2026-11-22T23:31:46.5Z", "2026-11-22 18:31:46.500000"),
		("2026-06-22T23:31:46Z", "2026-06-22 19:31:46"),  # summer time in New York
		("2026-11-22 18:31:46", "2026-11-22 18:31:46"),  # no offset: the site's time already
		("2026-11-22T18:31", "2026-11-22 18:31:00"),
		("2026-11-22T18:31:46.25", "2026-11-22 18:31:46.250000"),
		("2026-11-22T18:31:46,123456789", "2026-11-22 18:31:46.123456"),
		("2026-12-31", "2026-12-31 23:59:59"),  # a date: the end of that day
		(" 2026-12-31 ", "2026-12-31 23:59:59"),
	],
)
def test_parse_datetime_accepts_iso_8601(text, expected):
	assert str(params.parse_datetime(text, NEW_YORK)) == expected


def test_parse_datetime_gives_back_the_instant_it_was_given():
	sydney = ZoneInfo("Australia/Sydney")
	answered = datetime.datetime(2026, 11, 22, 9, 30, tzinfo=sydney)  # as iso() writes it
	for text in (
		answered.isoformat(),
		answered.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
	):
		assert params.parse_datetime(text, sydney).replace(tzinfo=sydney) == answered


@pytest.mark.parametrize(
	"text",
	[
		"tomorrow",
		"",
		"2026-13-01",
		"2026-02-30T10:00:00",
		"31/12/2026",
		"2026-12-31T25:00",
		"2026-12-31T10",
		"2026-12-31T10:00:00+24:00",
		"2026-12-31Z",
		"2026-12-31T10:00:00 UTC",
		20261231,
		None,
	],
)
def test_parse_datetime_refuses_anything_else(text):
	assert params.parse_datetime(text, NEW_YORK) is None


@pytest.mark.parametrize(
	("url", "origin"),
	[
		("https://api.stripe.com", "https://api.stripe.com"),
		("https://API.Stripe.com:443/", "https://api.stripe.com"),
		("https://stripe-proxy.example.com:8443", "https://stripe-proxy.example.com:8443"),
		("https://10.0.0.5", "https://10.0.0.5"),
		("http://127.0.0.1:12111", "http://127.0.0.1:12111"),  # the test stand-in
		("http://127.8.9.10:12111/", "http://127.8.9.10:12111"),
		("http://localhost:12111", "http://localhost:12111"),
		("http://[::1]:12111", "http://[::1]:12111"),
	],
)
def test_api_base_may_be_https_or_plain_http_on_this_machine(url, origin):
	assert params.parse_api_base(url) == origin


@pytest.mark.parametrize(
	"url",
	[
		"http://api.stripe.com",  # the key in clear over the network
		"http://10.0.0.5:8080",
		"http://192.168.1.10",
		"http://localhost.evil.example",
		"http://127.0.0.1.evil.example",
		"ftp://api.stripe.com",
		"https://user:secret@api.stripe.com",
		"https://api.stripe.com@evil.example",
		"https://evil.example/collect",
		"https://api.stripe.com/v1?next=https://evil.example",
		"https://api.stripe.com#x",
		"https://api.stripe.com:99999",
		"https://api.stripe.com:",
		"https://api.stripe.com; form-action *",
		"https://under_score.example",
		"api.stripe.com",
		"//api.stripe.com",
		"",
		None,
	],
)
def test_api_base_refuses_where_the_key_could_leak(url):
	assert params.parse_api_base(url) is None
