"""The public names of a capability's package, taken from its modules when first asked for.

A package's `__init__` names what it offers without importing its modules, so that a module that
needs no Frappe (tokens, amounts, the PDF store…) can be imported and tested on its own.
"""

import importlib


def lazy_exports(package: str, names: dict[str, str]):
	"""`__getattr__` and `__all__` for `package`, whose name X lives in module `names[X]`."""

	def __getattr__(name: str):
		module = names.get(name)
		if module is None:
			raise AttributeError(f"module {package!r} has no attribute {name!r}")
		return getattr(importlib.import_module(f"{package}.{module}"), name)

	return __getattr__, sorted(names)
