"""Every URL the app hands out is on the site's configured address, whatever Host a request sent.

When `host_name` is not in the site config, Frappe's `get_url` takes the request's Host header,
which any client can set. In-process, with a request carrying a forged Host: the share, download
and Stripe return addresses must still be the site's."""

import frappe
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from invoice_share import downloads, sharing
from invoice_share.compat import TestCase
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
