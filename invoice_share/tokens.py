"""Share-link tokens: made with `secrets`, stored only as a SHA-256 hash.

No Frappe import here: this module is tested on its own.
"""

import hashlib
import re
import secrets

TOKEN_BYTES = 32  # 256 bits of randomness
# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet, without padding.
TOKEN_LENGTH = 43
_TOKEN_RE = re.compile(rf"\A[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}\Z")


def new_token() -> str:
	"""A fresh URL-safe token carrying 256 bits from the OS's CSPRNG."""
	return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
	"""The SHA-256 hex digest that is stored in place of the token."""
	return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_well_formed(value: object) -> bool:
	"""Whether `value` could be a token at all; anything else is rejected before the database."""
	return isinstance(value, str) and bool(_TOKEN_RE.match(value))
