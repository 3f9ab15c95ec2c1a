from invoice_share.links import tokens

SECRET = "site-secret-" + "s" * 40


def test_a_derived_token_is_well_formed_and_the_same_every_time():
	seed = tokens.new_seed()
	token = tokens.derive_token(SECRET, seed)
	assert tokens.is_well_formed(token)
	assert tokens.derive_token(SECRET, seed) == token


def test_the_token_needs_both_the_seed_and_the_secret():
	seed = tokens.new_seed()
	token = tokens.derive_token(SECRET, seed)
	assert token not in seed and seed not in token
	assert tokens.derive_token("another-" + "s" * 40, seed) != token
	assert tokens.derive_token(SECRET, tokens.new_seed()) != token


def test_no_secret_or_seed_is_refused():
	import pytest

	for secret, seed in (("", "seed"), (SECRET, ""), (None, "seed")):
		with pytest.raises(ValueError):
			tokens.derive_token(secret, seed)
