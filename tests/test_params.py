import pytest

from invoice_share.params import parse_flag, parse_whole_number


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
