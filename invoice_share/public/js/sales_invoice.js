// "Customer link" group on a submitted Sales Invoice: share, email, download link, payment link,
// and, while there is a link, regenerate and revoke. Buttons follow the invoice's share status.

frappe.ui.form.on("Sales Invoice", {
	refresh(frm) {
		if (frm.doc.docstatus !== 1 || frm.is_new()) return;
		invoice_share.setup(frm);
	},
});

frappe.provide("invoice_share");

// Not Frappe's own sidebar "Share" (sharing the document with users): this is the customer's link.
invoice_share.GROUP = __("Customer link");

// A server call whose failure Frappe has already shown (its message dialog): resolves to null.
invoice_share.call = (method, args) =>
	frappe
		.xcall(`invoice_share.api.${method}`, { sales_invoice: invoice_share.frm.doc.name, ...args })
		.catch(() => null);

invoice_share.setup = function (frm) {
	invoice_share.frm = frm;
	const can_write = frappe.model.can_write("Sales Invoice") && frm.perm?.[0]?.write;
	// A public PDF link is a print: offered, like the server allows it, to those who may print.
	const can_print = frappe.model.can_print("Sales Invoice", frm);
	if (!can_write && !can_print) return;

	invoice_share.call("get_share_status").then((status) => {
		// The form may have moved on (another invoice, a cancel) while the status was on its way.
		if (!status || invoice_share.frm !== frm || frm.doc.docstatus !== 1) return;
		invoice_share.status = status;
		invoice_share.add_buttons(frm, status, can_write, can_print);
		invoice_share.show_status(frm, status);
	});
};

invoice_share.add_buttons = function (frm, status, can_write, can_print) {
	const group = invoice_share.GROUP;
	if (can_write) {
		frm.add_custom_button(__("Share link"), () => invoice_share.share(false), group);
		frm.add_custom_button(__("Email link"), () => invoice_share.email(), group);
	}
	if (can_print) {
		frm.add_custom_button(__("Copy download link"), () => invoice_share.download_link(), group);
	}
	if (status.can_refund_via_stripe) {
		frm.add_custom_button(__("Refund via Stripe"), () => invoice_share.refund(frm));
	}
	if (!can_write) return;
	if (status.can_pay_online) {
		frm.add_custom_button(__("Create payment link"), () => invoice_share.payment_link(), group);
	}
	if (status.shared) {
		frm.add_custom_button(__("Regenerate link"), () => invoice_share.confirm_regenerate(), group);
		frm.add_custom_button(__("Revoke link"), () => invoice_share.revoke(), group);
	}
};

invoice_share.show_status = function (frm, status) {
	if (!status.shared) return;
	const views = cint(status.view_count);
	let message = views === 1 ? __("Shared · 1 view") : __("Shared · {0} views", [views]);
	if (status.expires_on) {
		message += " · " + __("link works until {0}", [invoice_share.when(status.expires_on)]);
	}
	frm.set_intro(message, "green");
};

// An ISO 8601 moment from the server, in the user's date format and with its time zone.
invoice_share.when = function (iso) {
	const local = frappe.datetime.str_to_user(iso.slice(0, 19).replace("T", " "));
	const zone = frappe.boot.time_zone?.system || frappe.sys_defaults?.time_zone || "";
	return zone ? `${local} (${zone})` : local;
};

invoice_share.link_promise = function () {
	return invoice_share.status?.can_pay_online
		? __("Anyone with this link can view the invoice, download it and pay it by card.")
		: __("Anyone with this link can view the invoice and download it.");
};

invoice_share.share = function (regenerate) {
	invoice_share.call("generate_share_link", { regenerate: regenerate ? 1 : 0 }).then((r) => {
		if (!r) return;
		if (!r.share_url) {
			// A link made before links could be shown again.
			frappe.confirm(
				__(
					"This invoice is already shared, but its link was made by an earlier version and cannot be shown again. Make a new link? The old one stops working at once."
				),
				() => invoice_share.share(true)
			);
			return;
		}
		invoice_share.show_url(__("Share link"), r.share_url, invoice_share.link_promise());
		// The site's address is not https: the link would travel in clear text.
		if (r.warning) frappe.show_alert({ message: frappe.utils.escape_html(r.warning), indicator: "orange" }, 15);
		if (!r.already_shared) invoice_share.frm.reload_doc();
	});
};

invoice_share.confirm_regenerate = function () {
	frappe.confirm(__("Make a new share link? The current link stops working at once."), () =>
		invoice_share.share(true)
	);
};

invoice_share.revoke = function () {
	frappe.confirm(__("Revoke the share link? It stops working at once."), () => {
		invoice_share.call("revoke_share_link").then((r) => {
			if (!r) return;
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
	// Only a link made before links could be shown again has to be replaced to be sent.
	const replace = invoice_share.status?.shared && !invoice_share.status?.share_url;
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
				options: `<p class="text-muted small">${frappe.utils.escape_html(
					replace
						? __(
								"The current link was made by an earlier version and cannot be sent again, so a new link is made and sent; the current one stops working."
						  )
						: invoice_share.link_promise()
				)}</p>`,
			},
		],
		primary_action_label: __("Send"),
		primary_action(values) {
			invoice_share
				.call("email_share_link", { recipients: values.recipients || null, regenerate: replace ? 1 : 0 })
				.then((r) => {
					if (!r) return;
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
};

invoice_share.download_link = function () {
	// No seconds_valid: the server uses the default lifetime set in Invoice Share Settings.
	invoice_share.call("get_download_link").then((r) => {
		if (!r) return;
		invoice_share.show_url(
			__("PDF download link"),
			r.url,
			__("Anyone with this link can download the PDF until {0}.", [invoice_share.when(r.expires_at)])
		);
	});
};

invoice_share.payment_link = function () {
	invoice_share.call("create_payment_link").then((r) => {
		if (!r) return;
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

// A credit note paid back to the card the invoice was paid with: the amount is at most what the
// credit note pays back and what is left of the payment (the server checks both).
invoice_share.refund = function (frm) {
	const owed = Math.abs(flt(frm.doc.outstanding_amount));
	frappe.prompt(
		{
			fieldname: "amount",
			fieldtype: "Currency",
			label: __("Amount to Refund"),
			options: "currency",
			default: owed,
			reqd: 1,
		},
		({ amount }) =>
			frappe
				.call({
					method: "invoice_share.api.refund_via_stripe",
					args: { credit_note: frm.doc.name, amount },
					freeze: true,
					freeze_message: __("Asking Stripe for the refund…"),
				})
				.then((r) => {
					const answer = r.message || {};
					frappe.show_alert({
						message: answer.payment_entry
							? __("Refunded through Stripe and booked as {0}.", [answer.payment_entry])
							: __("Refund {0} asked of Stripe; it is booked when Stripe reports it.", [answer.refund]),
						indicator: "green",
					});
					frm.reload_doc();
				}),
		__("Refund via Stripe"),
		__("Refund")
	);
};
