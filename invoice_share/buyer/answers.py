"""The guest answers of a link, the same through the API and the buyer's routes: the JSON
summary, the PDF through a share link, the PDF through a signed download link."""

from invoice_share import pdf
from invoice_share.buyer import summary
from invoice_share.core import guest
from invoice_share.core.exceptions import PdfBusy
from invoice_share.links import downloads, sharing


def summary_answer(token, *, may_write: bool = True):
	"""`shared_invoice`'s answer; None when `may_write` is False and a first view needs a commit."""
	row = sharing.resolve_token(token)
	if row is None:
		return guest.not_found_json()
	if not sharing.record_view(row, may_write=may_write):
		return None
	return guest.json_text_response(summary.summary_json(row.invoice))


def shared_pdf_answer(token):
	row = sharing.resolve_token(token)
	if row is None:
		return guest.not_found_json()
	response = pdf_response(row.invoice, link=row.name)
	sharing.record_download(row)
	return response


def signed_pdf_answer(token):
	"""The PDF behind a signed download link, while the signature is valid."""
	invoice = downloads.resolve(token)
	if invoice is None:
		return guest.not_found_json()
	# Without the share link: the same PDF as an invoice that has none ("" is no link).
	return pdf_response(invoice, link=None if invoice.with_share_link else "")


def pdf_response(invoice, link: str | None = None):
	try:
		data, _from_cache = pdf.get_pdf(invoice, link=link)
	except PdfBusy:
		response = guest.json_response({"retry": True}, status=503)
		response.headers["Retry-After"] = "5"
		return response
	return guest.with_headers(pdf.pdf_response(data, pdf.filename(invoice.name)), guest.PRIVATE_HEADERS)
