"""Both sides hear what happened: the seller gets Frappe notifications (bell, Notification Log, and
email where the user's notification settings ask for it) on the buyer's first view and on payment;
the customer gets a receipt email after paying online. All in the buyer's language where it is
the buyer's, and sent after commit (nothing is announced that was rolled back).
"""

import frappe
from frappe import _
from frappe.translate import print_language
from frappe.utils import fmt_money, getdate

from invoice_share.core import wording
from invoice_share.core.formats import escaped
from invoice_share.core.settings import get_settings


def buyer_language(invoice) -> str | None:
	"""The customer's language: the invoice's (when it is not simply the site's default, which
	ERPNext fills in for customers without one), else the customer's; None to let the browser decide."""
	system = frappe.get_system_settings("language") or "en"
	language = invoice.get("language")
	if language and language != system:
		return language
	customer = invoice.get("customer")
	return (frappe.get_cached_value("Customer", customer, "language") if customer else None) or None


def seller_users(sales_invoice: str) -> list[str]:
	"""Who hears of the buyer: the invoice's owner and the enabled users of the role in settings
	(their email addresses)."""
	users = {frappe.db.get_value("Sales Invoice", sales_invoice, "owner")}
	role = get_settings().notify_role
	if role:
		from frappe.utils.user import get_users_with_role

		users.update(get_users_with_role(role))
	names = [user for user in users if user and user != "Guest"]
	# Frappe's notification job takes users by their email address.
	return sorted(set(frappe.get_all("User", {"name": ["in", names], "enabled": 1}, pluck="email")))


def notify_seller(sales_invoice: str, subject: str, setting: str) -> None:
	"""A notification to the seller's users about the invoice, after commit, if `setting` is on."""
	if not get_settings().get(setting):
		return
	users = seller_users(sales_invoice)
	if not users:
		return
	from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification

	notification = {
		"type": "Alert",
		"document_type": "Sales Invoice",
		"document_name": sales_invoice,
		"subject": subject,
		"from_user": "Administrator",
	}
	if getattr(frappe, "in_test", False) or frappe.flags.in_test:  # Frappe 16, 15
		enqueue_create_notification(users, notification)  # made at once, as Frappe does in tests
	else:
		frappe.db.after_commit.add(lambda: enqueue_create_notification(users, notification))


def _customer(sales_invoice: str) -> str:
	"""The customer's name for a notification subject, which the desk shows as HTML."""
	from frappe.utils import escape_html

	return escape_html(frappe.db.get_value("Sales Invoice", sales_invoice, "customer_name") or "")


def notify_first_view(sales_invoice: str) -> None:
	customer = _customer(sales_invoice)
	notify_seller(
		sales_invoice,
		_("{0} opened invoice {1} for the first time.").format(
			frappe.bold(customer), frappe.bold(sales_invoice)
		),
		"notify_on_first_view",
	)


def notify_payment(sales_invoice: str, money: str) -> None:
	customer = _customer(sales_invoice)
	notify_seller(
		sales_invoice,
		_("{0} paid {1} online for invoice {2}.").format(
			frappe.bold(customer), frappe.bold(money), frappe.bold(sales_invoice)
		),
		"notify_on_payment",
	)


def notify_unbooked(sales_invoice: str, money: str) -> None:
	"""As for a payment, but the Payment Entry was refused: someone has to fix the cause."""
	customer = _customer(sales_invoice)
	notify_seller(
		sales_invoice,
		_(
			"{0} paid {1} online for invoice {2}, but ERPNext refused the Payment Entry. See the payment link marked Needs Attention."
		).format(frappe.bold(customer), frappe.bold(money), frappe.bold(sales_invoice)),
		"notify_on_payment",
	)


def customer_email(invoice) -> str | None:
	return invoice.get("contact_email") or frappe.db.get_value("Customer", invoice.customer, "email_id")


def send_receipt(payment_link: str, *, outstanding: float) -> None:
	"""Email the customer a receipt of an online payment (unless settings turned it off);
	`outstanding` is what the invoice still asks for, in its currency."""
	if not get_settings().send_receipt_email:
		return
	link = frappe.db.get_value(
		"Invoice Payment Link",
		payment_link,
		["sales_invoice", "received_amount", "currency", "paid_on", "payment_entry", "payment_intent"],
		as_dict=True,
	)
	invoice = frappe.get_doc("Sales Invoice", link.sales_invoice)
	recipient = customer_email(invoice)
	if not recipient:
		return
	company = frappe.get_cached_value("Company", invoice.company, "company_name") or invoice.company
	with print_language(buyer_language(invoice) or frappe.get_system_settings("language") or "en"):
		args = receipt_context(link, invoice, company, outstanding)
		frappe.sendmail(
			recipients=[recipient],
			subject=_("Receipt for invoice {0} from {1}").format(invoice.name, company),
			template="invoice_share_receipt",
			args=args,
			reference_doctype="Sales Invoice",
			reference_name=invoice.name,
		)


def receipt_context(link, invoice, company: str, outstanding: float) -> dict:
	"""What a receipt says: the amount, the date, the references (ours and Stripe's)."""
	return escaped(
		{
			"company": company,
			"customer_name": invoice.customer_name,
			"invoice": invoice.name,
			"amount": fmt_money(link.received_amount, currency=link.currency),
			"paid_on": wording.long_date(getdate(link.paid_on), wording.buyer_locale([], frappe.local.lang))
			if link.paid_on
			else "",
			"reference": link.payment_intent or link.payment_entry,
			"outstanding": fmt_money(outstanding, currency=invoice.currency),
		}
	)
