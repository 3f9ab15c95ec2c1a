"""The buyer-facing routes of this app (ERPNext owns /invoices)."""

PAGE_ROUTE = "invoice-view"  # /invoice-view/<token>: the shared invoice
RETURN_ROUTE = "invoice-paid"  # /invoice-paid?session_id=…: back from Stripe Checkout
DOWNLOAD_ROUTE = "invoice-pdf"  # /invoice-pdf/<signed token>: a signed PDF download link
