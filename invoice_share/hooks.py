app_name = "invoice_share"
app_title = "Invoice Share"
app_publisher = "invoice_share contributors"
app_description = (
	"Share ERPNext Sales Invoices through public links, signed PDF download links and Stripe Checkout"
)
app_email = "maintainers@invoice-share.invalid"
app_license = "mit"

# "org/repo", as HRMS writes it: a bare "erpnext" makes Frappe look the org up on GitHub at install.
required_apps = ["frappe/erpnext"]

export_python_type_annotations = True

# Installation
before_install = "invoice_share.install.before_install"
after_install = "invoice_share.install.after_install"
before_uninstall = "invoice_share.install.before_uninstall"
after_migrate = ["invoice_share.install.after_install", "invoice_share.core.settings.clear_guest_settings"]

# Desk
doctype_js = {"Sales Invoice": "public/js/sales_invoice.js"}

override_doctype_dashboards = {
	"Sales Invoice": "invoice_share.overrides.sales_invoice_dashboard.get_data",
}

# Our rows must not stop a Payment Entry from being deleted; they keep the history.
ignore_links_on_delete = ["Invoice Share Link", "Invoice Payment Link"]

# Document events
doc_events = {
	# A new share link's PDF (which shows the link) is rendered after commit.
	"Invoice Share Link": {"after_insert": "invoice_share.pdf.prerender_shared_link"},
	"Sales Invoice": {
		"on_submit": "invoice_share.events.on_sales_invoice_submit",
		"on_cancel": "invoice_share.events.on_sales_invoice_cancel",
		"on_trash": "invoice_share.events.on_sales_invoice_trash",
	},
	# Paid another way: open checkout sessions for the old amount are closed after commit.
	"Payment Entry": {"on_submit": "invoice_share.events.on_payment_entry_submit"},
	"Journal Entry": {"on_submit": "invoice_share.events.on_journal_entry_submit"},
	# What a buyer's PDF is printed with: its cached print context is worked out again.
	"Print Format": {
		"on_update": "invoice_share.pdf.forget_print_context",
		"on_trash": "invoice_share.pdf.forget_print_context",
	},
	"Letter Head": {
		"on_update": "invoice_share.pdf.forget_print_context",
		"on_trash": "invoice_share.pdf.forget_print_context",
	},
	"Print Settings": {
		"on_update": "invoice_share.pdf.forget_print_context",
		"on_trash": "invoice_share.pdf.forget_print_context",
	},
	"Company": {
		"on_update": "invoice_share.pdf.forget_print_context",
		"on_trash": "invoice_share.pdf.forget_print_context",
	},
	"Property Setter": {
		"on_update": "invoice_share.pdf.forget_print_context",
		"on_trash": "invoice_share.pdf.forget_print_context",
	},
	"Custom Field": {
		"on_update": "invoice_share.pdf.forget_print_context",
		"on_trash": "invoice_share.pdf.forget_print_context",
	},
	"System Settings": {
		"on_update": "invoice_share.pdf.forget_print_context",
		"on_trash": "invoice_share.pdf.forget_print_context",
	},
}

# Permissions: a link row is as readable as its invoice, one by one and in lists and reports.
has_permission = {
	"Invoice Share Link": "invoice_share.events.link_has_permission",
	"Invoice Payment Link": "invoice_share.events.link_has_permission",
}
permission_query_conditions = {
	"Invoice Share Link": "invoice_share.events.share_link_query_conditions",
	"Invoice Payment Link": "invoice_share.events.payment_link_query_conditions",
}

# Jinja: the share link (and its QR) for Email Templates, Notifications and Print Formats, and what
# the buyer page shows, for print formats (the app's own buyer print uses it)
jinja = {
	"methods": [
		"invoice_share.buyer.jinja.invoice_share_url",
		"invoice_share.buyer.jinja.invoice_share_qr",
		"invoice_share.buyer.jinja.invoice_share_epc_qr",
		"invoice_share.buyer.jinja.invoice_share_print",
	]
}

# Website: the buyer page (/invoice-view/<token>) and the checkout return page (/invoice-paid)
page_renderer = ["invoice_share.buyer.pages.BuyerPageRenderer"]
# …answered before Frappe's website router where no commit is needed (see answer_early)
before_request = ["invoice_share.buyer.pages.answer_early"]

# Scheduler
scheduler_events = {
	# Views and downloads are counted in Redis as they happen and written to the links every minute.
	"cron": {"* * * * *": ["invoice_share.links.flush_counts"]},
	"hourly": [
		"invoice_share.links.expire_overdue_links",
		"invoice_share.payments.checkout.settle_open_links",
		"invoice_share.payments.sync.hourly_sync",
		"invoice_share.pdf.prune_store",
	],
}

# Testing
before_tests = "invoice_share.tests.utils.before_tests"
