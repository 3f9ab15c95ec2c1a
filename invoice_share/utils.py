"""Small Frappe-side helpers shared by the API, the buyer page and the payment code."""

import datetime
from zoneinfo import ZoneInfo

import frappe
from frappe import _
from frappe.utils import get_datetime, get_system_timezone

from invoice_share.exceptions import InvalidArgument, InvoiceStateError


def get_settings():
	"""Invoice Share Settings, read once per request or job.

	Not `get_cached_doc`: a job that reads the settings while they are being saved can put
	the old version back into Redis after the save cleared it, and a rotated secret or a
	disabled Stripe must take effect at once.
	"""
	settings = getattr(frappe.local, "invoice_share_settings", None)
	if settings is None:
		settings = frappe.get_single("Invoice Share Settings")
		frappe.local.invoice_share_settings = settings
		frappe.db.after_rollback.add(forget_settings)
	return settings


def forget_settings() -> None:
	frappe.local.invoice_share_settings = None


def load_invoice(name: object, ptype: str):
	"""The Sales Invoice `name`, after checking `ptype` permission on it (403 otherwise)."""
	if not isinstance(name, str) or not name.strip():
		frappe.throw(
			_("Give the name of a Sales Invoice."), exc=InvalidArgument, title=_("Missing Sales Invoice")
		)
	if not frappe.db.exists("Sales Invoice", name):
		frappe.throw(
			_("Sales Invoice {0} does not exist.").format(frappe.bold(name)),
			exc=frappe.DoesNotExistError,
			title=_("Not Found"),
		)
	invoice = frappe.get_doc("Sales Invoice", name)
	invoice.check_permission(ptype)
	return invoice


def ensure_submitted(invoice):
	"""Drafts and cancelled invoices get a clear 409 and nothing changes."""
	if invoice.docstatus == 0:
		frappe.throw(
			_("Sales Invoice {0} is a draft. Submit it first.").format(frappe.bold(invoice.name)),
			exc=InvoiceStateError,
			title=_("Invoice Not Submitted"),
		)
	if invoice.docstatus == 2:
		frappe.throw(
			_("Sales Invoice {0} is cancelled.").format(frappe.bold(invoice.name)),
			exc=InvoiceStateError,
			title=_("Invoice Cancelled"),
		)


def lock_invoice(name: str) -> None:
	"""Serialise work on one invoice (sharing, checkout) with a row lock held until commit."""
	frappe.db.get_value("Sales Invoice", name, "name", for_update=True)


def iso(value) -> str | None:
	"""ISO 8601 with the site's time zone offset, for a naive datetime in system time."""
	if not value:
		return None
	dt = get_datetime(value)
	if dt.tzinfo is None:
		dt = dt.replace(tzinfo=ZoneInfo(get_system_timezone()))
	return dt.isoformat()


def iso_from_timestamp(timestamp: int) -> str:
	return datetime.datetime.fromtimestamp(timestamp, ZoneInfo(get_system_timezone())).isoformat()


def add_timeline_line(invoice_name: str, text: str) -> None:
	"""An "Info" line on the invoice's timeline, as the current user (Guest for buyers)."""
	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Info",
			"reference_doctype": "Sales Invoice",
			"reference_name": invoice_name,
			"content": text,
		}
	).insert(ignore_permissions=True)


def from_timestamp(timestamp: int) -> datetime.datetime:
	"""A naive datetime in system time (how Frappe stores Datetime fields) for an epoch timestamp."""
	return datetime.datetime.fromtimestamp(int(timestamp), ZoneInfo(get_system_timezone())).replace(
		tzinfo=None
	)
