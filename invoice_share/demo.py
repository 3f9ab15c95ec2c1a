"""Demo data for `scripts/demo` and the browser test: run with `bench --site S execute …`."""

import frappe
from frappe.utils import add_days, getdate, nowdate

DEMO_CUSTOMER = "Acme Buyer Ltd"
DEMO_ITEMS = (("Website redesign", 1, 1800.0), ("Hosting, 12 months", 12, 25.0), ("Support hours", 6, 90.0))


def complete_setup(company: str = "Demo Seller Inc", abbr: str = "DSI", currency: str = "USD") -> str:
	"""Finish ERPNext's setup wizard on a fresh site; a no-op where a company exists."""
	if not frappe.db.a_row_exists("Company"):
		from frappe.desk.page.setup_wizard.setup_wizard import setup_complete

		year = getdate().year
		setup_complete(
			{
				"currency": currency,
				"full_name": "Demo Administrator",
				"company_name": company,
				"timezone": frappe.db.get_single_value("System Settings", "time_zone") or "America/New_York",
				"company_abbr": abbr,
				"industry": "Services",
				"country": "United States",
				"fy_start_date": f"{year}-01-01",
				"fy_end_date": f"{year}-12-31",
				"language": "english",
				"company_tagline": "",
				"email": "admin@example.com",
				"password": "admin",
				"chart_of_accounts": "Standard",
			}
		)
	return (
		frappe.db.get_single_value("Global Defaults", "default_company")
		or frappe.get_all("Company", pluck="name", limit=1)[0]
	)


def _first_leaf(doctype: str) -> str:
	return frappe.get_all(doctype, {"is_group": 0}, pluck="name", limit=1)[0]


def ensure_customer(name: str, email: str | None) -> str:
	if not frappe.db.exists("Customer", name):
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": name,
				"customer_group": _first_leaf("Customer Group"),
				"territory": _first_leaf("Territory"),
				"email_id": email,
			}
		).insert(ignore_permissions=True)
	return name


def ensure_item(code: str, item_name: str | None = None) -> str:
	"""A service item (not a stock item)."""
	if not frappe.db.exists("Item", code):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": code,
				"item_name": item_name or code,
				"item_group": _first_leaf("Item Group"),
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert(ignore_permissions=True)
	return code


def make_demo_invoice() -> str:
	"""A submitted Sales Invoice for a demo customer; returns its name."""
	company = complete_setup()
	customer = ensure_customer(DEMO_CUSTOMER, "accounts@acme-buyer.example")
	items = [{"item_code": ensure_item(name), "qty": qty, "rate": rate} for name, qty, rate in DEMO_ITEMS]
	invoice = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"company": company,
			"customer": customer,
			"posting_date": nowdate(),
			"due_date": add_days(nowdate(), 14),
			"items": items,
		}
	)
	invoice.insert(ignore_permissions=True)
	invoice.submit()
	return invoice.name


def share_demo_invoice(invoice: str | None = None) -> str:
	"""Share a (new) demo invoice and return the buyer's URL."""
	from invoice_share import sharing

	invoice = frappe.get_doc("Sales Invoice", invoice or make_demo_invoice())
	issued = sharing.issue_link(invoice, regenerate=True)
	return sharing.share_url(issued.token)


def use_stripe_standin(api_base: str, secret_key: str, webhook_secret: str) -> None:
	"""Point Invoice Share Settings at a Stripe stand-in (demo only, never production)."""
	company = complete_setup()
	account = frappe.db.get_value(
		"Account", {"company": company, "account_type": "Bank", "is_group": 0}, "name"
	) or frappe.db.get_value("Account", {"company": company, "account_type": "Cash", "is_group": 0}, "name")
	settings = frappe.get_single("Invoice Share Settings")
	settings.update(
		{
			"stripe_enabled": 1,
			"stripe_secret_key": secret_key,
			"stripe_webhook_secret": webhook_secret,
			"stripe_api_base": api_base,
			"stripe_mode_of_payment": "Credit Card"
			if frappe.db.exists("Mode of Payment", "Credit Card")
			else frappe.get_all("Mode of Payment", pluck="name", limit=1)[0],
			"stripe_account": account,
		}
	)
	settings.save(ignore_permissions=True)
