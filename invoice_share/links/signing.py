"""Signed download links: a PyJWT (HS256) token bound to a site, an invoice and a purpose.

The token carries only the invoice (`sub`), the expiry (`exp`) and, when the PDF may show the
invoice's share link, `shr`, so that the link stays short
enough to paste; the site and the purpose are bound through the key, which is derived from the
site's secret, the site's name and the purpose (a token made for another site or another use of
the same secret does not verify). Tokens of the first, longer format (site and purpose as
claims, signed with the secret itself) are still accepted until they expire.

No Frappe import here: this module is tested on its own. The Frappe layer (`downloads.py`)
supplies the secret from Invoice Share Settings and the site's name.
"""

import hashlib
import hmac
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
	# Whether the PDF may show the invoice's share link: only when the one who asked for the
	# download link may share the invoice (`shr`); tokens without the claim show none.
	with_share_link: bool = False


def new_secret() -> str:
	return secrets.token_urlsafe(SECRET_BYTES)


def _key(secret: str, site: str) -> str:
	return hmac.new(secret.encode(), f"{site}\x1f{PURPOSE}".encode(), hashlib.sha256).hexdigest()


def sign(
	*, secret: str, site: str, sales_invoice: str, expires_at: int, with_share_link: bool = False
) -> str:
	if not secret:
		raise ValueError("a signing secret is required")
	claims = {"sub": sales_invoice, "exp": int(expires_at)}
	if with_share_link:
		claims["shr"] = 1
	return jwt.encode(claims, _key(secret, site), algorithm=ALGORITHM)


def verify(token: object, *, secret: str, site: str, now: int | None = None) -> DownloadClaims:
	"""Return the claims of a valid token, or raise InvalidDownloadToken whatever is wrong with it."""
	if not isinstance(token, str) or not token or len(token) > 2048 or not secret:
		raise InvalidDownloadToken
	try:
		claims = jwt.decode(
			token,
			_key(secret, site),
			algorithms=[ALGORITHM],
			leeway=LEEWAY_SECONDS,
			options={"require": ["exp", "sub"]},
		)
	except jwt.PyJWTError:
		claims = _verify_first_format(token, secret=secret, site=site)
	if now is not None and claims["exp"] + LEEWAY_SECONDS < now:
		raise InvalidDownloadToken
	if not isinstance(claims.get("sub"), str):
		raise InvalidDownloadToken
	return DownloadClaims(
		sales_invoice=claims["sub"], expires_at=int(claims["exp"]), with_share_link=claims.get("shr") == 1
	)


def _verify_first_format(token: str, *, secret: str, site: str) -> dict:
	"""A token of the first format: site and purpose as claims, signed with the secret itself."""
	try:
		claims = jwt.decode(
			token,
			secret,
			algorithms=[ALGORITHM],
			audience=f"{site}/{PURPOSE}",
			issuer=site,
			leeway=LEEWAY_SECONDS,
			options={"require": ["exp", "iat", "sub", "iss", "aud"]},
		)
	except jwt.PyJWTError:
		raise InvalidDownloadToken from None
	if claims.get("purpose") != PURPOSE:
		raise InvalidDownloadToken
	return claims
