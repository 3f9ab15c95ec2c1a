"""Share-link lifecycle: issue, show again, find by token, regenerate, revoke, expire, count views.

A token is derived from the link's random seed and the site's share-link secret (`tokens`), so the
server can show the current link again; the database holds its SHA-256 and the seed, and the
secret only encrypted with the site's key, so a copy of the database yields no working token.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import frappe
from frappe import _
from frappe.query_builder import DocType
from frappe.translate import print_language
from frappe.utils import add_days, get_datetime, get_system_timezone, now_datetime

from invoice_share.core import params
from invoice_share.core.documents import INVOICE_FIELDS, add_timeline_line, ensure_submitted, lock_invoice
from invoice_share.core.exceptions import AlreadySharedError, InvalidArgument
from invoice_share.core.formats import escaped, iso
from invoice_share.core.routes import PAGE_ROUTE
from invoice_share.core.settings import ensure_secret, get_settings
from invoice_share.core.urls import site_url
from invoice_share.links import tokens
from invoice_share.notifications.notices import buyer_language, notify_first_view

LINK = "Invoice Share Link"
_ROW_FIELDS = [
	"name",
	"sales_invoice",
	"creation",
	"expires_on",
	"view_count",
	"last_viewed_on",
	"token_hash",
	"token_seed",
]


@dataclass
class IssuedLink:
	link: frappe._dict  # name, creation, expires_on, ...
	token: str | None  # None only for an Active link made before links could be shown again
	already_shared: bool
	replaced: bool = False  # an Active link was revoked for this one


def share_url(token: str) -> str:
	return site_url(f"/{PAGE_ROUTE}/{token}")


def _secret() -> str:
	"""The site's share-link secret (made at install, or here for a site that lacks it)."""
	secret = get_settings().get_password("share_link_secret", raise_exception=False)
	return secret or ensure_secret("share_link_secret", tokens.new_secret)


def current_token(row) -> str | None:
	"""The token of a link, derived again; None for a link made before links could be shown again
	(no seed), or one whose secret was rotated since."""
	if not row or not row.get("token_seed"):
		return None
	token = tokens.derive_token(_secret(), row.token_seed)
	return token if tokens.hash_token(token) == row.token_hash else None


def is_expired(expires_on) -> bool:
	return bool(expires_on) and get_datetime(expires_on) <= now_datetime()


def resolve_expiry(expires_on) -> datetime.datetime | None:
	"""The expiry asked for (ISO 8601, must lie in the future), else the settings' default, else none.

	Offsets and `Z` are converted to the site's time zone (how Frappe stores date-times); naive
	values are already in it; a date alone means the end of that day.
	"""
	if expires_on not in (None, ""):
		value = params.parse_datetime(expires_on, ZoneInfo(get_system_timezone()))
		if value is None:
			frappe.throw(
				_(
					"expires_on must be an ISO 8601 date and time, such as 2030-12-31T23:59:59+00:00 or 2030-12-31."
				),
				exc=InvalidArgument,
				title=_("Invalid Expiry"),
			)
		if value <= now_datetime():
			frappe.throw(
				_("expires_on must lie in the future."), exc=InvalidArgument, title=_("Invalid Expiry")
			)
		return value
	days = get_settings().default_link_expiry_days
	return add_days(now_datetime(), days) if days else None


def get_active_link(invoice_name: str) -> frappe._dict | None:
	"""The invoice's Active, unexpired link (a plain read, for status answers)."""
	row = frappe.db.get_value(LINK, {"active_invoice": invoice_name}, _ROW_FIELDS, as_dict=True)
	return None if row is None or is_expired(row.expires_on) else row


def issue_link(invoice, *, regenerate: bool = False, expires_on=None) -> IssuedLink:
	"""Make the invoice's share link, or report the Active one; `regenerate` replaces it."""
	ensure_submitted(invoice)
	expiry = resolve_expiry(expires_on)

	# One request at a time per invoice; the locking read below sees the latest committed row.
	lock_invoice(invoice.name)
	current = frappe.db.get_value(
		LINK, {"active_invoice": invoice.name}, _ROW_FIELDS, as_dict=True, for_update=True
	)
	if current and is_expired(current.expires_on):
		_close(current.name, "Expired")
		current = None

	if current and not regenerate:
		return IssuedLink(link=current, token=current_token(current), already_shared=True)

	if current:
		_close(current.name, "Revoked")

	seed = tokens.new_seed()
	token = tokens.derive_token(_secret(), seed)
	link = frappe.get_doc(
		{
			"doctype": LINK,
			"sales_invoice": invoice.name,
			"status": "Active",
			"token_hash": tokens.hash_token(token),
			"token_seed": seed,
			"expires_on": expiry,
		}
	).insert(ignore_permissions=True)

	if current:
		add_timeline_line(
			invoice.name, _("Regenerated the public share link; the previous link no longer works.")
		)
	elif expiry:
		add_timeline_line(
			invoice.name,
			_("Shared this invoice through a public link, valid until {0}.").format(
				frappe.utils.format_datetime(expiry)
			),
		)
	else:
		add_timeline_line(invoice.name, _("Shared this invoice through a public link."))
	# (The new link's PDF is rendered after commit: a doc event of the PDF's, see hooks.)
	return IssuedLink(
		link=frappe._dict({f: link.get(f) for f in _ROW_FIELDS}),
		token=token,
		already_shared=False,
		replaced=bool(current),
	)


def revoke_links(invoice_name: str, *, reason: str | None = None) -> int:
	"""Revoke every Active link of the invoice at once; returns how many were revoked."""
	lock_invoice(invoice_name)
	link = DocType(LINK)
	names = (
		frappe.qb.from_(link)
		.select(link.name)
		.where((link.sales_invoice == invoice_name) & (link.status == "Active"))
		.for_update()
		.run(pluck=True)
	)
	for name in names:
		_close(name, "Revoked")
	if names:
		add_timeline_line(invoice_name, reason or _("Revoked the public share link."))
	return len(names)


def end_all_links() -> int:
	"""Revoke every Active share link of the site (the share-link secret is being rotated)."""
	link = DocType(LINK)
	names = (
		frappe.qb.from_(link).select(link.name).where(link.status == "Active").for_update().run(pluck=True)
	)
	if names:
		(
			frappe.qb.update(link)
			.set(link.status, "Revoked")
			.set(link.active_invoice, None)
			.set(link.revoked_on, now_datetime())
			.set(link.revoked_by, frappe.session.user)
			.where(link.name.isin(names))
			.run()
		)
	return len(names)


def _close(name: str, status: str) -> None:
	values = {"status": status, "active_invoice": None}
	if status == "Revoked":
		values.update(revoked_on=now_datetime(), revoked_by=frappe.session.user)
	frappe.db.set_value(LINK, name, values)


def resolve_token(token: object) -> frappe._dict | None:
	"""The link behind a guest's token, or None for any token that must not work.

	One indexed query (token_hash is unique), joined with what a PDF download needs of the
	invoice (`INVOICE_FIELDS`, as `row.invoice`). Unknown, revoked, expired and
	cancelled-invoice tokens are all just None.
	"""
	if not tokens.is_well_formed(token):
		return None
	link = DocType(LINK)
	invoice = DocType("Sales Invoice")
	rows = (
		frappe.qb.from_(link)
		.join(invoice)
		.on(invoice.name == link.sales_invoice)
		.select(
			link.name,
			link.sales_invoice,
			link.status,
			link.expires_on,
			link.view_count,
			*(invoice[field].as_(f"invoice_{field}") for field in INVOICE_FIELDS),
		)
		.where(link.token_hash == tokens.hash_token(token))
		.run(as_dict=True)
	)
	if not rows:
		return None
	row = rows[0]
	row.invoice = frappe._dict({field: row.pop(f"invoice_{field}") for field in INVOICE_FIELDS})
	if row.status != "Active" or is_expired(row.expires_on) or row.invoice.docstatus != 1:
		return None
	return row


# Views and downloads are counted in Redis hashes (link name -> count), so a buyer's request takes
# no row lock and writes nothing to the database; `flush_counts` adds them to the links every
# minute, and `pending_counts` adds what is still waiting, so a count is never short.
_COUNTERS = {"view_count": "invoice_share:views", "download_count": "invoice_share:downloads"}
_LAST_VIEWED = "invoice_share:last_viewed"
_FIRST_VIEW = "invoice_share:first_view:"


def record_view(row: frappe._dict, *, may_write: bool = True) -> bool:
	"""Count a buyer's view; the first one leaves a line on the invoice's timeline.

	With `may_write=False` (a request that will not commit), a first view is not counted and
	False is returned: the caller hands the request on to a path that commits.
	"""
	make_key = frappe.cache.make_key
	first_key = make_key(_FIRST_VIEW + row.name)
	first = not row.view_count and not _redis(("exists", first_key))[0]
	if first and not may_write:
		return False
	_redis(
		("hincrby", make_key(_COUNTERS["view_count"]), row.name, 1),
		("hset", make_key(_LAST_VIEWED), row.name, str(now_datetime())),
	)
	# First view: the link's stored count is 0 and no other request claimed it first.
	if first and frappe.cache.set(first_key, 1, nx=True, ex=7 * 86400):
		add_timeline_line(row.sales_invoice, _("The customer opened the shared invoice for the first time."))
		notify_first_view(row.sales_invoice)
		_commit_after_get()
	return True


def record_download(row: frappe._dict) -> None:
	_redis(("hincrby", frappe.cache.make_key(_COUNTERS["download_count"]), row.name, 1))


def _commit_after_get() -> None:
	# Frappe commits POSTs by itself; a buyer's GET must ask for it (frappe.app.sync_database).
	frappe.local.flags.commit = True


def _redis(*commands) -> list:
	"""Run raw Redis commands (Frappe's wrapper pickles and prefixes its own hash methods; keys
	here are made with `make_key` and values are plain numbers and strings)."""
	pipeline = frappe.cache.pipeline(transaction=False)
	for name, *args in commands:
		getattr(pipeline, name)(*args)
	return pipeline.execute()


def _text(value) -> str | None:
	return value.decode() if isinstance(value, bytes) else value


def pending_counts(link_name: str) -> dict:
	"""Views and downloads counted in Redis and not yet written to the link, and the last view."""
	make_key = frappe.cache.make_key
	commands = []
	for name in _COUNTERS.values():
		# A flush under way (or one that failed) is not in the database yet either.
		commands += [("hget", make_key(name), link_name), ("hget", make_key(name + _FLUSHING), link_name)]
	answers = _redis(*commands, ("hget", make_key(_LAST_VIEWED), link_name))
	pending = {
		field: int(answers[2 * index] or 0) + int(answers[2 * index + 1] or 0)
		for index, field in enumerate(_COUNTERS)
	}
	pending["last_viewed_on"] = _text(answers[-1])
	return pending


_FLUSHING = ":flushing"


def flush_counts() -> None:
	"""Every minute: add the counted views and downloads to their links.

	Each hash is renamed first, so counting goes on in a new one while this one is written. A
	flush that failed leaves its hash under the `:flushing` name; the next flush writes that one
	first, and only then takes the new counts.
	"""
	link = DocType(LINK)
	for field, name in _COUNTERS.items():
		key = frappe.cache.make_key(name)
		flushing = frappe.cache.make_key(name + _FLUSHING)
		for _attempt in range(2):
			if not _redis(("exists", flushing))[0]:
				if not _redis(("exists", key))[0] or not _redis(("renamenx", key, flushing))[0]:
					break
			for link_name, count in _redis(("hgetall", flushing))[0].items():
				frappe.qb.update(link).set(link[field], link[field] + int(count)).where(
					link.name == _text(link_name)
				).run()
			frappe.db.commit()
			_redis(("delete", flushing))
	last_key = frappe.cache.make_key(_LAST_VIEWED)
	for link_name, value in _redis(("hgetall", last_key))[0].items():
		link_name, value = _text(link_name), _text(value)
		frappe.qb.update(link).set(link.last_viewed_on, value).where(
			(link.name == link_name) & (link.last_viewed_on.isnull() | (link.last_viewed_on < value))
		).run()
		frappe.db.commit()
		# Only if no later view came in meanwhile (HDEL would drop it).
		_redis(("eval", _HDEL_IF_EQUAL, 1, last_key, link_name, value))


_HDEL_IF_EQUAL = "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0"


def expire_overdue_links() -> None:
	"""Hourly: mark Active links past their expiry as Expired (guests are refused before this)."""
	link = DocType(LINK)
	(
		frappe.qb.update(link)
		.set(link.status, "Expired")
		.set(link.active_invoice, None)
		.where((link.status == "Active") & link.expires_on.isnotnull() & (link.expires_on <= now_datetime()))
		.run()
	)


def link_status(invoice) -> dict:
	"""What the desk shows of the invoice's share link: whether it is shared, the current link (to
	those who may share the invoice), when it was made, when it expires, how often it was seen."""
	row = get_active_link(invoice.name)
	pending = pending_counts(row.name) if row else {}
	last_viewed = max(
		(str(value) for value in (row and row.last_viewed_on, pending.get("last_viewed_on")) if value),
		default=None,
	)
	token = current_token(row) if row and invoice.has_permission("write") else None
	return {
		"shared": bool(row),
		# The current link, shown again to those who may share the invoice.
		"share_url": share_url(token) if token else None,
		"share_token_created_at": iso(row.creation) if row else None,
		"expires_on": iso(row.expires_on) if row else None,
		"view_count": (row.view_count + pending["view_count"]) if row else 0,
		"last_viewed_on": iso(last_viewed),
	}


def email_link(invoice, *, recipients: list[str], outstanding: float, regenerate: bool = False) -> dict:
	"""Send the invoice's share link through Frappe's email queue: the current one, a new one with
	`regenerate`, or the first one; `outstanding` is what the invoice asks for today (its currency).
	(A link made before links could be shown again cannot be sent
	again: it needs `regenerate`.)"""
	issued = issue_link(invoice, regenerate=regenerate)
	if issued.token is None:
		_refuse_already_shared(invoice.name)

	company = frappe.get_cached_value("Company", invoice.company, "company_name") or invoice.company
	# In the customer's language; every value escaped (Frappe's email Jinja escapes nothing).
	with print_language(buyer_language(invoice) or frappe.get_system_settings("language") or "en"):
		frappe.sendmail(
			recipients=recipients,
			subject=_("Invoice {0} from {1}").format(invoice.name, company),
			template="invoice_share_link",
			args=escaped(
				{
					"company": company,
					"invoice": invoice.name,
					"customer_name": invoice.customer_name,
					"grand_total": frappe.utils.fmt_money(invoice.grand_total, currency=invoice.currency),
					"outstanding": frappe.utils.fmt_money(outstanding, currency=invoice.currency),
					"due_date": frappe.utils.formatdate(invoice.due_date) if invoice.due_date else None,
					"share_url": share_url(issued.token),
					"expires_on": frappe.utils.format_datetime(issued.link.expires_on)
					if issued.link.expires_on
					else None,
				}
			),
			reference_doctype="Sales Invoice",
			reference_name=invoice.name,
		)
	add_timeline_line(invoice.name, _("Emailed the share link to {0}.").format(", ".join(recipients)))
	return {
		"sent_to": recipients,
		"regenerated": issued.replaced,
		"share_token_created_at": iso(issued.link.creation),
		"expires_on": iso(issued.link.expires_on),
	}


def _refuse_already_shared(invoice_name: str):
	frappe.throw(
		_(
			"Sales Invoice {0} has an active share link made before links could be shown again, so its "
			"address cannot be sent again: send with regenerate=1 to replace it with a new link."
		).format(frappe.bold(invoice_name)),
		exc=AlreadySharedError,
		title=_("Already Shared"),
	)


def default_recipients(invoice) -> list[str]:
	"""The invoice's contact email, else the customer's primary contact email."""
	for email in (
		invoice.get("contact_email"),
		frappe.db.get_value("Customer", invoice.customer, "email_id"),
	):
		if email:
			return [email]
	return []
