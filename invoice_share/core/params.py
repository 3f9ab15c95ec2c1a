"""Parsing of loosely typed request arguments and settings (query strings and forms send text).

No Frappe import here; the API layer turns a None answer into a translatable 4xx.
"""

import datetime
import ipaddress
import re
from urllib.parse import urlsplit

STRIPE_API_BASE = "https://api.stripe.com"  # Stripe's own, and what an empty setting means
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
# ISO 8601 as people and programs write it: a date, optionally T (or a space) and a time of day
# with or without seconds and their fraction, optionally Z or an offset (+05:30, +0530, +05).
_ISO_DATETIME = re.compile(
	r"(?P<date>\d{4}-\d{2}-\d{2})"
	r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
	r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<off_hours>\d{2})(?::?(?P<off_minutes>\d{2}))?)?)?"
)
_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?")


def parse_flag(value: object) -> bool | None:
	"""True/False for the usual spellings of a flag, None for anything else."""
	if value is None:
		return False
	if isinstance(value, bool):
		return value
	if isinstance(value, int):
		return {0: False, 1: True}.get(value)
	if isinstance(value, str):
		text = value.strip().lower()
		if text in _TRUE:
			return True
		if text in _FALSE:
			return False
	return None


def parse_whole_number(value: object) -> int | None:
	"""An int for a whole number given as int or decimal text ("86400"), None otherwise."""
	if isinstance(value, bool):
		return None
	if isinstance(value, int):
		return value
	if isinstance(value, float):
		return int(value) if value.is_integer() else None
	if isinstance(value, str):
		text = value.strip()
		if text.startswith(("+", "-")):
			sign, digits = text[0], text[1:]
		else:
			sign, digits = "", text
		if digits.isascii() and digits.isdigit() and len(digits) <= 12:
			return int(sign + digits)
	return None


def parse_datetime(value: object, tz: datetime.tzinfo) -> datetime.datetime | None:
	"""A naive date-time in `tz` (the site's time zone) from ISO 8601 text, or None.

	Accepts what the API itself answers with (`2026-11-22T23:31:46+00:00`), `Z` for UTC, other
	offsets, a space instead of `T`, no seconds or a fraction of them; a value with an offset is
	converted to `tz`, one without is taken as `tz`'s already. A date alone means the end of that
	day. The same on every Python (3.10's `fromisoformat` takes neither `Z` nor `+0530`).
	"""
	if isinstance(value, datetime.datetime):
		parsed = value
	elif isinstance(value, datetime.date):
		parsed = datetime.datetime.combine(value, datetime.time(23, 59, 59))
	elif isinstance(value, str):
		parsed = _parse_iso_text(value.strip())
		if parsed is None:
			return None
	else:
		return None
	if parsed.tzinfo is not None:
		parsed = parsed.astimezone(tz).replace(tzinfo=None)
	return parsed


def _parse_iso_text(text: str) -> datetime.datetime | None:
	match = _ISO_DATETIME.fullmatch(text)
	if not match:
		return None
	parts = match.groupdict()
	try:
		day = datetime.date.fromisoformat(parts["date"])
		if parts["hour"] is None:
			return datetime.datetime.combine(day, datetime.time(23, 59, 59))
		offset = None
		if parts["utc"]:
			offset = datetime.timezone.utc
		elif parts["sign"]:
			delta = datetime.timedelta(hours=int(parts["off_hours"]), minutes=int(parts["off_minutes"] or 0))
			offset = datetime.timezone(-delta if parts["sign"] == "-" else delta)
		time = datetime.time(
			int(parts["hour"]),
			int(parts["minute"]),
			int(parts["second"] or 0),
			int((parts["fraction"] or "0")[:6].ljust(6, "0")),
			tzinfo=offset,
		)
	except ValueError:  # 2026-02-30, 25:00, an offset of a day or more
		return None
	return datetime.datetime.combine(day, time)


def parse_api_base(value: object) -> str | None:
	"""The origin (`scheme://host[:port]`) a Stripe secret key may be sent to, or None.

	https to any host; plain http only to this machine (localhost, 127.0.0.0/8, ::1), where a
	test server may listen. Nothing else: no user name or password, path, query or fragment,
	which could carry the request, or the key, somewhere other than the host named.
	"""
	if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value.strip()):
		return None
	try:
		parts = urlsplit(value.strip())
		port = parts.port
	except ValueError:  # a port that is not a number, or out of range
		return None
	scheme, host = parts.scheme.lower(), (parts.hostname or "")
	if "@" in parts.netloc or parts.query or parts.fragment or parts.path not in ("", "/"):
		return None
	if not host or (port == 0) or parts.netloc.endswith(":"):
		return None
	address = _ip_address(host)
	if address is None and not _HOST_NAME.fullmatch(host):
		return None
	if scheme == "http":
		if not (host == "localhost" or (address is not None and address.is_loopback)):
			return None
	elif scheme != "https":
		return None
	shown_host = f"[{host}]" if address is not None and address.version == 6 else host
	default_port = 443 if scheme == "https" else 80
	return f"{scheme}://{shown_host}" + (f":{port}" if port not in (None, default_port) else "")


def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
	try:
		return ipaddress.ip_address(host)
	except ValueError:
		return None
