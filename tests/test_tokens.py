import hashlib

from invoice_share.links import tokens


def test_token_has_256_bits_and_is_url_safe():
	token = tokens.new_token()
	assert len(token) == tokens.TOKEN_LENGTH == 43
	assert tokens.is_well_formed(token)
	# 43 base64 characters carry 258 bits; the decoder gives back the 32 random bytes.
	import base64

	assert len(base64.urlsafe_b64decode(token + "=")) == 32


def test_tokens_do_not_repeat():
	assert len({tokens.new_token() for _ in range(2000)}) == 2000


def test_only_the_sha256_is_kept():
	token = tokens.new_token()
	digest = tokens.hash_token(token)
	assert digest == hashlib.sha256(token.encode()).hexdigest()
	assert token not in digest and len(digest) == 64


def test_malformed_tokens_are_rejected_before_any_lookup():
	good = tokens.new_token()
	for bad in (
		None,
		42,
		"",
		good[:-1],
		good + "A",
		good[:-1] + "/",
		good[:-1] + "=",
		[good],
		" " + good[1:],
	):
		assert not tokens.is_well_formed(bad), bad
