"""Every URL the app hands out is on the site's configured address, whatever Host a request sent.

When `host_name` is not in the site config, Frappe's `get_url` takes the request's Host header,
which any client can set. In-process, with a request carrying a forged Host: the share, download
and Stripe return addresses must still be the site's."""

import frappe
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from invoice_share.core.compat import TestCase
from invoice_share.links import downloads, sharing
from invoice_share.payments import checkout
from invoice_share.tests.utils import configure_stripe, make_invoice, start_standin

FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


class TestUrlsComeFromTheSite(TestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.standin = start_standin(cls)

	def setUp(self):
		frappe.set_user("Administrator")
		configure_stripe(self.standin)

	def test_a_forged_host_never_reaches_a_link_or_stripe(self):
		invoice = make_invoice(rate=15, qty=1)
		saved_request = getattr(frappe.local, "request", None)
		saved_conf = {key: frappe.local.conf.get(key) for key in ("host_name", "hostname")}
		frappe.local.request = Request(EnvironBuilder(path="/api/method/x", headers=FORGED).get_environ())
		frappe.local.conf.host_name = frappe.local.conf.hostname = None
		try:
			urls = [
				sharing.share_url("t" * 43),
				downloads.issue(invoice, 60)["url"],
			]
			session_id = checkout.checkout_for(invoice).checkout_session_id
		finally:
			frappe.local.request = saved_request
			frappe.local.conf.update(saved_conf)
		session = self.standin.session(session_id)
		urls += [session["success_url"], session["cancel_url"]]
		for url in urls:
			with self.subTest(url=url):
				self.assertNotIn("evil.example", url)
				self.assertTrue(
					url.startswith((f"http://{frappe.local.site}", f"https://{frappe.local.site}"))
				)

	def test_links_over_plain_http_are_warned_about(self):
		from invoice_share import api

		invoice = make_invoice(rate=16, qty=1)
		saved = frappe.local.conf.get("host_name")
		self.addCleanup(frappe.local.conf.update, {"host_name": saved})
		for address, warned in (
			("http://erp.example.com", True),
			("https://erp.example.com", False),
			("http://127.0.0.1:8000", False),
			("http://erp.localhost:8000", False),
		):
			with self.subTest(address=address):
				frappe.local.conf.host_name = address
				answer = api.generate_share_link(invoice.name)
				self.assertEqual(bool(answer["warning"]), warned, answer["warning"])
				if warned:
					self.assertIn("clear text", answer["warning"])
				settings = frappe.get_doc("Invoice Share Settings")
				settings.run_method("onload")
				self.assertEqual(bool(settings.get_onload().get("site_url_warning")), warned)
