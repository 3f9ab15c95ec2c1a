"""The share link's scheduled jobs moved with their module (`invoice_share.sharing` is now
`invoice_share.links`): the Scheduled Job Types are renamed, keeping their logs and settings,
before Frappe syncs the hooks (which would otherwise delete the old ones and make new ones)."""

import frappe

MOVED = {
	"invoice_share.sharing.flush_counts": "invoice_share.links.flush_counts",
	"invoice_share.sharing.expire_overdue_links": "invoice_share.links.expire_overdue_links",
}


def execute():
	for old, new in MOVED.items():
		name = frappe.db.get_value("Scheduled Job Type", {"method": old})
		if not name:
			continue
		new_name = ".".join(new.split(".")[-2:])  # as Scheduled Job Type names itself
		if frappe.db.exists("Scheduled Job Type", new_name):
			frappe.delete_doc("Scheduled Job Type", name, ignore_permissions=True, force=True)
			continue
		frappe.db.set_value("Scheduled Job Type", name, "method", new, update_modified=False)
		if name != new_name:
			frappe.rename_doc("Scheduled Job Type", name, new_name, force=True)
