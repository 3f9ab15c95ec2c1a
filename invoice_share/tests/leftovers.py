"""After `bench uninstall-app invoice_share`: what of ours is still in the site's database?

Run by scripts/test with `bench --site S execute invoice_share.tests.leftovers.report`;
prints "none" when the uninstall was clean.
"""

import frappe

OUR_DOCTYPES = ("Invoice Share Link", "Invoice Payment Link", "Invoice Share Settings")


def report():
	found = []
	if frappe.db.exists("Module Def", "Invoice Share"):
		found.append("Module Def Invoice Share")
	for doctype in OUR_DOCTYPES:
		if frappe.db.exists("DocType", doctype):
			found.append(f"DocType {doctype}")
		if frappe.db.sql("SHOW TABLES LIKE %s", f"tab{doctype}"):
			found.append(f"table tab{doctype}")
		if frappe.db.sql("SELECT 1 FROM `tabSingles` WHERE doctype=%s LIMIT 1", doctype):
			found.append(f"Singles rows of {doctype}")
		if frappe.db.sql("SELECT 1 FROM `__Auth` WHERE doctype=%s LIMIT 1", doctype):
			found.append(f"__Auth rows of {doctype}")
		for table in ("Custom Field", "Property Setter", "Version"):
			field = "ref_doctype" if table == "Version" else "doc_type"
			if frappe.db.exists(table, {field: doctype}):
				found.append(f"{table} of {doctype}")
	for table in ("Custom Field", "Property Setter", "Print Format"):
		if frappe.db.exists(table, {"module": "Invoice Share"}):
			found.append(f"{table} of module Invoice Share")
	for job in frappe.get_all("Scheduled Job Type", {"method": ["like", "invoice_share.%"]}, pluck="method"):
		found.append(f"Scheduled Job Type {job}")
	import os

	if frappe.db.exists("Email Template", "Sales Invoice with link"):
		found.append("Email Template Sales Invoice with link")
	if frappe.db.exists(
		"Property Setter",
		{
			"doc_type": "Sales Invoice",
			"property": "default_email_template",
			"value": "Sales Invoice with link",
		},
	):
		found.append("Property Setter default_email_template of Sales Invoice")

	if os.path.exists(frappe.get_site_path("private", "invoice_share_pdfs")):
		found.append("folder private/invoice_share_pdfs")
	if "invoice_share" in frappe.get_installed_apps():
		found.append("invoice_share in Installed Applications")
	return found or "none"
