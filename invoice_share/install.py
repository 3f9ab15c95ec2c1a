"""Install and uninstall: settings with sane defaults, and nothing left behind."""

import shutil

import frappe

from invoice_share.links import signing, tokens
from invoice_share.pdf import STORE_FOLDER

SETTINGS = "Invoice Share Settings"
EMAIL_TEMPLATE = "Sales Invoice with link"
EMAIL_SUBJECT = "Invoice {{ name }} from {{ company }}"
EMAIL_BODY = """<p>Hello {{ customer_name | e }},</p>
<p>Please find invoice {{ name }} attached.</p>
<p>View it, download it and pay it online:<br>
<a href="{{ invoice_share_url(name) }}">{{ invoice_share_url(name) }}</a></p>
<p>Kind regards,<br>{{ company | e }}</p>
"""
OUR_DOCTYPES = ("Invoice Share Link", "Invoice Payment Link", SETTINGS)


def before_install():
	"""Rebuild this process's module map, so the doctypes of this app are found and synced.

	`frappe.init` reads the map of apps to modules from Redis; a map written before this app was
	added to the bench lacks it, and `install-app` then syncs none of our doctypes and fails with
	"No module named 'frappe.core.doctype.invoice_share_settings'". `install_app` clears Redis
	just before calling this hook, so rebuilding reads apps.txt and modules.txt afresh.
	"""
	frappe.cache.delete_value(["app_modules", "installed_app_modules"])
	frappe.local.app_modules = None
	frappe.setup_module_map()


def after_install():
	"""Defaults from the doctype, plus the download-link and share-link secrets. Idempotent, and run
	after every migrate too, for sites that had the app before a setting existed."""
	settings = frappe.get_single(SETTINGS)
	changed = False
	for df in settings.meta.fields:
		if df.default is not None and settings.get(df.fieldname) in (None, ""):
			settings.set(df.fieldname, df.default)
			changed = True
	if not settings.get_password("download_link_secret", raise_exception=False):
		settings.download_link_secret = signing.new_secret()
		changed = True
	if not settings.get_password("share_link_secret", raise_exception=False):
		settings.share_link_secret = tokens.new_secret()
		changed = True
	make_email_template()
	if changed:
		settings.flags.ignore_permissions = True
		# Only defaults and secrets change here: a migrate must not stop over, say, Stripe settings
		# that were saved incomplete.
		settings.flags.ignore_validate = True
		settings.save()


def make_email_template() -> None:
	""" "Sales Invoice with link": the invoice with its share link, in one step from the Sales
	Invoice's Email dialog, where it is the default template unless the site chose another."""
	if not frappe.db.exists("Email Template", EMAIL_TEMPLATE):
		frappe.get_doc(
			{
				"doctype": "Email Template",
				"name": EMAIL_TEMPLATE,
				"subject": EMAIL_SUBJECT,
				"use_html": 1,
				"response_html": EMAIL_BODY,
			}
		).insert(ignore_permissions=True)
	if not frappe.get_meta("Sales Invoice").default_email_template:
		frappe.get_doc(
			{
				"doctype": "Property Setter",
				"doctype_or_field": "DocType",
				"doc_type": "Sales Invoice",
				"module": "Invoice Share",
				"property": "default_email_template",
				"value": EMAIL_TEMPLATE,
				"property_type": "Data",
			}
		).insert(ignore_permissions=True)
		frappe.clear_cache(doctype="Sales Invoice")


def before_uninstall():
	"""Frappe drops our doctypes and tables; their secrets, versions and cached PDFs are ours to clear."""
	frappe.db.delete("__Auth", {"doctype": ["in", OUR_DOCTYPES]})
	frappe.db.delete("Version", {"ref_doctype": ["in", OUR_DOCTYPES]})
	# Frappe syncs these from hooks.scheduler_events but does not remove them with the app.
	frappe.db.delete("Scheduled Job Type", {"method": ["like", "invoice_share.%"]})
	frappe.cache.delete_keys("invoice_share:")
	# Our email template calls this app's Jinja methods; the default we set points to it.
	frappe.db.delete(
		"Property Setter",
		{"doc_type": "Sales Invoice", "property": "default_email_template", "value": EMAIL_TEMPLATE},
	)
	frappe.delete_doc("Email Template", EMAIL_TEMPLATE, ignore_missing=True, force=True)
	frappe.clear_cache(doctype="Sales Invoice")
	shutil.rmtree(frappe.get_site_path("private", STORE_FOLDER), ignore_errors=True)
