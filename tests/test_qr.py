import base64
import io
from decimal import Decimal

import pytest

from invoice_share.buyer import qr

EXAMPLE = dict(
	name="Demo Seller GmbH",
	iban="DE89 3704 0044 0532 0130 00",
	bic="COBADEFFXXX",
	amount=2640.5,
	text="ACC-SINV-2026-00001",
)
# Written out from EPC069-12 v002: service tag, version, character set (1 = UTF-8), identification,
# BIC, name, IBAN, amount, purpose (empty), structured reference (empty), remittance text.
EXAMPLE_PAYLOAD = "BCD\n002\n1\nSCT\nCOBADEFFXXX\nDemo Seller GmbH\nDE89370400440532013000\nEUR2640.50\n\n\nACC-SINV-2026-00001"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_bytes(data_uri: str) -> bytes:
	prefix = "data:image/png;base64,"
	assert data_uri.startswith(prefix)
	png = base64.b64decode(data_uri[len(prefix) :], validate=True)
	assert png.startswith(PNG_SIGNATURE)
	return png


def png_width(png: bytes) -> int:
	return int.from_bytes(png[16:20], "big")  # the IHDR chunk's width


def decode(data_uri: str) -> list:
	"""Every QR code a real decoder (zxing-cpp) finds in the PNG of a data URI."""
	zxingcpp = pytest.importorskip("zxingcpp")
	image = pytest.importorskip("PIL.Image")
	return zxingcpp.read_barcodes(image.open(io.BytesIO(png_bytes(data_uri))))


def test_data_uris_are_base64_pngs():
	png = png_bytes(qr.qr_png_data_uri("https://erp.example.com/"))
	assert png[12:16] == b"IHDR"
	png_bytes(qr.epc_png_data_uri(**EXAMPLE))


def test_scale_and_border_change_the_image():
	small = png_bytes(qr.qr_png_data_uri("x", scale=2, border=0))
	large = png_bytes(qr.qr_png_data_uri("x", scale=4, border=2))
	assert png_width(small) == 21 * 2  # version 1 is 21 modules wide
	assert png_width(large) == (21 + 2 * 2) * 4


def test_a_link_round_trips_through_its_qr_code():
	url = "https://erp.example.com/invoice-view/xK3mN8qR0123456789abcdefghijklmnopqrstuvwxy?lang=de&x=1"
	(code,) = decode(qr.qr_png_data_uri(url))
	assert code.text == url
	assert code.ec_level == "M"


def test_short_texts_make_a_full_qr_code_not_a_micro_qr():
	(code,) = decode(qr.qr_png_data_uri("https://a.b"))
	assert str(code.format) == "QR Code"
	assert code.text == "https://a.b"


def test_the_epc_payload_follows_epc069_12():
	assert qr.epc_payload(**EXAMPLE) == EXAMPLE_PAYLOAD
	assert qr.epc_payload(**{**EXAMPLE, "amount": Decimal("2640.50")}) == EXAMPLE_PAYLOAD
	assert qr.epc_payload(**{**EXAMPLE, "amount": "2640.5"}) == EXAMPLE_PAYLOAD


def test_the_epc_qr_code_decodes_to_the_payload_at_level_m():
	(code,) = decode(qr.epc_png_data_uri(**EXAMPLE))
	assert code.text == EXAMPLE_PAYLOAD
	assert code.ec_level == "M"


@pytest.mark.parametrize(
	("name", "text"),
	[
		("Müller & Söhne GmbH", "Grüße aus Köln"),  # all in Latin-1, still written as UTF-8
		("Søn Ōsaka €", "Rechnung 1"),
	],
)
def test_the_epc_qr_code_carries_utf8(name, text):
	fields = {**EXAMPLE, "name": name, "text": text}
	payload = qr.epc_payload(**fields)
	(code,) = decode(qr.epc_png_data_uri(**fields))
	assert code.bytes == payload.encode("utf-8")
	assert code.text == payload


def test_the_largest_payload_fits_qr_version_13_at_level_m():
	fields = {**EXAMPLE, "name": "N" * 70, "iban": "MT84MALT011000012345MTLCAST001S", "text": "t" * 140}
	fields["amount"] = "999999999.99"
	payload = qr.epc_payload(**fields)
	(code,) = decode(qr.epc_png_data_uri(**fields))
	assert code.text == payload
	assert code.ec_level == "M"
	assert int(code.extra["Version"]) <= 13


@pytest.mark.parametrize(
	("amount", "expected"),
	[
		(12, "EUR12.00"),
		("12", "EUR12.00"),
		("0.01", "EUR0.01"),
		(0.01, "EUR0.01"),
		(999999999.99, "EUR999999999.99"),
		(Decimal("999999999.99"), "EUR999999999.99"),
		(1234567.8, "EUR1234567.80"),
		("1.005", "EUR1.01"),  # half up to cents
		(Decimal("0.005"), "EUR0.01"),
		("1E+3", "EUR1000.00"),
	],
)
def test_amounts_have_two_decimals_and_no_separators(amount, expected):
	assert qr.epc_payload(**{**EXAMPLE, "amount": amount}).split("\n")[7] == expected


def test_no_bic_and_no_text_leave_their_lines_empty_or_out():
	payload = qr.epc_payload(name="A", iban="DE89370400440532013000", amount=1)
	assert payload == "BCD\n002\n1\nSCT\n\nA\nDE89370400440532013000\nEUR1.00"
	payload = qr.epc_payload(name="A", iban="de89370400440532013000", amount=1, bic="cobadeff", text=" ")
	assert payload == "BCD\n002\n1\nSCT\nCOBADEFF\nA\nDE89370400440532013000\nEUR1.00"


def test_a_creditor_reference_fills_the_structured_line_and_replaces_the_text():
	payload = qr.epc_payload(**{**EXAMPLE, "reference": "RF18 5390 0754 7034"})
	assert payload == (
		"BCD\n002\n1\nSCT\nCOBADEFFXXX\nDemo Seller GmbH\nDE89370400440532013000\nEUR2640.50\n\nRF18539007547034"
	)
	(code,) = decode(qr.epc_png_data_uri(**{**EXAMPLE, "reference": "RF18539007547034"}))
	assert code.text == payload


def test_names_and_texts_stay_on_their_lines():
	payload = qr.epc_payload(**{**EXAMPLE, "name": "Demo\nSeller\r\n GmbH ", "text": "a\nb\tc"})
	lines = payload.split("\n")
	assert len(lines) == 11
	assert lines[5] == "Demo Seller GmbH"
	assert lines[10] == "a b c"


def test_the_name_is_cut_to_70_characters():
	assert qr.epc_payload(**{**EXAMPLE, "name": "n" * 71}).split("\n")[5] == "n" * 70


def test_the_remittance_text_is_cut_to_140_characters():
	assert qr.epc_payload(**{**EXAMPLE, "text": "x" * 140}).split("\n")[10] == "x" * 140
	assert qr.epc_payload(**{**EXAMPLE, "text": "x" * 200}).split("\n")[10] == "x" * 140


@pytest.mark.parametrize(
	"change",
	[
		{"currency": "USD"},
		{"currency": "eur"},
		{"amount": 0},
		{"amount": "0.004"},  # rounds to 0.00
		{"amount": -5},
		{"amount": "1000000000"},
		{"amount": 999999999.995},
		{"amount": "abc"},
		{"amount": ""},
		{"amount": float("nan")},
		{"amount": float("inf")},
		{"amount": "-Infinity"},
		{"amount": True},
		{"iban": "DE89370400440532013001"},  # wrong check digits
		{"iban": "DE88370400440532013000"},  # wrong check digits
		{"iban": "DE89-3704-0044-0532-0130-00"},
		{"iban": "DE8937040044"},  # too short
		{"iban": ""},
		{"bic": "NOT A BIC"},
		{"bic": "COBADEFFX"},
		{"reference": "ACC-SINV-2026-00001"},  # not an ISO 11649 reference
		{"reference": "RF19539007547034"},  # wrong check digits
		{"name": ""},
		{"name": "  \n"},
		{"name": "€" * 70, "text": "€" * 140},  # fits the character limits, not the 331 bytes
	],
)
def test_what_the_format_cannot_carry_is_refused(change):
	with pytest.raises(ValueError):
		qr.epc_payload(**{**EXAMPLE, **change})
	with pytest.raises(ValueError):
		qr.epc_png_data_uri(**{**EXAMPLE, **change})


def test_the_byte_limit_is_331_bytes_of_utf8():
	fields = {**EXAMPLE, "name": "€" * 70}  # 70 characters, 210 bytes
	fits = 331 - len(qr.epc_payload(**{**fields, "text": None}).encode()) - 3  # purpose, reference, text
	assert len(qr.epc_payload(**{**fields, "text": "x" * fits}).encode()) == 331
	with pytest.raises(ValueError):
		qr.epc_payload(**{**fields, "text": "x" * (fits + 1)})


@pytest.mark.parametrize(
	("iban", "valid"),
	[
		("DE89370400440532013000", True),
		("GB82WEST12345698765432", True),
		("FR1420041010050500013M02606", True),
		("NL91ABNA0417164300", True),
		("AT611904300234573201", True),
		("BE68539007547034", True),
		("NO9386011117947", True),  # the shortest: 15 characters
		("MT84MALT011000012345MTLCAST001S", True),
		("gb82 west 1234 5698 7654 32", True),
		("GB82WEST12345698765433", False),  # wrong check
		("GB28WEST12345698765432", False),  # wrong check digits
		("GB82WEST1234569876543!", False),
		("GB82-WEST-1234-5698-7654-32", False),
		("8282WEST12345698765432", False),
		("GBXXWEST12345698765432", False),
		("DE8937040044053201300", False),  # a digit dropped
		("DE89370400440532013000" + "0" * 13, False),  # over 34 characters
		("", False),
	],
)
def test_iban_validation(iban, valid):
	assert qr.is_valid_iban(iban) is valid


@pytest.mark.parametrize(
	("reference", "valid"),
	[
		("RF18539007547034", True),
		("RF18 5390 0754 7034", True),
		("rf18000000000000000000000", False),  # 25 characters, wrong check
		("RF19539007547034", False),
		("XX18539007547034", False),
		("RF18", False),
	],
)
def test_creditor_reference_validation(reference, valid):
	assert qr.is_valid_creditor_reference(reference) is valid
