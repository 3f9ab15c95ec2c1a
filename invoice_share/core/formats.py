"""Text and times as the app writes them: HTML to text, values escaped for Frappe's Jinja (which
escapes nothing), ISO 8601 with the site's time zone, Stripe's epoch timestamps."""

import datetime
import html
from zoneinfo import ZoneInfo

from frappe.utils import get_datetime, get_system_timezone, strip_html


def html_to_text(value: str | None) -> str:
	"""Text for a page that escapes what it shows: tags dropped and entities decoded (`&amp;` is
	`&`), so that escaping it once shows what the HTML showed, and never `&amp;amp;`."""
	return html.unescape(strip_html(value or ""))


def escaped(values: dict) -> dict:
	"""`values` with every string HTML-escaped, for templates rendered by Frappe's Jinja, which
	escapes nothing (email templates): a customer named `<b>` shows as `<b>`, not bold."""
	from markupsafe import escape

	return {key: escape(value) if isinstance(value, str) else value for key, value in values.items()}


def iso(value) -> str | None:
	"""ISO 8601 with the site's time zone offset, for a naive datetime in system time."""
	if not value:
		return None
	dt = get_datetime(value)
	if dt.tzinfo is None:
		dt = dt.replace(tzinfo=ZoneInfo(get_system_timezone()))
	return dt.isoformat()


def iso_from_timestamp(timestamp: int) -> str:
	return datetime.datetime.fromtimestamp(timestamp, ZoneInfo(get_system_timezone())).isoformat()


def from_timestamp(timestamp: int) -> datetime.datetime:
	"""A naive datetime in system time (how Frappe stores Datetime fields) for an epoch timestamp."""
	return datetime.datetime.fromtimestamp(int(timestamp), ZoneInfo(get_system_timezone())).replace(
		tzinfo=None
	)
