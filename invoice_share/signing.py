"""Signed download links: a PyJWT (HS256) token bound to a site, an invoice and a purpose.

No Frappe import here: this module is tested on its own. The Frappe layer (`downloads.py`)
supplies the secret from Invoice Share Settings and the site's name.
"""

import secrets
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"
PURPOSE = "invoice-pdf"
# exp is checked to the second; one second of leeway absorbs clock rounding and nothing more.
LEEWAY_SECONDS = 1
SECRET_BYTES = 48
MIN_LIFETIME_SECONDS = 5


class InvalidDownloadToken(Exception):
	"""The token is tampered with, expired, signed with another secret, or meant for something else.

	Deliberately one exception for every reason: callers answer all of them alike.
	"""


@dataclass(frozen=True)
class DownloadClaims:
	sales_invoice: str
	expires_at: int
	issued_at: int


def new_secret() -> str:
	return secrets.token_urlsafe(SECRET_BYTES)


def sign(*, secret: str, site: str, sales_invoice: str, issued_at: int, expires_at: int) -> str:
	if not secret:
		raise ValueError("a signing secret is required")
	payload = {
		"iss": site,
		"aud": f"{site}/{PURPOSE}",
		"sub": sales_invoice,
		"purpose": PURPOSE,
		"iat": int(issued_at),
		"exp": int(expires_at),
		"jti": secrets.token_urlsafe(9),
	}
	return jwt.encode(payload, secret, algorithm=ALGORITHM)


def verify(token: object, *, secret: str, site: str, now: int | None = None) -> DownloadClaims:
	"""Return the claims of a valid token, or raise InvalidDownloadToken whatever is wrong with it."""
	if not isinstance(token, str) or not token or len(token) > 2048 or not secret:
		raise InvalidDownloadToken
	options = {"require": ["exp", "iat", "sub", "iss", "aud"]}
	try:
		claims = jwt.decode(
			token,
			secret,
			algorithms=[ALGORITHM],
			audience=f"{site}/{PURPOSE}",
			issuer=site,
			leeway=LEEWAY_SECONDS,
			options=options,
		)
	except jwt.PyJWTError:
		raise InvalidDownloadToken from None
	if now is not None and claims["exp"] + LEEWAY_SECONDS < now:
		raise InvalidDownloadToken
	if claims.get("purpose") != PURPOSE or not isinstance(claims.get("sub"), str):
		raise InvalidDownloadToken
	return DownloadClaims(
		sales_invoice=claims["sub"], expires_at=int(claims["exp"]), issued_at=int(claims["iat"])
	)
