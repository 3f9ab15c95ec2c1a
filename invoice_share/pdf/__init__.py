"""The buyer's PDF: printed by Frappe in the format the site chose (`document`, with the app's own
print format in `print_format`), kept in a bounded store on disk (`storage`), one render per version."""

from invoice_share.core.exports import lazy_exports

__getattr__, __all__ = lazy_exports(
	__name__,
	{
		**dict.fromkeys(
			(
				"PrintOptions",
				"print_options",
				"pdf_key",
				"cache_key",
				"render",
				"store",
				"get_pdf",
				"is_stored",
				"render_count",
				"prerender",
				"prerender_after_commit",
				"prerender_shared_link",
				"prune_store",
				"forget_print_context",
				"filename",
				"pdf_response",
				"CACHE_SECONDS",
				"STORE_FOLDER",
				"INVOICE_FIELDS",
				"pdf_generator",
				"site_default_print_format",
			),
			"document",
		),
		"PRINT_FORMAT": "print_format",
		"template_version": "print_format",
		"PdfStore": "storage",
	},
)
