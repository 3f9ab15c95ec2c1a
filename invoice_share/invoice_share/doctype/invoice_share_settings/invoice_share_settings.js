// Copyright (c) 2026, invoice_share contributors
// For license information, please see license.txt

frappe.ui.form.on("Invoice Share Settings", {
	setup(frm) {
		frm.set_query("print_format", () => ({ filters: { doc_type: "Sales Invoice" } }));
		frm.set_query("stripe_account", () => ({
			filters: { is_group: 0, account_type: ["in", ["Bank", "Cash"]] },
		}));
		frm.set_query("stripe_fee_account", () => ({
			filters: { is_group: 0, root_type: "Expense" },
		}));
		frm.set_query("stripe_payout_account", () => ({
			filters: { is_group: 0, account_type: "Bank" },
		}));
	},

	refresh(frm) {
		const warning = frm.doc.__onload && frm.doc.__onload.site_url_warning;
		if (warning) {
			frm.set_intro(frappe.utils.escape_html(warning), "orange");
		}
		const missing = (frm.doc.__onload && frm.doc.__onload.books_missing) || [];
		if (missing.length) {
			frm.dashboard.set_headline_alert(
				frappe.utils.escape_html(
					__("Stripe's fees, refunds, disputes and payouts are not booked until you set: {0}", [
						missing.join(", "),
					])
				),
				"orange"
			);
		} else if (frm.doc.stripe_enabled) {
			frm.add_custom_button(__("Sync from Stripe"), () => {
				frappe.prompt(
					{ fieldname: "since", fieldtype: "Date", label: __("Since"), reqd: 1 },
					({ since }) =>
						frappe
							.call({
								method: "invoice_share.api.sync_stripe",
								args: { since },
								freeze: true,
							})
							.then((r) =>
								frappe.msgprint(
									__("{0} Stripe balance transactions booked.", [r.message.booked])
								)
							),
					__("Book what moved at Stripe")
				);
			});
		}
		const webhook_url = frappe.urllib.get_full_url(
			"/api/method/invoice_share.api.stripe_webhook"
		);
		frm.get_field("stripe_webhook_help").$wrapper.html(`
			<p class="text-muted small">${__(
				"In Stripe, add a webhook endpoint with this address and the events {0}, {1}, {2} and {3}, and for the books {4}; paste its signing secret above.",
				[
					"<code>checkout.session.completed</code>",
					"<code>checkout.session.async_payment_succeeded</code>",
					"<code>checkout.session.async_payment_failed</code>",
					"<code>checkout.session.expired</code>",
					"<code>charge.refunded</code>, <code>refund.updated</code>, <code>refund.failed</code>, <code>charge.dispute.funds_withdrawn</code>, <code>charge.dispute.funds_reinstated</code>, <code>charge.dispute.closed</code>, <code>payout.paid</code>, <code>payout.failed</code>",
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
