"""Stripe minor-unit rules (invoice_share.payments.amounts)."""

from decimal import Decimal

import pytest

from invoice_share.payments import amounts
from invoice_share.payments.amounts import (
	MESSAGE_BELOW_MINIMUM,
	MESSAGE_INVALID_AMOUNT,
	MESSAGE_INVALID_CURRENCY,
	MESSAGE_NOT_POSITIVE,
	AmountError,
	check_minimum,
	from_minor_units,
	minimum_charge,
	minor_unit_exponent,
	to_minor_units,
)


@pytest.mark.parametrize(
	("amount", "currency", "expected"),
	[
		(Decimal("10.00"), "USD", 1000),
		("10", "usd", 1000),
		(10, "EUR", 1000),
		(10.0, "eur", 1000),
		(Decimal("19.99"), "USD", 1999),
		("19.999", "USD", 2000),
		("19.994", "USD", 1999),
		("0.005", "USD", 1),  # half up, not banker's rounding
		("0.015", "EUR", 2),
		(2.675, "GBP", 268),  # Decimal(2.675) is 2.67499...; going through str() rounds it up
		(1.005, "USD", 101),
		(0.1 + 0.2, "USD", 30),  # float noise: 0.30000000000000004
		(1.1 + 2.2, "USD", 330),  # 3.3000000000000003
		(19.99, "USD", 1999),
		(" 7.50 ", "CAD", 750),
		(0, "USD", 0),
		("1234567.89", "USD", 123456789),
	],
)
def test_two_decimal_currencies(amount, currency, expected):
	assert to_minor_units(amount, currency) == expected
	assert type(to_minor_units(amount, currency)) is int


@pytest.mark.parametrize(
	("amount", "currency", "expected"),
	[
		(500, "JPY", 500),
		("500", "jpy", 500),
		(Decimal("1000"), "KRW", 1000),
		("499.5", "JPY", 500),
		("499.4", "KRW", 499),
		(1500.0, "VND", 1500),
		("2500", "CLP", 2500),
		("100", "XOF", 100),
	],
)
def test_zero_decimal_currencies_are_not_multiplied(amount, currency, expected):
	assert to_minor_units(amount, currency) == expected


@pytest.mark.parametrize(
	("amount", "currency", "expected"),
	[
		("5.124", "KWD", 5120),  # Stripe's own example: 5.124 KWD -> 5120 or 5130
		("5.125", "KWD", 5130),
		("5.126", "KWD", 5130),
		("1", "BHD", 1000),
		("0.999", "JOD", 1000),
		("12.34", "OMR", 12340),
		(Decimal("3.001"), "TND", 3000),
	],
)
def test_three_decimal_currencies_round_to_the_nearest_ten(amount, currency, expected):
	minor = to_minor_units(amount, currency)
	assert minor == expected
	assert minor % 10 == 0


@pytest.mark.parametrize(
	("amount", "currency", "expected"),
	[
		# ISK and UGX: "represent it as a two-decimal value, where the decimal amount is always 00".
		("5", "ISK", 500),
		("1500", "isk", 150000),
		("5.49", "ISK", 500),
		("5.5", "ISK", 600),
		("60000", "UGX", 6000000),
		(Decimal("999.6"), "UGX", 100000),
		# HUF and TWD are zero-decimal for payouts only; charges are two-decimal.
		("175.50", "HUF", 17550),
		("800.45", "TWD", 80045),
	],
)
def test_special_cases(amount, currency, expected):
	assert to_minor_units(amount, currency) == expected


def test_exponents():
	assert minor_unit_exponent("usd") == 2
	assert minor_unit_exponent("JPY") == 0
	assert minor_unit_exponent("KWD") == 3
	assert minor_unit_exponent("ISK") == 2
	assert minor_unit_exponent("UGX") == 2
	assert minor_unit_exponent("HUF") == 2
	assert minor_unit_exponent("XYZ") == 2  # unknown: Stripe's default is two decimals


@pytest.mark.parametrize(
	("minor", "currency", "expected"),
	[
		(1999, "USD", Decimal("19.99")),
		(1000, "eur", Decimal("10")),
		(1, "USD", Decimal("0.01")),
		(500, "JPY", Decimal("500")),
		(5120, "KWD", Decimal("5.12")),
		(500, "ISK", Decimal("5")),
		(6000000, "UGX", Decimal("60000")),
		(0, "USD", Decimal("0")),
	],
)
def test_from_minor_units(minor, currency, expected):
	value = from_minor_units(minor, currency)
	assert isinstance(value, Decimal)
	assert value == expected


def test_from_minor_units_keeps_the_currency_scale():
	assert str(from_minor_units(1999, "USD")) == "19.99"
	assert str(from_minor_units(500, "JPY")) == "500"
	assert str(from_minor_units(5120, "KWD")) == "5.120"


@pytest.mark.parametrize(
	("amount", "currency"),
	[
		("19.99", "USD"),
		("0.50", "EUR"),
		("500", "JPY"),
		("5.12", "KWD"),
		("5", "ISK"),
		("60000", "UGX"),
		("175.00", "HUF"),
	],
)
def test_round_trip(amount, currency):
	assert from_minor_units(to_minor_units(amount, currency), currency) == Decimal(amount)


def test_round_trip_of_minor_units():
	for minor in (1, 50, 99, 1000, 123456789):
		assert to_minor_units(from_minor_units(minor, "USD"), "USD") == minor
		assert to_minor_units(from_minor_units(minor, "JPY"), "JPY") == minor
		assert to_minor_units(from_minor_units(minor * 10, "KWD"), "KWD") == minor * 10


@pytest.mark.parametrize("minor", [1.5, "100", None, True])
def test_from_minor_units_rejects_non_integers(minor):
	with pytest.raises(AmountError):
		from_minor_units(minor, "USD")


def test_minimum_charge_table():
	assert minimum_charge("USD") == Decimal("0.50")
	assert minimum_charge("usd") == Decimal("0.50")
	assert minimum_charge("EUR") == Decimal("0.50")
	assert minimum_charge("GBP") == Decimal("0.30")
	assert minimum_charge("JPY") == Decimal("50")
	assert minimum_charge("HUF") == Decimal("175.00")
	assert minimum_charge("CZK") == Decimal("15.00")
	assert minimum_charge("KWD") is None
	assert minimum_charge("XYZ") is None


@pytest.mark.parametrize(
	("amount", "currency"),
	[("0.50", "USD"), ("0.495", "USD"), (1, "USD"), ("0.30", "GBP"), ("50", "JPY"), ("0.01", "KWD")],
)
def test_check_minimum_accepts(amount, currency):
	assert check_minimum(amount, currency) is None


@pytest.mark.parametrize(
	("amount", "currency", "message"),
	[
		("0.49", "USD", "Stripe cannot charge less than 0.50 USD."),
		(0.494, "usd", "Stripe cannot charge less than 0.50 USD."),
		("0.29", "GBP", "Stripe cannot charge less than 0.30 GBP."),
		("49", "JPY", "Stripe cannot charge less than 50 JPY."),
		("174.99", "HUF", "Stripe cannot charge less than 175.00 HUF."),
	],
)
def test_check_minimum_rejects_small_amounts(amount, currency, message):
	with pytest.raises(AmountError) as info:
		check_minimum(amount, currency)
	assert str(info.value) == message
	assert info.value.message_template == MESSAGE_BELOW_MINIMUM
	assert info.value.message_template.format(*info.value.args_for_message) == message
	assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("amount", [0, "0", "0.00", "0.004", "-1", Decimal("-0.01"), -5.0])
def test_check_minimum_rejects_zero_and_negative(amount):
	with pytest.raises(AmountError):
		check_minimum(amount, "EUR")


def test_zero_message_names_the_amount():
	with pytest.raises(AmountError) as info:
		check_minimum("0", "usd")
	assert info.value.message_template == MESSAGE_NOT_POSITIVE
	assert info.value.args_for_message == ("0", "USD")


def test_to_minor_units_rejects_negative():
	with pytest.raises(AmountError):
		to_minor_units("-0.01", "USD")


@pytest.mark.parametrize(
	"amount", ["abc", "", "1,50", None, True, [1], "NaN", "Infinity", float("inf"), float("nan")]
)
def test_bad_amounts(amount):
	with pytest.raises(AmountError) as info:
		to_minor_units(amount, "USD")
	assert info.value.message_template == MESSAGE_INVALID_AMOUNT


@pytest.mark.parametrize("currency", ["US", "USDX", "", "12A", "U$D", None, 840, "ÜSD"])
def test_bad_currencies(currency):
	for call in (
		lambda: to_minor_units("1", currency),
		lambda: from_minor_units(100, currency),
		lambda: minimum_charge(currency),
		lambda: check_minimum("1", currency),
	):
		with pytest.raises(AmountError) as info:
			call()
		assert info.value.message_template == MESSAGE_INVALID_CURRENCY


def test_messages_are_plain_templates():
	for name in dir(amounts):
		if name.startswith("MESSAGE_"):
			template = getattr(amounts, name)
			assert isinstance(template, str)
			assert "{0}" in template
