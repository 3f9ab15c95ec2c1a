"""QR codes for the buyer's PDF and page: the pay link, and the EPC QR ("GiroCode") of a SEPA transfer.

No Frappe import here: this module is tested on its own. Codes are made locally by segno and
embedded as PNG `data:` URIs (no network, and allowed by the buyer page's CSP).

The EPC QR follows the European Payments Council guideline EPC069-12, version 002: UTF-8, error
correction level M, at most 331 bytes of payload (QR version 13). Fields the format limits are
handled so: the beneficiary's name is cut to 70 characters and the remittance text to 140 (a
reference or invoice name that long is not worth losing the whole code over); everything that
would make a wrong transfer (another currency, an amount out of range, a bad IBAN, BIC or
creditor reference, no name) is a ValueError.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import segno

EPC_MAX_BYTES = 331
EPC_MAX_NAME = 70
EPC_MAX_TEXT = 140
EPC_MIN_AMOUNT = Decimal("0.01")
EPC_MAX_AMOUNT = Decimal("999999999.99")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_BIC = re.compile(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_RF = re.compile(r"RF[0-9]{2}[A-Z0-9]{1,21}")


def _qr_png_data_uri(text: str, *, scale: int, border: int, **options) -> str:
	# make_qr, not make: segno.make picks a Micro QR for short texts, which phones rarely read.
	code = segno.make_qr(text, error="m", boost_error=False, **options)
	return code.png_data_uri(scale=scale, border=border, dark="black", light="white")


def qr_png_data_uri(text: str, *, scale: int = 4, border: int = 2) -> str:
	"""A QR code of `text` (error correction M) as a PNG `data:` URI."""
	return _qr_png_data_uri(text, scale=scale, border=border)


def _compact(value: str | None) -> str:
	return re.sub(r"\s+", "", value or "").upper()


def _mod97(value: str) -> int:
	"""ISO 7064 MOD 97-10 of an alphanumeric string with its first four characters moved to the end."""
	rearranged = value[4:] + value[:4]
	return int("".join(str(int(char, 36)) for char in rearranged)) % 97


def is_valid_iban(iban: str) -> bool:
	"""ISO 13616: country, check digits, account; the mod-97 check of the whole must give 1.

	Spaces are ignored and letters may be in either case.
	"""
	value = _compact(iban)
	return bool(_IBAN.fullmatch(value)) and _mod97(value) == 1


def is_valid_creditor_reference(reference: str) -> bool:
	"""ISO 11649 (RF creditor reference): RF, check digits, up to 21 letters or digits; mod 97 gives 1."""
	value = _compact(reference)
	return bool(_RF.fullmatch(value)) and _mod97(value) == 1


def _one_line(value: str | None) -> str:
	return " ".join((value or "").split())


def _amount(amount: Decimal | int | float | str) -> Decimal:
	if isinstance(amount, bool):
		raise ValueError("the amount is not a number")
	try:
		value = Decimal(str(amount).strip()).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
	except InvalidOperation:
		raise ValueError("the amount is not a number") from None
	if not value.is_finite() or not EPC_MIN_AMOUNT <= value <= EPC_MAX_AMOUNT:
		raise ValueError("the amount must be from 0.01 to 999999999.99 EUR")
	return value


def epc_payload(
	*,
	name: str,
	iban: str,
	amount: Decimal | int | float | str,
	currency: str = "EUR",
	bic: str | None = None,
	reference: str | None = None,
	text: str | None = None,
) -> str:
	"""The EPC069-12 (version 002) payload of a SEPA credit transfer, lines joined with LF.

	The amount is rounded half up to cents. `reference` must be an ISO 11649 creditor reference
	(RF…); when given, it fills the structured reference line and `text` is left out, as the
	guideline allows one or the other. Trailing empty lines are left out.
	"""
	if currency != "EUR":
		raise ValueError("an EPC QR code is for transfers in EUR")
	name = _one_line(name)[:EPC_MAX_NAME]
	if not name:
		raise ValueError("the beneficiary's name is required")
	iban = _compact(iban)
	if not is_valid_iban(iban):
		raise ValueError("the IBAN is not valid")
	bic = _compact(bic)
	if bic and not _BIC.fullmatch(bic):
		raise ValueError("the BIC is not valid")
	value = _amount(amount)
	reference = _compact(reference)
	if reference and not is_valid_creditor_reference(reference):
		raise ValueError("the reference is not an ISO 11649 creditor reference")
	lines = [
		"BCD",  # service tag
		"002",  # version
		"1",  # character set: UTF-8
		"SCT",  # SEPA credit transfer
		bic,
		name,
		iban,
		f"EUR{value}",
		"",  # purpose
		reference,
		"" if reference else _one_line(text)[:EPC_MAX_TEXT],
	]
	payload = "\n".join(lines).rstrip("\n")
	if len(payload.encode()) > EPC_MAX_BYTES:
		raise ValueError("the payload is longer than an EPC QR code may be")
	return payload


def epc_png_data_uri(
	*,
	name: str,
	iban: str,
	amount: Decimal | int | float | str,
	currency: str = "EUR",
	bic: str | None = None,
	reference: str | None = None,
	text: str | None = None,
	scale: int = 4,
	border: int = 2,
) -> str:
	"""The EPC QR code (error correction M, as EPC069-12 requires) as a PNG `data:` URI."""
	payload = epc_payload(
		name=name, iban=iban, amount=amount, currency=currency, bic=bic, reference=reference, text=text
	)
	# The payload declares UTF-8: segno would otherwise write Latin-1 bytes for names like "Müller".
	return _qr_png_data_uri(payload, scale=scale, border=border, encoding="utf-8")
