"""QR codes for the buyer's PDF and page: the pay link, and the EPC QR ("GiroCode") of a SEPA transfer.

No Frappe import here: this module is tested on its own. Codes are made locally by segno and
embedded as PNG `data:` URIs (no network, and allowed by the buyer page's CSP).
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import segno

EPC_MAX_BYTES = 331
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_BIC = re.compile(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?")


def qr_png_data_uri(text: str, *, scale: int = 4, border: int = 2) -> str:
	"""A QR code of `text` (error correction M) as a PNG `data:` URI."""
	return segno.make(text, error="m", boost_error=False).png_data_uri(scale=scale, border=border)


def is_valid_iban(iban: str) -> bool:
	"""ISO 13616: country, check digits, account; the mod-97 check of the whole must give 1."""
	value = re.sub(r"\s+", "", iban or "").upper()
	if not _IBAN.fullmatch(value):
		return False
	rearranged = value[4:] + value[:4]
	return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def epc_payload(
	*,
	name: str,
	iban: str,
	amount,
	currency: str = "EUR",
	bic: str | None = None,
	text: str | None = None,
) -> str:
	"""The EPC069-12 (version 002) payload of a SEPA credit transfer, lines joined with LF.

	The remittance text is cut to the 140 characters the guideline allows; anything else the
	format cannot carry (another currency, an amount out of range, a bad IBAN or BIC, no name)
	is a ValueError.
	"""
	if currency != "EUR":
		raise ValueError("an EPC QR code is for transfers in EUR")
	name = " ".join((name or "").split())[:70]
	if not name:
		raise ValueError("the beneficiary's name is required")
	iban = re.sub(r"\s+", "", iban or "").upper()
	if not is_valid_iban(iban):
		raise ValueError("the IBAN is not valid")
	bic = re.sub(r"\s+", "", bic or "").upper()
	if bic and not _BIC.fullmatch(bic):
		raise ValueError("the BIC is not valid")
	try:
		value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
	except InvalidOperation:
		raise ValueError("the amount is not a number") from None
	if not Decimal("0.01") <= value <= Decimal("999999999.99"):
		raise ValueError("the amount must be from 0.01 to 999999999.99 EUR")
	lines = [
		"BCD",
		"002",
		"1",  # UTF-8
		"SCT",
		bic,
		name,
		iban,
		f"EUR{value}",
		"",  # purpose
		"",  # structured reference
		" ".join((text or "").split())[:140],
	]
	payload = "\n".join(lines).rstrip("\n")
	if len(payload.encode()) > EPC_MAX_BYTES:
		raise ValueError("the payload is longer than an EPC QR code may be")
	return payload


def epc_png_data_uri(*, scale: int = 4, border: int = 2, **fields) -> str:
	"""The EPC QR code (error correction M, as EPC069-12 requires) as a PNG `data:` URI."""
	payload = epc_payload(**fields)
	return segno.make(payload, error="m", boost_error=False, encoding="utf-8").png_data_uri(
		scale=scale, border=border
	)
