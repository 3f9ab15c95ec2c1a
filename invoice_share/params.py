"""Parsing of loosely typed request arguments (query strings and form posts send text).

No Frappe import here; the API layer turns a None answer into a translatable 4xx.
"""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


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
