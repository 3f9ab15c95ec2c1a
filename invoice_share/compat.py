"""The few places where Frappe/ERPNext 15 and 16 differ for this app, in one module."""

try:  # Frappe 16: frappe.tests.utils.FrappeTestCase and change_settings are deprecated shims there
	from frappe.tests import IntegrationTestCase as TestCase
	from frappe.tests.classes.context_managers import change_settings
except ImportError:  # Frappe 15
	from frappe.tests.utils import FrappeTestCase as TestCase
	from frappe.tests.utils import change_settings

__all__ = ["TestCase", "change_settings"]
