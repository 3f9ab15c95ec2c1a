"""Install and uninstall: settings with sane defaults, and nothing left behind."""

import frappe

from invoice_share import signing

SETTINGS = "Invoice Share Settings"
OUR_DOCTYPES = ("Invoice Share Link", "Invoice Payment Link", SETTINGS)


def after_install():
	"""Defaults from the doctype, plus the download-link signing secret. Idempotent."""
	settings = frappe.get_single(SETTINGS)
	for df in settings.meta.fields:
		if df.default is not None and settings.get(df.fieldname) in (None, ""):
			settings.set(df.fieldname, df.default)
	if not settings.get_password("download_link_secret", raise_exception=False):
		settings.download_link_secret = signing.new_secret()
	settings.flags.ignore_permissions = True
	settings.save()


def before_uninstall():
	"""Frappe drops our doctypes and tables; their secrets, versions and cached PDFs are ours to clear."""
	frappe.db.delete("__Auth", {"doctype": ["in", OUR_DOCTYPES]})
	frappe.db.delete("Version", {"ref_doctype": ["in", OUR_DOCTYPES]})
	frappe.cache.delete_keys("invoice_share:")
