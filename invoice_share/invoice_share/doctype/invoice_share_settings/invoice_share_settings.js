// Copyright (c) 2026, invoice_share contributors
// For license information, please see license.txt

frappe.ui.form.on("Invoice Share Settings", {
	setup(frm) {
		frm.set_query("print_format", () => ({ filters: { doc_type: "Sales Invoice" } }));
		frm.set_query("stripe_account", () => ({
			filters: { is_group: 0, account_type: ["in", ["Bank", "Cash"]] },
		}));
	},

	refresh(frm) {
		const warning = frm.doc.__onload && frm.doc.__onload.site_url_warning;
		if (warning) {
			frm.set_intro(frappe.utils.escape_html(warning), "orange");
		}
		const webhook_url = frappe.urllib.get_full_url(
			"/api/method/invoice_share.api.stripe_webhook"
		);
		frm.get_field("stripe_webhook_help").$wrapper.html(`
			<p class="text-muted small">${__(
				"In Stripe, add a webhook endpoint with this address and the events {0}, {1}, {2} and {3}; paste its signing secret above.",
				[
					"<code>checkout.session.completed</code>",
					"<code>checkout.session.async_payment_succeeded</code>",
					"<code>checkout.session.async_payment_failed</code>",
					"<code>checkout.session.expired</code>",
				]
			)}</p>
			<p><code>${frappe.utils.escape_html(webhook_url)}</code></p>
		`);
	},

	rotate_share_link_secret(frm) {
		frappe.confirm(
			__(
				"Rotate the share link secret? Every share link of this site stops working at once, and customers need new links."
			),
			() => frm.call("rotate_share_link_secret").then(() => frm.reload_doc())
		);
	},

	rotate_download_link_secret(frm) {
		frappe.confirm(
			__(
				"Rotate the signing secret? Every PDF download link handed out so far stops working at once."
			),
			() => frm.call("rotate_download_link_secret").then(() => frm.reload_doc())
		);
	},
});
