"""Stripe minor-unit rules for Checkout Session amounts (no Frappe import).

Stripe takes every ``amount`` / ``unit_amount`` as an integer in the currency's
minor unit (https://docs.stripe.com/currencies, "Specify amounts in API requests").
Currencies are two-decimal unless listed below.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Plain English templates; the Frappe layer translates them with ``_()`` and formats
# them with ``exc.args_for_message``.
MESSAGE_INVALID_CURRENCY = "{0} is not a valid currency code. Use a three-letter ISO code such as USD."
MESSAGE_INVALID_AMOUNT = "{0} is not a valid amount."
MESSAGE_NOT_POSITIVE = "The amount to charge must be greater than zero, not {0} {1}."
MESSAGE_NEGATIVE = "The amount cannot be negative: {0} {1}."
MESSAGE_INVALID_MINOR_AMOUNT = "{0} is not a whole number of minor units."
MESSAGE_BELOW_MINIMUM = "Stripe cannot charge less than {0} {1}."

# "For the following zero-decimal currencies, the charge and the amount are the same,
# without requiring multiplication." UGX is on Stripe's list too, but the
# "Special cases" table overrides it (see TWO_DECIMAL_WHOLE_UNIT_CURRENCIES).
ZERO_DECIMAL_CURRENCIES = frozenset(
	{
		"BIF",
		"CLP",
		"DJF",
		"GNF",
		"JPY",
		"KMF",
		"KRW",
		"MGA",
		"PYG",
		"RWF",
		"VND",
		"VUV",
		"XAF",
		"XOF",
		"XPF",
	}
)

# Three-decimal currencies: "these API calls require the least-significant (last) digit
# to be 0. Your integration must round amounts to the nearest ten. For example, 5.124 KWD
# must be rounded to 5120 or 5130."
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

# Special cases: ISK and UGX "transitioned to a zero-decimal currency, but backward
# compatibility requires you to represent it as a two-decimal value, where the decimal
# amount is always 00. For example, to charge 5 ISK, provide an amount value of 500.
# You can't charge fractions of ISK." So: whole units, times 100.
# HUF and TWD are special cases for *payouts* only ("even though you can charge
# two-decimal amounts"), so for Checkout amounts they are ordinary two-decimal currencies.
TWO_DECIMAL_WHOLE_UNIT_CURRENCIES = frozenset({"ISK", "UGX"})

# "Minimum and maximum charge amounts", in major units. Stripe applies the minimum of the
# *settlement* currency after conversion, which cannot be known here; we check the
# presentment currency's own minimum (exact when it is also the settlement currency).
MINIMUM_CHARGE_AMOUNTS: dict[str, Decimal] = {
	code: Decimal(value)
	for code, value in {
		"USD": "0.50",
		"AED": "2.00",
		"ARS": "0.50",
		"AUD": "0.50",
		"BRL": "0.50",
		"CAD": "0.50",
		"CHF": "0.50",
		"COP": "0.50",
		"CZK": "15.00",
		"DKK": "2.50",
		"EUR": "0.50",
		"GBP": "0.30",
		"HKD": "4.00",
		"HUF": "175.00",
		"IDR": "0.50",
		"ILS": "0.50",
		"INR": "0.50",
		"JPY": "50",
		"KRW": "50",
		"MXN": "10",
		"MYR": "2.00",
		"NOK": "3.00",
		"NZD": "0.50",
		"PHP": "0.50",
		"PLN": "2.00",
		"RON": "2.00",
		"RUB": "0.50",
		"SEK": "3.00",
		"SGD": "0.50",
		"THB": "10",
		"ZAR": "0.50",
	}.items()
}

_ONE = Decimal(1)


class AmountError(ValueError):
	"""An amount or currency Stripe cannot take; ``str(exc)`` is the English message."""

	def __init__(self, message_template: str, *args_for_message: object) -> None:
		self.message_template = message_template
		self.args_for_message = args_for_message
		super().__init__(message_template.format(*args_for_message))

	@property
	def message(self) -> str:
		return str(self)


def normalize_currency(currency: object) -> str:
	"""Return the upper-case ISO code, or raise AmountError unless it is three letters."""
	if isinstance(currency, str):
		code = currency.strip().upper()
		if len(code) == 3 and code.isascii() and code.isalpha():
			return code
	raise AmountError(MESSAGE_INVALID_CURRENCY, currency)


def minor_unit_exponent(currency: str) -> int:
	"""Decimal places of Stripe's minor unit for ``currency`` (0, 2 or 3)."""
	code = normalize_currency(currency)
	if code in ZERO_DECIMAL_CURRENCIES:
		return 0
	if code in THREE_DECIMAL_CURRENCIES:
		return 3
	return 2


def _to_decimal(amount: object) -> Decimal:
	if isinstance(amount, bool) or not isinstance(amount, Decimal | int | float | str):
		raise AmountError(MESSAGE_INVALID_AMOUNT, amount)
	try:
		# str() first so a float like 0.1 + 0.2 becomes 0.30000000000000004, not its binary expansion.
		value = Decimal(amount.strip() if isinstance(amount, str) else str(amount))
	except InvalidOperation:
		raise AmountError(MESSAGE_INVALID_AMOUNT, amount)
	if not value.is_finite():
		raise AmountError(MESSAGE_INVALID_AMOUNT, amount)
	return value


def to_minor_units(amount: Decimal | str | float | int, currency: str) -> int:
	"""Convert a major-unit amount to the integer Stripe expects, rounding half up.

	Raises AmountError for malformed input or a negative amount (zero gives 0).
	"""
	code = normalize_currency(currency)
	value = _to_decimal(amount)
	if value < 0:
		raise AmountError(MESSAGE_NEGATIVE, amount, code)
	if code in ZERO_DECIMAL_CURRENCIES:
		minor = value.quantize(_ONE, rounding=ROUND_HALF_UP)
	elif code in THREE_DECIMAL_CURRENCIES:
		# Nearest ten thousandths == nearest hundredth of a unit, so the last digit is 0.
		minor = (value * 100).quantize(_ONE, rounding=ROUND_HALF_UP) * 10
	elif code in TWO_DECIMAL_WHOLE_UNIT_CURRENCIES:
		minor = value.quantize(_ONE, rounding=ROUND_HALF_UP) * 100
	else:
		minor = (value * 100).quantize(_ONE, rounding=ROUND_HALF_UP)
	return int(minor)


def from_minor_units(amount_minor: int, currency: str) -> Decimal:
	"""Convert Stripe's integer minor units (e.g. ``amount_total``) back to major units."""
	if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
		raise AmountError(MESSAGE_INVALID_MINOR_AMOUNT, amount_minor)
	return Decimal(amount_minor).scaleb(-minor_unit_exponent(currency))


def minimum_charge(currency: str) -> Decimal | None:
	"""Stripe's documented minimum charge in major units, or None when not documented."""
	return MINIMUM_CHARGE_AMOUNTS.get(normalize_currency(currency))


def check_minimum(amount: Decimal | str | float | int, currency: str) -> None:
	"""Raise AmountError unless ``amount`` (after rounding) is positive and at least Stripe's minimum."""
	code = normalize_currency(currency)
	minor = to_minor_units(amount, code)
	if minor <= 0:
		raise AmountError(MESSAGE_NOT_POSITIVE, amount, code)
	minimum = minimum_charge(code)
	if minimum is not None and minor < to_minor_units(minimum, code):
		raise AmountError(MESSAGE_BELOW_MINIMUM, minimum, code)
