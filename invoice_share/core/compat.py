"""The few places where Frappe/ERPNext 15 and 16 differ for this app, in one module.

Tests take `TestCase` and `change_settings` from here (looked up when first asked for, so the
running app never imports Frappe's test classes); the app takes the PDF generator and the Sales
Invoice's default print format, which ERPNext 16 sets at install.
"""

import frappe

# (and TestCase, change_settings: see __getattr__)
__all__ = ["pdf_generator", "site_default_print_format"]


def __getattr__(name: str):
	if name == "TestCase":
		try:  # Frappe 16: frappe.tests.utils.FrappeTestCase is a deprecated shim there
			from frappe.tests import IntegrationTestCase as TestCase
		except ImportError:  # Frappe 15
			from frappe.tests.utils import FrappeTestCase as TestCase
		return TestCase
	if name == "change_settings":
		try:
			from frappe.tests.classes.context_managers import change_settings
		except ImportError:
			from frappe.tests.utils import change_settings
		return change_settings
	raise AttributeError(name)


def site_default_print_format() -> str | None:
	"""The Sales Invoice's default print format when the site chose it (Customize Form), not the
	one ERPNext 16 sets when it is installed (a system-generated Property Setter)."""
	return frappe.db.get_value(
		"Property Setter",
		{
			"doc_type": "Sales Invoice",
			"doctype_or_field": "DocType",
			"property": "default_print_format",
			"is_system_generated": 0,
		},
		"value",
	)


def pdf_generator(print_format: str) -> str | None:
	"""The site's choice of PDF generator in Frappe 16: the print format's, else Print Settings'.

	None in Frappe 15, which has only wkhtmltopdf (and no such field).
	"""
	if not frappe.get_meta("Print Settings").has_field("pdf_generator"):
		return None
	chosen = None
	if frappe.db.exists("Print Format", print_format, cache=True):
		chosen = frappe.get_cached_value("Print Format", print_format, "pdf_generator")
	return chosen or frappe.get_cached_doc("Print Settings").get("pdf_generator") or "wkhtmltopdf"
