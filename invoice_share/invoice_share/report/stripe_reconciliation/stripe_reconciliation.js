// Copyright (c) 2026, invoice_share contributors
// For license information, please see license.txt

frappe.query_reports["Stripe Reconciliation"] = {
	filters: [
		{
			fieldname: "from_date",
			label: __("Movements Since"),
			fieldtype: "Date",
			default: frappe.datetime.add_days(frappe.datetime.get_today(), -30),
			reqd: 1,
		},
	],
};
