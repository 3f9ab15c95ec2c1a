"""Plain words for the buyer: dates written out in the buyer's locale, and how far off the due date is.

No Frappe import here; the caller passes Frappe's `_` and the buyer's languages.
"""

import datetime
from collections.abc import Callable, Iterable

from babel import Locale, UnknownLocaleError
from babel.dates import format_date


def buyer_locale(accepted: Iterable[str], language: str | None) -> Locale:
	"""The locale to write dates and numbers in.

	`language` is the page's language (Frappe's choice, from the invoice, the buyer's cookie or
	`Accept-Language`); `accepted` the buyer's `Accept-Language` tags, best first. A tag of the
	same language wins, so that a British buyer gets "22 November 2026" on an English page.
	"""
	base = _parse(language) if language else None
	for tag in accepted:
		locale = _parse(tag)
		if locale and (base is None or locale.language == base.language):
			return locale
	return base or Locale("en")


def _parse(tag: str) -> Locale | None:
	try:
		return Locale.parse(tag.strip().replace("_", "-"), sep="-")
	except (ValueError, TypeError, UnknownLocaleError):
		return None


def long_date(value: datetime.date | None, locale: Locale) -> str:
	"""`22 November 2026` (en-GB), `November 22, 2026` (en), `22. November 2026` (de)."""
	if not value:
		return ""
	return format_date(value, format="long", locale=locale)


def due_phrase(due: datetime.date | None, today: datetime.date, _: Callable[[str], str]) -> str:
	"""How far the due date is, for an invoice with something left to pay."""
	if not due:
		return ""
	days = (due - today).days
	if days == 0:
		return _("Due today")
	if days == 1:
		return _("Due tomorrow")
	if days > 1:
		return _("Due in {0} days").format(days)
	if days == -1:
		return _("Overdue by 1 day")
	return _("Overdue by {0} days").format(-days)
