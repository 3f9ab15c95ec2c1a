"""Fixtures for the bench suite: a company (via ERPNext's own test set-up), a customer, an item,
and submitted invoices to share. Nothing here is used outside tests."""

import time

import frappe
from frappe.utils import add_days, nowdate

from invoice_share.devtools import demo


def before_tests():
	"""`bench run-tests --app invoice_share`: complete ERPNext's setup wizard on a fresh site."""
	from erpnext.setup.utils import before_tests as erpnext_before_tests

	erpnext_before_tests()
	# The role permissions as shipped, and Payment Entries accepted, whatever a run that was
	# stopped half-way (or a site's own customizing) left behind: the tests read them as standard.
	from frappe.permissions import reset_perms

	for doctype in ("Sales Invoice", "Invoice Share Link", "Invoice Payment Link", "Payment Entry"):
		if frappe.db.exists("Custom DocPerm", {"parent": doctype}):
			reset_perms(doctype)
	accept_payment_entries()
	frappe.db.commit()
	for doctype in ("Sales Invoice", "Invoice Share Link", "Invoice Payment Link", "Payment Entry"):
		frappe.clear_cache(doctype=doctype)  # reset_perms leaves the cached metadata as it was


def test_company() -> str:
	return (
		frappe.db.get_single_value("Global Defaults", "default_company")
		or frappe.get_all("Company", pluck="name", limit=1)[0]
	)


def ensure_customer(name: str = "_Invoice Share Customer", email: str | None = "buyer@example.com") -> str:
	return demo.ensure_customer(name, email)


def ensure_item(code: str = "_Invoice Share Item") -> str:
	return demo.ensure_item(code, "Consulting hour")


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
	debit_to: str | None = None,
	conversion_rate: float = 1,
	posting_days: int = 0,
	**fields,
):
	"""A Sales Invoice of the test company (submitted unless `submit=False`), posted `posting_days`
	from today and due `due_days` after posting; `fields` are set on it as they are."""
	company = test_company()
	customer = customer or ensure_customer()
	doc = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"company": company,
			"customer": customer,
			"posting_date": add_days(nowdate(), posting_days),
			"set_posting_time": 1,
			"due_date": add_days(nowdate(), posting_days + due_days) if not is_return else None,
			"currency": currency or frappe.get_cached_value("Company", company, "default_currency"),
			"conversion_rate": conversion_rate,
			"debit_to": debit_to,
			"is_return": 1 if is_return else 0,
			"return_against": return_against,
			# A credit note against an invoice lowers what that invoice owes (ERPNext's default
			# differs between versions).
			"update_outstanding_for_self": 0,
			"items": [
				{
					"item_code": ensure_item(),
					"qty": -abs(qty) if is_return else qty,
					"rate": rate,
					"income_account": frappe.get_cached_value("Company", company, "default_income_account"),
					"cost_center": frappe.get_cached_value("Company", company, "cost_center"),
				}
			],
			**fields,
		}
	)
	doc.insert(ignore_permissions=True)
	if submit:
		doc.submit()
	return doc


def make_user(email: str, roles: list[str]) -> str:
	"""A System User with exactly `roles`."""
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
		).insert(ignore_permissions=True)
	else:
		user = frappe.get_doc("User", email)
	user.set("roles", [])
	user.add_roles(*roles)
	return email


def tables_containing(text: str) -> list[str]:
	"""Every `table.column` of the site's database whose value contains `text`."""
	columns = frappe.db.sql(
		"""SELECT table_name AS tbl, column_name AS col FROM information_schema.columns
		WHERE table_schema = DATABASE()
		AND data_type IN ('char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'json')""",
		as_dict=True,
	)
	by_table: dict[str, list[str]] = {}
	for column in columns:
		by_table.setdefault(column.tbl, []).append(column.col)
	found = []
	for table, names in by_table.items():
		condition = " OR ".join(f"`{name}` LIKE %(pattern)s" for name in names)
		rows = frappe.db.sql(
			f"SELECT {', '.join(f'`{n}` LIKE %(pattern)s AS `{n}`' for n in names)} FROM `{table}` WHERE {condition}",
			{"pattern": f"%{text}%"},
			as_dict=True,
		)
		for row in rows:
			found.extend(f"{table}.{name}" for name, hit in row.items() if hit)
	return sorted(set(found))


def ensure_bank_account(company: str, name: str = "Stripe Clearing") -> str:
	"""A non-group Bank account of the company, for Stripe money in tests."""
	return demo.ensure_bank_gl_account(company, name)


def ensure_expense_account(company: str, name: str) -> str:
	"""A non-group Expense account of the company."""
	return demo.ensure_expense_gl_account(company, name)


def configure_stripe(standin, **overrides) -> None:
	"""Point Invoice Share Settings at a running StripeStandIn."""
	company = test_company()
	settings = frappe.get_single("Invoice Share Settings")
	settings.update(
		{
			"stripe_enabled": 1,
			"stripe_secret_key": standin.secret_key,
			"stripe_webhook_secret": standin.webhook_secret,
			"stripe_api_base": standin.url,
			"stripe_mode_of_payment": "Credit Card"
			if frappe.db.exists("Mode of Payment", "Credit Card")
			else frappe.get_all("Mode of Payment", pluck="name", limit=1)[0],
			"stripe_account": ensure_bank_account(company),
			"stripe_fee_account": ensure_expense_account(company, "Stripe Fees"),
			"stripe_payout_account": ensure_bank_account(company, "Stripe Payouts"),
			**overrides,
		}
	)
	settings.save(ignore_permissions=True)


def set_settings(**values) -> None:
	settings = frappe.get_single("Invoice Share Settings")
	settings.update(values)
	settings.save(ignore_permissions=True)


def ensure_outgoing_email_account() -> str:
	"""Frappe queues mail only with a default outgoing account; this one never connects in tests."""
	name = "_Invoice Share Outgoing"
	if not frappe.db.exists("Email Account", name):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": name,
				"email_id": "invoices@example.com",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "127.0.0.1",
				"smtp_port": 2525,
				"no_smtp_authentication": 1,
				"awaiting_password": 0,
			}
		).insert(ignore_permissions=True)
	return name


def ensure_receivable_account(currency: str) -> str:
	"""A receivable account in `currency`, for invoices in a foreign currency."""
	company = test_company()
	abbr = frappe.get_cached_value("Company", company, "abbr")
	account = f"Debtors {currency} - {abbr}"
	if not frappe.db.exists("Account", account):
		if not frappe.db.get_value("Currency", currency, "enabled"):
			frappe.db.set_value("Currency", currency, "enabled", 1)
		parent = frappe.db.get_value(
			"Account", {"company": company, "account_type": "Receivable", "is_group": 0}, "parent_account"
		)
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": f"Debtors {currency}",
				"company": company,
				"parent_account": parent,
				"account_type": "Receivable",
				"account_currency": currency,
				"is_group": 0,
			}
		).insert(ignore_permissions=True)
	return account


def pay_by_hand(sales_invoice: str, amount: float | None = None) -> str:
	"""A submitted Payment Entry against the invoice, as an accountant would make for a wire."""
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

	entry = get_payment_entry("Sales Invoice", sales_invoice, party_amount=amount)
	entry.reference_no, entry.reference_date = f"WIRE-{frappe.generate_hash(length=6)}", nowdate()
	entry.insert(ignore_permissions=True).submit()
	return entry.name


def close_standin_links(standin) -> None:
	"""Mark the Open payment links made against a stand-in that is going away as Expired, so later
	sweeps (`settle_open_links`) do not keep asking a server that no longer runs."""
	session_ids = list(standin.sessions)
	if session_ids:
		link = frappe.qb.DocType("Invoice Payment Link")
		(
			frappe.qb.update(link)
			.set(link.status, "Expired")
			.where((link.status == "Open") & link.checkout_session_id.isin(session_ids))
			.run()
		)
		frappe.db.commit()


def start_standin(test_class, *, webhook_url: str | None = None, commit: bool = False):
	"""A Stripe stand-in for `test_class`: stopped when the class is done, its Open links closed.

	With `commit` (for HTTP tests, whose server reads only committed settings) Stripe is pointed
	at it now, committed, and switched off again when the class is done.
	"""
	from invoice_share.tests.stripe_standin import StripeStandIn

	standin = StripeStandIn(webhook_url=webhook_url).start()
	test_class.addClassCleanup(standin.stop)
	test_class.addClassCleanup(close_standin_links, standin)
	if commit:
		configure_stripe(standin)
		frappe.db.commit()
		test_class.addClassCleanup(_stripe_off)
	return standin


def _stripe_off() -> None:
	set_settings(stripe_enabled=0)
	frappe.db.commit()


REFUSING_FIELD = "invoice_share_test_refusal"


def refuse_payment_entries() -> None:
	"""Make ERPNext refuse every new Payment Entry, as a site's mandatory custom field does (one of
	the causes seen: also a closed accounting period, a Mode of Payment without an account).
	Adding the column commits, as any DDL does."""
	if not frappe.db.exists("Custom Field", {"dt": "Payment Entry", "fieldname": REFUSING_FIELD}):
		frappe.get_doc(
			{
				"doctype": "Custom Field",
				"dt": "Payment Entry",
				"fieldname": REFUSING_FIELD,
				"label": "Invoice Share Test Refusal",
				"fieldtype": "Data",
				"reqd": 1,
				"insert_after": "reference_no",
			}
		).insert(ignore_permissions=True)
	frappe.clear_cache(doctype="Payment Entry")


def accept_payment_entries() -> None:
	"""The cause fixed: the mandatory custom field is gone."""
	name = frappe.db.get_value("Custom Field", {"dt": "Payment Entry", "fieldname": REFUSING_FIELD})
	if name:
		frappe.delete_doc("Custom Field", name, ignore_permissions=True)
	frappe.clear_cache(doctype="Payment Entry")


def days_later(days: int):
	"""The clock `days` days ahead (time passing is what a test cannot wait for)."""
	import datetime
	from unittest import mock

	real = frappe.utils.data.now_datetime
	return mock.patch("frappe.utils.data.now_datetime", lambda: real() + datetime.timedelta(days=days))


def forget_cached_permissions(doctype: str) -> None:
	"""Clear the doctype's cached metadata (and so its role permissions) after a commit, twice: the
	live server's worker may have read the metadata before the commit and write it to Redis just
	after our first clear (it renders PDFs after each commit that shares a link)."""
	frappe.clear_cache(doctype=doctype)
	time.sleep(0.3)
	frappe.clear_cache(doctype=doctype)
	frappe.local.role_permissions = {}


def restore_permissions_after(test, *doctypes: str) -> None:
	"""Put the doctypes' role permissions back as they were once `test` is done: a test that adds
	Custom DocPerms must not change what later tests (in this run or the next) may read."""
	from frappe.permissions import reset_perms

	fresh = [doctype for doctype in doctypes if not frappe.db.exists("Custom DocPerm", {"parent": doctype})]

	def restore():
		frappe.set_user("Administrator")
		for doctype in fresh:
			reset_perms(doctype)
		frappe.db.commit()  # an earlier DDL in the run may have committed what the test added
		for doctype in fresh:
			forget_cached_permissions(doctype)  # reset_perms leaves the cached metadata as it was

	test.addCleanup(restore)


def grant(test, doctype: str, role: str, **ptypes: int) -> None:
	"""Give `role` these permissions on `doctype` (level 0, read unless told otherwise) until `test`
	is done, when the role's rule is put back as it was. Committed, and the doctype's cached
	metadata cleared after the commit: the live server and its worker read the permissions too,
	and one of them may cache the doctype's metadata from the database between an uncommitted
	change and the test's own reading of it."""
	from frappe.permissions import add_permission, update_permission_property

	restore_permissions_after(test, doctype)
	ptypes = {"read": 1, **ptypes}
	rule = {"parent": doctype, "role": role, "permlevel": 0, "if_owner": 0}
	before = frappe.db.get_value("Custom DocPerm", rule, ["name", *ptypes], as_dict=True)
	add_permission(doctype, role, 0)  # nothing if the role has its rule at level 0 already
	for ptype, value in ptypes.items():
		update_permission_property(doctype, role, 0, ptype, value)
	frappe.db.commit()
	forget_cached_permissions(doctype)

	def put_back():
		frappe.set_user("Administrator")
		if before:
			for ptype in ptypes:
				update_permission_property(doctype, role, 0, ptype, before[ptype])
		elif frappe.db.exists("Custom DocPerm", rule):
			frappe.db.delete("Custom DocPerm", rule)
		frappe.db.commit()
		forget_cached_permissions(doctype)

	test.addCleanup(put_back)  # before restore_permissions_after's own (cleanups run last first)
