import base64
import io

import pytest

from invoice_share import qr

zxingcpp = pytest.importorskip("zxingcpp")
Image = pytest.importorskip("PIL.Image")

EXAMPLE = dict(
	name="Demo Seller GmbH",
	iban="DE89 3704 0044 0532 0130 00",
	bic="COBADEFFXXX",
	amount=2640.5,
	text="ACC-SINV-2026-00001",
)


def decode(data_uri: str) -> list[str]:
	assert data_uri.startswith("data:image/png;base64,")
	png = base64.b64decode(data_uri.split(",", 1)[1])
	assert png.startswith(b"\x89PNG\r\n\x1a\n")
	return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_a_link_round_trips_through_its_qr_code():
	url = "https://erp.example.com/invoice-view/xK3mN8qR0123456789abcdefghijklmnopqrstuvwxy"
	assert decode(qr.qr_png_data_uri(url)) == [url]


def test_the_epc_payload_follows_epc069_12():
	assert qr.epc_payload(**EXAMPLE) == (
		"BCD\n002\n1\nSCT\nCOBADEFFXXX\nDemo Seller GmbH\nDE89370400440532013000\nEUR2640.50\n\n\nACC-SINV-2026-00001"
	)
	assert decode(qr.epc_png_data_uri(**EXAMPLE)) == [qr.epc_payload(**EXAMPLE)]


@pytest.mark.parametrize(
	("amount", "expected"),
	[(12, "EUR12.00"), ("0.01", "EUR0.01"), (999999999.99, "EUR999999999.99"), (1.005, "EUR1.01")],
)
def test_amounts_have_two_decimals_and_no_separators(amount, expected):
	assert qr.epc_payload(**{**EXAMPLE, "amount": amount}).split("\n")[7] == expected


def test_no_bic_and_no_text_leave_their_lines_empty_or_out():
	payload = qr.epc_payload(name="A", iban="DE89370400440532013000", amount=1)
	assert payload == "BCD\n002\n1\nSCT\n\nA\nDE89370400440532013000\nEUR1.00"


@pytest.mark.parametrize(
	"change",
	[
		{"currency": "USD"},
		{"amount": 0},
		{"amount": -5},
		{"amount": "1000000000"},
		{"amount": "abc"},
		{"iban": "DE89370400440532013001"},  # wrong check digits
		{"iban": "DE89-3704"},
		{"bic": "NOT A BIC"},
		{"name": "  "},
	],
)
def test_what_the_format_cannot_carry_is_refused(change):
	with pytest.raises(ValueError):
		qr.epc_payload(**{**EXAMPLE, **change})


def test_the_remittance_text_is_cut_to_140_characters():
	payload = qr.epc_payload(**{**EXAMPLE, "text": "x" * 200})
	assert payload.split("\n")[10] == "x" * 140


@pytest.mark.parametrize(
	("iban", "valid"),
	[
		("DE89370400440532013000", True),
		("GB82WEST12345698765432", True),
		("FR1420041010050500013M02606", True),
		("gb82 west 1234 5698 7654 32", True),
		("GB82WEST12345698765433", False),
		("GB82WEST1234569876543!", False),
		("", False),
	],
)
def test_iban_validation(iban, valid):
	assert qr.is_valid_iban(iban) is valid
