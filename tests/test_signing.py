import base64
import json
import time

import jwt
import pytest

from invoice_share.links import signing

SITE = "erp.example.com"
SECRET = "s3cret-" + "x" * 40


def make(secret=SECRET, site=SITE, invoice="ACC-SINV-2026-00001", lifetime=60, now=None):
	now = int(time.time()) if now is None else now
	return signing.sign(secret=secret, site=site, sales_invoice=invoice, expires_at=now + lifetime)


def test_round_trip_binds_invoice_and_expiry():
	now = int(time.time())
	claims = signing.verify(make(now=now, lifetime=86400), secret=SECRET, site=SITE, now=now)
	assert claims.sales_invoice == "ACC-SINV-2026-00001"
	assert claims.expires_at == now + 86400


def test_expired_tokens_fail_with_at_most_a_second_of_leeway():
	now = int(time.time())
	token = make(now=now - 100, lifetime=5)  # expired 95 s ago
	with pytest.raises(signing.InvalidDownloadToken):
		signing.verify(token, secret=SECRET, site=SITE, now=now)
	edge = make(now=now - 7, lifetime=5)  # expired 2 s ago: beyond the 1 s leeway
	with pytest.raises(signing.InvalidDownloadToken):
		signing.verify(edge, secret=SECRET, site=SITE, now=now)


def test_rotated_secret_kills_the_token():
	with pytest.raises(signing.InvalidDownloadToken):
		signing.verify(make(secret="old-" + "o" * 40), secret="new-" + "n" * 40, site=SITE)


def test_token_from_another_site_fails():
	with pytest.raises(signing.InvalidDownloadToken):
		signing.verify(make(site="other.example.com"), secret=SECRET, site=SITE)


def test_tampered_payload_fails():
	header, _payload, signature = make().split(".")
	forged_claims = jwt.decode(make(invoice="ACC-SINV-2026-99999"), options={"verify_signature": False})
	forged_payload = jwt.encode(forged_claims, "attacker-" + "a" * 40, algorithm="HS256").split(".")[1]
	with pytest.raises(signing.InvalidDownloadToken):
		signing.verify(f"{header}.{forged_payload}.{signature}", secret=SECRET, site=SITE)


def test_alg_none_and_other_uses_of_the_secret_are_refused():
	now = int(time.time())
	unsigned = jwt.encode({"sub": "X", "exp": now + 60}, key=None, algorithm="none")
	with pytest.raises(signing.InvalidDownloadToken):
		signing.verify(unsigned, secret=SECRET, site=SITE)
	# The secret itself (not the key derived for this site and purpose) signs nothing we accept...
	with pytest.raises(signing.InvalidDownloadToken):
		signing.verify(
			jwt.encode({"sub": "X", "exp": now + 60}, SECRET, algorithm="HS256"), secret=SECRET, site=SITE
		)
	# ...but a token of the first, longer format, until it expires.
	claims = {"iss": SITE, "aud": f"{SITE}/{signing.PURPOSE}", "sub": "X", "iat": now, "exp": now + 60}
	first = jwt.encode({**claims, "purpose": signing.PURPOSE}, SECRET, algorithm="HS256")
	assert signing.verify(first, secret=SECRET, site=SITE, now=now).sales_invoice == "X"
	other_purpose = jwt.encode({**claims, "purpose": "login"}, SECRET, algorithm="HS256")
	with pytest.raises(signing.InvalidDownloadToken):
		signing.verify(other_purpose, secret=SECRET, site=SITE)


def test_the_token_is_short():
	# What a seller pastes into a message: under 150 characters for a usual invoice number.
	assert len(make(lifetime=30 * 86400)) < 150


@pytest.mark.parametrize("junk", [None, "", "abc", "a.b.c", 123, "x" * 5000])
def test_junk_is_refused(junk):
	with pytest.raises(signing.InvalidDownloadToken):
		signing.verify(junk, secret=SECRET, site=SITE)


def test_new_secrets_are_long_and_distinct():
	a, b = signing.new_secret(), signing.new_secret()
	assert a != b and len(a) >= 64


def test_the_share_link_claim_is_signed_and_absent_by_default():
	now = 1_800_000_000
	plain = signing.verify(make(now=now), secret=SECRET, site=SITE, now=now)
	assert plain.with_share_link is False
	token = signing.sign(
		secret=SECRET, site=SITE, sales_invoice="X", expires_at=now + 60, with_share_link=True
	)
	assert signing.verify(token, secret=SECRET, site=SITE, now=now).with_share_link is True
	# The claim cannot be added to a token that lacks it: the signature covers it.
	header, payload, signature = make(now=now).split(".")
	forged = (
		base64.urlsafe_b64encode(
			json.dumps({**json.loads(base64.urlsafe_b64decode(payload + "==")), "shr": 1}).encode()
		)
		.decode()
		.rstrip("=")
	)
	with pytest.raises(signing.InvalidDownloadToken):
		signing.verify(f"{header}.{forged}.{signature}", secret=SECRET, site=SITE, now=now)
