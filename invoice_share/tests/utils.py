"""Fixtures for the bench suite: a company (via ERPNext's own test set-up), a customer, an item,
and submitted invoices to share. Nothing here is used outside tests."""

import frappe
from frappe.utils import add_days, nowdate


def before_tests():
	"""`bench run-tests --app invoice_share`: complete ERPNext's setup wizard on a fresh site."""
	from erpnext.setup.utils import before_tests as erpnext_before_tests

	erpnext_before_tests()


def test_company() -> str:
	return (
		frappe.db.get_single_value("Global Defaults", "default_company")
		or frappe.get_all("Company", pluck="name", limit=1)[0]
	)


def ensure_customer(name: str = "_Invoice Share Customer", email: str | None = "buyer@example.com") -> str:
	if not frappe.db.exists("Customer", name):
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": name,
				"customer_group": frappe.get_all("Customer Group", {"is_group": 0}, pluck="name", limit=1)[0],
				"territory": frappe.get_all("Territory", {"is_group": 0}, pluck="name", limit=1)[0],
				"email_id": email,
			}
		).insert(ignore_permissions=True)
	return name


def ensure_item(code: str = "_Invoice Share Item") -> str:
	if not frappe.db.exists("Item", code):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": code,
				"item_name": "Consulting hour",
				"item_group": frappe.get_all("Item Group", {"is_group": 0}, pluck="name", limit=1)[0],
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert(ignore_permissions=True)
	return code


def make_invoice(
	*,
	rate: float = 100.0,
	qty: float = 2,
	submit: bool = True,
	currency: str | None = None,
	customer: str | None = None,
	is_return: bool = False,
	return_against: str | None = None,
	due_days: int = 30,
):
	"""A Sales Invoice of the test company (submitted unless `submit=False`)."""
	company = test_company()
	customer = customer or ensure_customer()
	doc = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"company": company,
			"customer": customer,
			"posting_date": nowdate(),
			"set_posting_time": 1,
			"due_date": add_days(nowdate(), due_days) if not is_return else None,
			"currency": currency or frappe.get_cached_value("Company", company, "default_currency"),
			"conversion_rate": 1,
			"is_return": 1 if is_return else 0,
			"return_against": return_against,
			"items": [
				{
					"item_code": ensure_item(),
					"qty": -abs(qty) if is_return else qty,
					"rate": rate,
					"income_account": frappe.get_cached_value("Company", company, "default_income_account"),
					"cost_center": frappe.get_cached_value("Company", company, "cost_center"),
				}
			],
		}
	)
	doc.insert(ignore_permissions=True)
	if submit:
		doc.submit()
	return doc
