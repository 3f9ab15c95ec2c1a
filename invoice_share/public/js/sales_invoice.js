// Share group on the Sales Invoice form: share, regenerate, revoke, email, download link, payment link.

frappe.ui.form.on("Sales Invoice", {
	refresh(frm) {
		if (frm.doc.docstatus !== 1 || frm.is_new()) return;
		invoice_share.setup(frm);
	},
});

frappe.provide("invoice_share");

invoice_share.api = (method, args) =>
	frappe.xcall(`invoice_share.api.${method}`, { sales_invoice: invoice_share.frm.doc.name, ...args });

invoice_share.setup = function (frm) {
	invoice_share.frm = frm;
	const group = __("Share");
	const can_write = frappe.model.can_write("Sales Invoice") && frm.perm?.[0]?.write;

	// A public PDF link is a print: offered, like the server allows it, to those who may print.
	if (frappe.model.can_print("Sales Invoice", frm)) {
		frm.add_custom_button(__("Copy download link"), () => invoice_share.download_link(), group);
	}
	if (!can_write) return;

	frm.add_custom_button(__("Share link"), () => invoice_share.share(false), group);
	frm.add_custom_button(__("Regenerate link"), () => invoice_share.confirm_regenerate(), group);
	frm.add_custom_button(__("Revoke link"), () => invoice_share.revoke(), group);
	frm.add_custom_button(__("Email link"), () => invoice_share.email(), group);
	if (!frm.doc.is_return && flt(frm.doc.outstanding_amount) > 0) {
		frm.add_custom_button(__("Create payment link"), () => invoice_share.payment_link(), group);
	}

	invoice_share.show_status(frm);
};

invoice_share.show_status = function (frm) {
	frappe
		.xcall("invoice_share.api.get_share_status", { sales_invoice: frm.doc.name })
		.then((status) => {
			if (invoice_share.frm !== frm || frm.doc.docstatus !== 1 || !status.shared) return;
			const views = cint(status.view_count);
			let message = views === 1 ? __("Shared · 1 view") : __("Shared · {0} views", [views]);
			if (status.expires_on) {
				message += " · " + __("link works until {0}", [
					frappe.datetime.str_to_user(status.expires_on.slice(0, 19).replace("T", " ")),
				]);
			}
			frm.set_intro(message, "green");
		});
};

invoice_share.share = function (regenerate) {
	invoice_share.api("generate_share_link", { regenerate: regenerate ? 1 : 0 }).then((r) => {
		if (r.already_shared) {
			frappe.confirm(
				__(
					"This invoice is already shared. Its link was shown only once and cannot be shown again. Make a new link? The old one stops working at once."
				),
				() => invoice_share.share(true)
			);
			return;
		}
		invoice_share.show_url(__("Share link"), r.share_url, __("Anyone with this link can view the invoice and pay it."));
		invoice_share.frm.reload_doc();
	});
};

invoice_share.confirm_regenerate = function () {
	frappe.confirm(
		__("Make a new share link? The current link stops working at once."),
		() => invoice_share.share(true)
	);
};

invoice_share.revoke = function () {
	frappe.confirm(__("Revoke the share link? It stops working at once."), () => {
		invoice_share.api("revoke_share_link").then((r) => {
			frappe.show_alert({
				message: r.revoked ? __("Share link revoked") : __("There was no active share link"),
				indicator: r.revoked ? "green" : "orange",
			});
			invoice_share.frm.reload_doc();
		});
	});
};

invoice_share.email = function () {
	const frm = invoice_share.frm;
	frappe.xcall("invoice_share.api.get_share_status", { sales_invoice: frm.doc.name }).then((status) => {
		const dialog = new frappe.ui.Dialog({
			title: __("Email share link"),
			fields: [
				{
					fieldname: "recipients",
					fieldtype: "Data",
					label: __("To"),
					options: "Email",
					default: frm.doc.contact_email || "",
					description: __("Separate several addresses with commas. Empty: the customer's email address."),
				},
				{
					fieldname: "note",
					fieldtype: "HTML",
					options: status.shared
						? `<p class="text-muted small">${__(
								"The current link was shown only once, so a new link is made and sent; the current one stops working."
						  )}</p>`
						: "",
				},
			],
			primary_action_label: __("Send"),
			primary_action(values) {
				invoice_share
					.api("email_share_link", {
						recipients: values.recipients || null,
						regenerate: status.shared ? 1 : 0,
					})
					.then((r) => {
						dialog.hide();
						frappe.show_alert({
							message: __("Share link queued for {0}", [r.sent_to.join(", ")]),
							indicator: "green",
						});
						frm.reload_doc();
					});
			},
		});
		dialog.show();
	});
};

invoice_share.download_link = function () {
	// No seconds_valid: the server uses the default lifetime set in Invoice Share Settings.
	invoice_share.api("get_download_link").then((r) => {
		invoice_share.show_url(
			__("PDF download link"),
			r.url,
			__("Works until {0}.", [frappe.datetime.str_to_user(r.expires_at.slice(0, 19).replace("T", " "))])
		);
	});
};

invoice_share.payment_link = function () {
	invoice_share.api("create_payment_link").then((r) => {
		const details = r.invoice_payment_details;
		invoice_share.show_url(
			__("Payment link"),
			details.payment_url,
			__("Pays {0} by card through Stripe.", [format_currency(details.amount, details.currency)])
		);
		invoice_share.frm.reload_doc();
	});
};

invoice_share.show_url = function (title, url, description) {
	frappe.utils.copy_to_clipboard(url);
	const dialog = new frappe.ui.Dialog({
		title: title,
		fields: [
			{
				fieldname: "url",
				fieldtype: "Data",
				label: __("Link (copied to the clipboard)"),
				default: url,
				read_only: 1,
				description: description,
			},
		],
		primary_action_label: __("Copy again"),
		primary_action() {
			frappe.utils.copy_to_clipboard(url);
		},
	});
	dialog.show();
};
