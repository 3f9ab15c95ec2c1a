"""The buyer's print: the print format this app ships.

"Invoice Share Customer Invoice" is what a customer needs on paper (the seller, who is billed,
the items, totals, what was paid, what is due and how to pay), without ERPNext's internal fields.
It is the buyer PDF's default; Invoice Share Settings or the Sales Invoice's own default print
format choose another. Its template is written with the Jinja methods of `buyer.jinja`.
"""

import functools
import os

PRINT_FORMAT = "Invoice Share Customer Invoice"
TEMPLATE = os.path.join(
	os.path.dirname(os.path.dirname(__file__)),
	"invoice_share",
	"print_format",
	"invoice_share_customer_invoice",
	"invoice_share_customer_invoice.html",
)


@functools.cache
def template_version() -> str:
	"""When this app's print template last changed (it is read from disk at each render); part of
	the PDF cache key. Once per process: an upgrade restarts the workers."""
	return str(os.stat(TEMPLATE).st_mtime_ns)
