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


def ensure_address(link_doctype: str, link_name: str, lines: tuple[str, str, str], **extra) -> str:
	"""An address (line 1, city, postal code) linked to a company or customer; the existing one if any."""
	existing = frappe.get_all(
		"Dynamic Link",
		{"parenttype": "Address", "link_doctype": link_doctype, "link_name": link_name},
		pluck="parent",
		limit=1,
	)
	if existing:
		return existing[0]
	line1, city, pincode = lines
	return (
		frappe.get_doc(
			{
				"doctype": "Address",
				"address_title": link_name,
				"address_type": "Billing",
				"address_line1": line1,
				"city": city,
				"pincode": pincode,
				"country": frappe.db.get_value("Company", link_name, "country")
				if link_doctype == "Company"
				else "United States",
				"links": [{"link_doctype": link_doctype, "link_name": link_name}],
				**extra,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def ensure_bank_gl_account(company: str, name: str) -> str:
	"""A non-group Bank account (in the chart of accounts) of the company."""

	def parent():
		return frappe.db.get_value(
			"Account", {"company": company, "account_type": "Bank", "is_group": 1}, "name"
		) or frappe.db.get_value(
			"Account",
			{"company": company, "root_type": "Asset", "is_group": 1, "parent_account": ["is", "set"]},
			"name",
		)

	return _ensure_leaf_account(company, name, parent, account_type="Bank")


def ensure_expense_gl_account(company: str, name: str) -> str:
	"""A non-group Expense account of the company."""

	def parent():
		return frappe.db.get_value(
			"Account",
			{"company": company, "root_type": "Expense", "is_group": 1},
			"name",
			order_by="lft desc",
		)

	return _ensure_leaf_account(company, name, parent, root_type="Expense")


def _ensure_leaf_account(company: str, name: str, parent, **kind) -> str:
	"""The company's non-group account `name`, made once under the group `parent()` names."""
	account = f"{name} - {frappe.get_cached_value('Company', company, 'abbr')}"
	if not frappe.db.exists("Account", account):
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": name,
				"company": company,
				"parent_account": parent(),
				"is_group": 0,
				**kind,
			}
		).insert(ignore_permissions=True)
	return account


def ensure_seller_details(company: str, *, bank_account: bool = True) -> None:
	"""What a seller prints on invoices: address, tax ID, email, phone and a bank account."""
	ensure_address("Company", company, ("1 Market Street", "Springfield", "12345"), is_your_company_address=1)
	details = {"tax_id": "US-12-3456789", "email": "billing@seller.example", "phone_no": "+1 555 0100"}
	current = frappe.db.get_value("Company", company, list(details), as_dict=True)
	missing = {field: value for field, value in details.items() if not current.get(field)}
	if missing:
		frappe.db.set_value("Company", company, missing)
		frappe.clear_document_cache("Company", company)
	if bank_account and not frappe.db.exists("Bank Account", {"company": company, "is_company_account": 1}):
		if not frappe.db.exists("Bank", "Demo Savings Bank"):
			frappe.get_doc(
				{"doctype": "Bank", "bank_name": "Demo Savings Bank", "swift_number": "DEMOUS33"}
			).insert(ignore_permissions=True)
		frappe.get_doc(
			{
				"doctype": "Bank Account",
				"account_name": frappe.db.get_value("Company", company, "company_name"),
				"bank": "Demo Savings Bank",
				"is_company_account": 1,
				"is_default": 1,
				"company": company,
				"account": ensure_bank_gl_account(company, "Main Bank"),
				"iban": "DE89370400440532013000",
			}
		).insert(ignore_permissions=True)


def make_demo_invoice() -> str:
	"""A submitted Sales Invoice for a demo customer; returns its name."""
	company = complete_setup()
	ensure_seller_details(company)
	customer = ensure_customer(DEMO_CUSTOMER, "accounts@acme-buyer.example")
	ensure_address("Customer", customer, ("500 Commerce Avenue", "Riverton", "54321"), is_primary_address=1)
	items = [{"item_code": ensure_item(name), "qty": qty, "rate": rate} for name, qty, rate in DEMO_ITEMS]
	invoice = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"company": company,
			"customer": customer,
			"posting_date": nowdate(),
			"due_date": add_days(nowdate(), 14),
			"po_no": "PO-7731",
			"terms": "<p>Payment within 14 days.</p><p>Thank you for your business.</p>",
			"items": items,
		}
	)
	invoice.insert(ignore_permissions=True)
	invoice.submit()
	return invoice.name


def share_demo_invoice(invoice: str | None = None) -> str:
	"""Share a (new) demo invoice and return the buyer's URL."""
	from invoice_share.links import sharing

	invoice = frappe.get_doc("Sales Invoice", invoice or make_demo_invoice())
	issued = sharing.issue_link(invoice, regenerate=True)
	return sharing.share_url(issued.token)


def use_stripe_standin(api_base: str, secret_key: str, webhook_secret: str) -> None:
	"""Point Invoice Share Settings at a Stripe stand-in (demo only, never production)."""
	company = complete_setup()
	account = ensure_bank_gl_account(company, "Stripe")
	fee_account = ensure_expense_gl_account(company, "Stripe Fees")
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
			"stripe_fee_account": fee_account,
			"stripe_payout_account": ensure_bank_gl_account(company, "Stripe Payouts"),
		}
	)
	settings.save(ignore_permissions=True)


def make_demo_return_path(invoice: str) -> str:
	"""The page a buyer sees back from Stripe Checkout after paying, with the receipt, for the
	browser test and screenshots (a demo row: nothing is booked, and no Stripe is needed)."""
	from frappe.utils import now_datetime

	values = frappe.db.get_value(
		"Sales Invoice", invoice, ["company", "customer", "currency", "outstanding_amount"], as_dict=True
	)
	session_id = f"cs_demo_{frappe.generate_hash(length=24)}"
	frappe.get_doc(
		{
			"doctype": "Invoice Payment Link",
			"sales_invoice": invoice,
			"company": values.company,
			"customer": values.customer,
			"status": "Paid",
			"amount": values.outstanding_amount,
			"received_amount": values.outstanding_amount,
			"currency": values.currency,
			"paid_on": now_datetime(),
			"payment_intent": f"pi_demo_{frappe.generate_hash(length=16)}",
			"checkout_session_id": session_id,
		}
	).insert(ignore_permissions=True)
	return f"/invoice-paid?session_id={session_id}"


def make_demo_refund_case(
	api_base: str, secret_key: str, webhook_secret: str, password: str = "admin"
) -> str:
	"""For the browser test: an invoice paid through the Stripe stand-in at `api_base`, a credit
	note against it, and an accounts user (refunds@seller.example, `password`) to refund it from
	the desk. Returns the credit note's name."""
	import urllib.error
	import urllib.request

	from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

	from invoice_share.payments import checkout, recording

	use_stripe_standin(api_base, secret_key, webhook_secret)
	invoice = frappe.get_doc("Sales Invoice", make_demo_invoice())
	link = checkout.checkout_for(invoice)

	class _Stay(urllib.request.HTTPRedirectHandler):
		def redirect_request(self, *args, **kwargs):
			return None  # the buyer's way back to the site is not needed here

	try:  # the buyer pays on the stand-in's checkout page
		urllib.request.build_opener(_Stay, urllib.request.ProxyHandler({})).open(
			urllib.request.Request(f"{api_base}/pay/{link.checkout_session_id}", data=b"", method="POST"),
			timeout=30,
		)
	except urllib.error.HTTPError as exc:
		if exc.code != 303:
			raise
	recording.reconcile(link.checkout_session_id)
	credit_note = make_sales_return(invoice.name)
	credit_note.insert(ignore_permissions=True)
	credit_note.submit()

	email = "refunds@seller.example"
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": "Refunds", "send_welcome_email": 0}
		).insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	user.set("roles", [])
	user.add_roles("Accounts User")
	from frappe.utils.password import update_password

	update_password(email, password)
	frappe.db.commit()
	return credit_note.name
