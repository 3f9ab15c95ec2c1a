from frappe import _


def get_data(data: dict | None = None) -> dict:
	"""Show our links in the Sales Invoice's Connections."""
	data = data or {}
	data.setdefault("transactions", []).append(
		{"label": _("Sharing"), "items": ["Invoice Share Link", "Invoice Payment Link"]}
	)
	return data
