"""Errors with the HTTP status an integrator should see (Frappe maps `http_status_code`)."""

import frappe


class InvalidArgument(frappe.ValidationError):
	"""An argument has a value we cannot accept."""

	http_status_code = 422


class InvoiceStateError(frappe.ValidationError):
	"""The invoice is not in a state that allows the action (draft, cancelled, paid, credit note)."""

	http_status_code = 409


class AlreadySharedError(frappe.ValidationError):
	"""An Active link exists and its token cannot be shown again."""

	http_status_code = 409


class PaymentsNotConfigured(frappe.ValidationError):
	"""Stripe is disabled or its settings are incomplete."""

	http_status_code = 409


class PaymentProviderError(frappe.ValidationError):
	"""Stripe refused or could not be reached."""

	http_status_code = 502


class PdfBusy(frappe.ValidationError):
	"""The PDF is being rendered by another request and did not come in time; try again shortly."""

	http_status_code = 503


class PaymentPending(frappe.ValidationError):
	"""A payment of the invoice is processing (a bank debit) or was taken and waits to be booked."""

	http_status_code = 409


class CheckoutBusy(frappe.ValidationError):
	"""Another request is starting a payment of the same invoice and did not finish in time."""

	http_status_code = 503
