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
		if frappe.db.exists("Scheduled Job Type", {"method": new}):
			frappe.delete_doc("Scheduled Job Type", name, ignore_permissions=True, force=True)
			continue
		frappe.db.set_value("Scheduled Job Type", name, "method", new, update_modified=False)
		# Frappe 15 names a Scheduled Job Type after its method ("sharing.flush_counts"); 16 gives
		# it a random name, which stays.
		if name == _named_after(old) and not frappe.db.exists("Scheduled Job Type", _named_after(new)):
			frappe.rename_doc("Scheduled Job Type", name, _named_after(new), force=True)


def _named_after(method: str) -> str:
	return ".".join(method.split(".")[-2:])
