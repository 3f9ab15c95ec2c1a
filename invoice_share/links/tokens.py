"""Share-link tokens, stored only as a SHA-256 hash.

A token is derived from a random per-link seed and the site's share-link secret (HMAC-SHA256), so
the server can show a link again, while the database alone (which holds the seed and the hash,
but the secret only encrypted with the site's key) yields no working token.

No Frappe import here: this module is tested on its own.
"""

import base64
import hashlib
import hmac
import re
import secrets

TOKEN_BYTES = 32  # 256 bits of randomness
# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet, without padding.
TOKEN_LENGTH = 43
_TOKEN_RE = re.compile(rf"\A[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}\Z")


def new_token() -> str:
	"""A fresh URL-safe token carrying 256 bits from the OS's CSPRNG."""
	return secrets.token_urlsafe(TOKEN_BYTES)


def new_seed() -> str:
	"""The random part of a link, kept on its row."""
	return secrets.token_urlsafe(TOKEN_BYTES)


def new_secret() -> str:
	"""A site's share-link secret."""
	return secrets.token_urlsafe(48)


def derive_token(secret: str, seed: str) -> str:
	"""The link's token: HMAC-SHA256 of the seed under the site's secret, URL-safe, 43 characters."""
	if not secret or not seed:
		raise ValueError("a secret and a seed are required")
	digest = hmac.new(secret.encode(), f"invoice-share-link\x1f{seed}".encode(), hashlib.sha256).digest()
	return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
	"""The SHA-256 hex digest that is stored in place of the token."""
	return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_well_formed(value: object) -> bool:
	"""Whether `value` could be a token at all; anything else is rejected before the database."""
	return isinstance(value, str) and bool(_TOKEN_RE.match(value))
