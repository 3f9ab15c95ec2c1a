"""The share link and its tokens, and the signed PDF download link: made, shown again, revoked,
resolved for a guest, counted, expired (`sharing`, `tokens`, `downloads`, `signing`)."""

from invoice_share.core.exports import lazy_exports

__getattr__, __all__ = lazy_exports(
	__name__,
	{
		**dict.fromkeys(
			(
				"issue_link",
				"revoke_links",
				"end_all_links",
				"get_active_link",
				"current_token",
				"share_url",
				"resolve_token",
				"record_view",
				"record_download",
				"link_status",
				"email_link",
				"default_recipients",
				"flush_counts",
				"expire_overdue_links",
			),
			"sharing",
		),
	},
)
