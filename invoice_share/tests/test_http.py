"""HTTP tests against a real server of this site (`scripts/test` starts one and sets
INVOICE_SHARE_TEST_URL). Fixtures are committed, because the server reads them through its
own database connection."""

import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import frappe
import requests
from frappe.utils import flt

from invoice_share import api, pdf
from invoice_share.core.compat import TestCase
from invoice_share.links import sharing, tokens
from invoice_share.tests.utils import (
	ensure_outgoing_email_account,
	make_invoice,
	make_user,
	pay_by_hand,
	set_settings,
	start_standin,
)

BASE_URL = os.environ.get("INVOICE_SHARE_TEST_URL", "").rstrip("/")
SERVER_REASON = "needs a running server: scripts/test starts one and sets INVOICE_SHARE_TEST_URL"
LOOPBACK_PROXIES = "127.0.0.1\n::1"
WEBHOOK_URL = f"{BASE_URL}/api/method/invoice_share.api.stripe_webhook"


def setUpModule():
	if not BASE_URL:
		import unittest

		raise unittest.SkipTest(SERVER_REASON)


def session_of(details: dict) -> str:
	"""The Checkout Session id in a payment link (the stand-in's pay page ends with it)."""
	return details["payment_url"].rsplit("/", 1)[1]


def client_ip() -> str:
	"""A fresh client address per test, so rate limits do not leak between tests: sent as
	X-Forwarded-For, which the server believes because HttpTestCase trusts the loopback proxy."""
	return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


class HttpTestCase(TestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.user = make_user(
			"invoice-share-api@example.com", ["System Manager", "Accounts Manager", "Accounts User"]
		)
		user = frappe.get_doc("User", cls.user)
		cls.api_key = user.api_key or frappe.generate_hash(length=15)
		cls.api_secret = frappe.generate_hash(length=15)
		user.api_key, user.api_secret = cls.api_key, cls.api_secret
		user.save(ignore_permissions=True)
		# The tests stand where nginx would: on loopback, telling the client's address.
		set_settings(default_link_expiry_days=0, show_line_items=1, trusted_proxies=LOOPBACK_PROXIES)
		frappe.db.commit()

	def setUp(self):
		self.ip = client_ip()

	def guest(self, method: str, path: str, **kwargs):
		headers = {"X-Forwarded-For": self.ip, **kwargs.pop("headers", {})}
		return requests.request(
			method, BASE_URL + path, headers=headers, timeout=120, allow_redirects=False, **kwargs
		)

	def call(self, method: str, name: str, http: str = "POST", **data):
		headers = {"Authorization": f"token {self.api_key}:{self.api_secret}", "X-Forwarded-For": self.ip}
		url = f"{BASE_URL}/api/method/invoice_share.api.{name}"
		if http == "GET":
			return requests.get(url, params=data, headers=headers, timeout=120)
		return requests.request(http, url, data=data, headers=headers, timeout=120)

	def shared(self, **invoice_kwargs):
		invoice = make_invoice(**invoice_kwargs)
		frappe.db.commit()
		answer = self.call("POST", "generate_share_link", sales_invoice=invoice.name).json()["message"]
		return invoice, answer["share_token"], answer["share_url"]


class TestGuestRoutes(HttpTestCase):
	def test_buyer_page(self):
		invoice, token, url = self.shared(rate=321.5, qty=2)
		self.assertTrue(url.startswith(BASE_URL))
		response = self.guest("GET", url[len(BASE_URL) :])
		self.assertEqual(response.status_code, 200)
		html = response.text
		company = frappe.get_cached_value("Company", invoice.company, "company_name")
		for text in (invoice.name, company, "Download PDF", "643.00", "Unpaid", "Consulting hour"):
			self.assertIn(text, html)
		self.assertNotIn("<script", html.lower())
		# Who is billed, as printed on the invoice; nothing of the seller's books.
		self.assertIn(invoice.customer_name, html)
		for internal in (invoice.debit_to, invoice.items[0].income_account, invoice.items[0].cost_center):
			self.assertNotIn(internal, html)
		self.assertEqual(response.headers["Referrer-Policy"], "no-referrer")
		self.assertEqual(response.headers["X-Robots-Tag"], "noindex, nofollow")
		self.assertEqual(response.headers["Cache-Control"], "no-store")
		self.assertIn('name="viewport"', html)

		set_settings(show_line_items=0)
		frappe.db.commit()
		try:
			self.assertNotIn("Consulting hour", self.guest("GET", f"/invoice-view/{token}").text)
		finally:
			set_settings(show_line_items=1)
			frappe.db.commit()

	def test_views_and_downloads_are_counted(self):
		invoice, token, _ = self.shared()
		for _ in range(2):
			self.assertEqual(self.guest("GET", f"/invoice-view/{token}").status_code, 200)
		self.assertEqual(
			self.guest(
				"GET", "/api/method/invoice_share.api.shared_invoice_pdf", params={"token": token}
			).status_code,
			200,
		)
		frappe.db.rollback()
		sharing.flush_counts()
		link = frappe.get_doc("Invoice Share Link", {"sales_invoice": invoice.name})
		self.assertEqual((link.view_count, link.download_count), (2, 1))
		status = self.call("GET", "get_share_status", http="GET", sales_invoice=invoice.name).json()[
			"message"
		]
		self.assertEqual(status["view_count"], 2)
		first_view = frappe.get_all(
			"Comment",
			{"reference_name": invoice.name, "content": ["like", "%opened the shared invoice%"]},
			pluck="name",
		)
		self.assertEqual(len(first_view), 1)

	def test_concurrent_views_are_all_counted_and_the_first_is_noted_once(self):
		invoice, token, _ = self.shared()

		def view(index):
			return requests.get(
				f"{BASE_URL}/api/method/invoice_share.api.shared_invoice",
				params={"token": token},
				headers={"X-Forwarded-For": f"10.77.{index // 250}.{index % 250 + 1}"},
				timeout=120,
			).status_code

		with ThreadPoolExecutor(max_workers=20) as pool:
			self.assertEqual(set(pool.map(view, range(100))), {200})
		status = self.call("GET", "get_share_status", http="GET", sales_invoice=invoice.name).json()[
			"message"
		]
		self.assertEqual(status["view_count"], 100)
		frappe.db.rollback()
		sharing.flush_counts()
		self.assertEqual(
			frappe.db.get_value("Invoice Share Link", {"sales_invoice": invoice.name}, "view_count"), 100
		)
		first_view = frappe.get_all(
			"Comment",
			{"reference_name": invoice.name, "content": ["like", "%opened the shared invoice%"]},
			pluck="name",
		)
		self.assertEqual(len(first_view), 1)

	def test_json_summary_shows_only_the_listed_fields(self):
		invoice, token, _ = self.shared(rate=50, qty=3)
		response = self.guest("GET", "/api/method/invoice_share.api.shared_invoice", params={"token": token})
		self.assertEqual(response.status_code, 200)
		summary = response.json()["message"]
		self.assertEqual(
			set(summary),
			{
				"seller",
				"invoice",
				"posting_date",
				"due_date",
				"currency",
				"grand_total",
				"outstanding_amount",
				"status",
				"is_credit_note",
			},
		)
		self.assertEqual(
			(summary["invoice"], summary["grand_total"], summary["outstanding_amount"]),
			(invoice.name, 150.0, 150.0),
		)
		self.assertEqual(response.headers["Cache-Control"], "no-store")

	def test_pdf(self):
		invoice, token, _ = self.shared()
		response = self.guest(
			"GET", "/api/method/invoice_share.api.shared_invoice_pdf", params={"token": token}
		)
		self.assertEqual(response.status_code, 200)
		self.assertEqual(response.headers["Content-Type"], "application/pdf")
		self.assertTrue(response.content.startswith(b"%PDF"))
		self.assertEqual(int(response.headers["Content-Length"]), len(response.content))
		self.assertIn(f'filename="{invoice.name}.pdf"', response.headers["Content-Disposition"])

	def test_every_bad_token_gets_the_same_404(self):
		_, revoked, _ = self.shared()
		self.call(
			"POST",
			"revoke_share_link",
			sales_invoice=frappe.db.get_value(
				"Invoice Share Link", {"token_hash": tokens.hash_token(revoked)}, "sales_invoice"
			),
		)

		expired_invoice, expired, _ = self.shared()
		frappe.db.set_value(
			"Invoice Share Link",
			{"active_invoice": expired_invoice.name},
			"expires_on",
			frappe.utils.add_to_date(None, minutes=-1),
		)
		cancelled_invoice, cancelled, _ = self.shared()
		cancelled_invoice.reload()
		frappe.db.set_value(
			"Sales Invoice", cancelled_invoice.name, "docstatus", 2
		)  # cancelled behind our back
		frappe.db.commit()
		try:
			bad_tokens = [
				tokens.new_token(),
				"short",
				revoked,
				expired,
				cancelled,
				revoked.upper(),
				"%00" * 20,
			]
			for path, key in (
				("/invoice-view/{}", None),
				("/api/method/invoice_share.api.shared_invoice", "token"),
				("/api/method/invoice_share.api.shared_invoice_pdf", "token"),
			):
				answers = set()
				for bad in bad_tokens:
					if key:
						response = self.guest("GET", path, params={key: bad})
					else:
						response = self.guest("GET", path.format(bad))
					self.assertEqual(response.status_code, 404, (path, bad))
					answers.add((response.content, response.headers["Content-Type"]))
				self.assertEqual(len(answers), 1, path)
		finally:
			frappe.db.set_value("Sales Invoice", cancelled_invoice.name, "docstatus", 1)
			frappe.db.commit()

	def test_revoked_link_fails_on_the_very_next_request(self):
		invoice, token, _ = self.shared()
		self.assertEqual(self.guest("GET", f"/invoice-view/{token}").status_code, 200)
		revoked = self.call("POST", "revoke_share_link", sales_invoice=invoice.name)
		self.assertEqual(revoked.json()["message"], {"revoked": 1})
		self.assertEqual(self.guest("GET", f"/invoice-view/{token}").status_code, 404)

	def test_rate_limits_per_client_address(self):
		_, token, _ = self.shared()
		path = "/api/method/invoice_share.api.shared_invoice"
		codes = [self.guest("GET", path, params={"token": token}).status_code for _ in range(61)]
		self.assertEqual(codes[:60], [200] * 60)
		self.assertEqual(codes[60], 429)
		self.ip = client_ip()  # another client is not affected
		self.assertEqual(self.guest("GET", path, params={"token": token}).status_code, 200)

		page = [self.guest("GET", f"/invoice-view/{tokens.new_token()}").status_code for _ in range(61)]
		self.assertEqual(page[:60], [404] * 60)
		self.assertEqual(page[60], 429)


class TestSharingApi(HttpTestCase):
	def test_concurrent_shares_make_one_active_link(self):
		invoice = make_invoice()
		frappe.db.commit()

		def share(_):
			return self.call("POST", "generate_share_link", sales_invoice=invoice.name)

		with ThreadPoolExecutor(max_workers=8) as pool:
			answers = list(pool.map(share, range(8)))
		self.assertEqual([a.status_code for a in answers], [200] * 8)
		# One link made; the others were shown that same link.
		self.assertEqual(len({a.json()["message"]["share_token"] for a in answers}), 1)
		self.assertEqual([a.json()["message"]["already_shared"] for a in answers].count(False), 1)
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.count("Invoice Share Link", {"sales_invoice": invoice.name, "status": "Active"}), 1
		)

		with ThreadPoolExecutor(max_workers=6) as pool:
			regenerated = list(
				pool.map(
					lambda _: self.call(
						"POST", "generate_share_link", sales_invoice=invoice.name, regenerate=1
					),
					range(6),
				)
			)
		self.assertEqual({a.status_code for a in regenerated}, {200})
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.count("Invoice Share Link", {"sales_invoice": invoice.name, "status": "Active"}), 1
		)
		live = [
			a.json()["message"]["share_token"]
			for a in regenerated
			if sharing.resolve_token(a.json()["message"]["share_token"])
		]
		self.assertEqual(len(live), 1)

	def test_errors_are_clear_4xx_and_change_nothing(self):
		draft = make_invoice(submit=False)
		frappe.db.commit()
		response = self.call("POST", "generate_share_link", sales_invoice=draft.name)
		self.assertEqual(response.status_code, 409)
		self.assertIn("draft", response.text)
		response = self.call("POST", "generate_share_link", sales_invoice=draft.name, regenerate="perhaps")
		self.assertIn(response.status_code, (409, 422))
		invoice = make_invoice()
		frappe.db.commit()
		response = self.call("POST", "generate_share_link", sales_invoice=invoice.name, regenerate="perhaps")
		self.assertEqual(response.status_code, 422)
		self.assertEqual(self.call("POST", "generate_share_link", sales_invoice="NO-SUCH").status_code, 404)
		# State changes need POST; Frappe answers other methods with 403.
		wrong_method = self.call("GET", "generate_share_link", http="GET", sales_invoice=invoice.name)
		self.assertEqual(wrong_method.status_code, 403)
		frappe.db.rollback()
		self.assertFalse(
			frappe.db.exists("Invoice Share Link", {"sales_invoice": ["in", [draft.name, invoice.name]]})
		)

	def test_guests_and_users_without_permission_get_403(self):
		invoice = make_invoice()
		frappe.db.commit()
		guest = self.guest(
			"POST", "/api/method/invoice_share.api.generate_share_link", data={"sales_invoice": invoice.name}
		)
		self.assertEqual(guest.status_code, 403)
		make_user("invoice-share-web@example.com", ["Website Manager"])
		user = frappe.get_doc("User", "invoice-share-web@example.com")
		key, secret = frappe.generate_hash(length=15), frappe.generate_hash(length=15)
		user.api_key, user.api_secret = key, secret
		user.save(ignore_permissions=True)
		frappe.db.commit()
		response = requests.post(
			f"{BASE_URL}/api/method/invoice_share.api.generate_share_link",
			data={"sales_invoice": invoice.name},
			headers={"Authorization": f"token {key}:{secret}"},
			timeout=60,
		)
		self.assertEqual(response.status_code, 403)


class TestDownloadLinksOverHttp(HttpTestCase):
	def test_download_link_lifecycle(self):
		invoice = make_invoice()
		frappe.db.commit()
		answer = self.call("POST", "get_download_link", sales_invoice=invoice.name, seconds_valid=5).json()[
			"message"
		]
		path = answer["url"][len(BASE_URL) :]
		response = self.guest("GET", path)
		self.assertEqual(response.status_code, 200)
		self.assertTrue(response.content.startswith(b"%PDF"))
		self.assertIn(f'filename="{invoice.name}.pdf"', response.headers["Content-Disposition"])
		self.assertTrue(path.startswith("/invoice-pdf/"), path)
		by_api = self.guest(
			"GET", f"/api/method/invoice_share.api.signed_invoice_pdf?token={path.rsplit('/', 1)[1]}"
		)
		self.assertEqual(by_api.content, response.content)
		time.sleep(6.2)
		expired = self.guest("GET", path)
		self.assertEqual(expired.status_code, 404)

		fresh = self.call("POST", "get_download_link", sales_invoice=invoice.name).json()["message"]["url"][
			len(BASE_URL) :
		]
		tampered = fresh[:-3] + ("AAA" if not fresh.endswith("AAA") else "BBB")
		self.assertEqual(self.guest("GET", tampered).content, expired.content)
		self.assertEqual(self.guest("GET", tampered).status_code, 404)

		settings = frappe.get_single("Invoice Share Settings")
		settings.rotate_download_link_secret()
		frappe.db.commit()
		self.assertEqual(self.guest("GET", fresh).status_code, 404)

		for bad in ("4", "abc", "1.5"):
			self.assertEqual(
				self.call(
					"POST", "get_download_link", sales_invoice=invoice.name, seconds_valid=bad
				).status_code,
				422,
			)

	def test_repeat_download_comes_from_the_prerendered_cache(self):
		invoice, token, _ = self.shared()
		doc = frappe.get_doc("Sales Invoice", invoice.name)
		deadline = time.time() + 90
		while not pdf.is_stored(doc) and time.time() < deadline:
			time.sleep(0.5)
		cached = pdf.store().get(pdf.cache_key(doc, pdf.print_options(doc)))
		self.assertIsNotNone(cached, "the background job did not render the PDF")
		first = self.guest(
			"GET", "/api/method/invoice_share.api.shared_invoice_pdf", params={"token": token}
		).content
		second = self.guest(
			"GET", "/api/method/invoice_share.api.shared_invoice_pdf", params={"token": token}
		).content
		self.assertEqual(first, cached)
		self.assertEqual(second, cached)
		# On disk in the site's private files, not in Frappe's Redis cache.
		self.assertEqual(frappe.cache.get_keys("invoice_share:pdf:"), [])

	def test_many_first_downloads_render_once(self):
		invoice, token, _ = self.shared()
		# The render the share queued is done first (it is not what this test counts)...
		deadline = time.time() + 90
		while not pdf.is_stored(frappe.get_doc("Sales Invoice", invoice.name)) and time.time() < deadline:
			time.sleep(0.5)
		# ...then a new version of the invoice that nothing rendered yet (db_set queues no prerender).
		frappe.get_doc("Sales Invoice", invoice.name).db_set(
			"remarks", f"changed {frappe.generate_hash(length=6)}", update_modified=True
		)
		frappe.db.commit()
		renders = pdf.render_count()

		def download(index):
			response = requests.get(
				f"{BASE_URL}/api/method/invoice_share.api.shared_invoice_pdf",
				params={"token": token},
				headers={"X-Forwarded-For": f"10.78.0.{index + 1}"},
				timeout=120,
			)
			return response.status_code, response.content

		with ThreadPoolExecutor(max_workers=6) as pool:
			answers = list(pool.map(download, range(6)))
		self.assertEqual({status for status, _ in answers}, {200})
		self.assertEqual(len({content for _, content in answers}), 1)
		self.assertEqual(pdf.render_count() - renders, 1)


class TestPaymentsOverHttp(HttpTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.standin = start_standin(cls, webhook_url=WEBHOOK_URL, commit=True)
		ensure_outgoing_email_account()
		frappe.db.commit()

	def payment_entries(self, invoice_name):
		frappe.db.rollback()
		return frappe.get_all(
			"Payment Entry Reference", {"reference_name": invoice_name, "docstatus": 1}, pluck="parent"
		)

	def test_pay_end_to_end_from_the_buyer_page(self):
		invoice, token, _ = self.shared(rate=199.99, qty=1)
		page = self.guest("GET", f"/invoice-view/{token}").text
		self.assertRegex(page, r"Pay \S+ 199\.99 (by card|online)")
		self.assertIn('action="/api/method/invoice_share.api.start_checkout"', page)

		redirect = self.guest(
			"POST", "/api/method/invoice_share.api.start_checkout", data={"token": token, "redirect": "1"}
		)
		self.assertEqual(redirect.status_code, 303)
		pay_url = redirect.headers["Location"]
		self.assertTrue(pay_url.startswith(self.standin.url))
		session_id = pay_url.rsplit("/", 1)[1]
		self.assertEqual(self.standin.session(session_id)["amount_total"], 19999)

		# The buyer pays on the (stand-in) Stripe page, which sends the signed webhook and returns them.
		paid = requests.post(pay_url, allow_redirects=False, timeout=120)
		self.assertEqual(paid.status_code, 303)
		self.assertIn(f"/invoice-paid?session_id={session_id}", paid.headers["Location"])
		back = self.guest("GET", paid.headers["Location"][len(BASE_URL) :])
		self.assertIn("Paid — thank you", back.text)
		# A receipt: the amount, the date and the reference to quote.
		session = self.standin.session(session_id)
		payment_intent = session.get("payment_intent")
		for text in ("Receipt", "199.99", payment_intent):
			self.assertIn(text, back.text)

		self.assertEqual(len(self.payment_entries(invoice.name)), 1)

		# The customer got a receipt by email, and the seller a notification (made after commit
		# by a background job).
		def receipts():
			frappe.db.rollback()
			return frappe.get_all(
				"Email Queue",
				{"reference_name": invoice.name, "message": ["like", "%Receipt for invoice%"]},
				pluck="name",
			)

		deadline = time.time() + 30
		while time.time() < deadline and not receipts():
			time.sleep(0.5)
		self.assertEqual(
			len(receipts()),
			1,
			frappe.get_all("Email Queue", {"reference_name": invoice.name}, ["name", "message"]),
		)
		deadline = time.time() + 60
		while time.time() < deadline and not frappe.get_all(
			"Notification Log",
			{"document_name": invoice.name, "subject": ["like", "%paid%"]},
		):
			time.sleep(0.5)
			frappe.db.rollback()
		self.assertTrue(
			frappe.get_all("Notification Log", {"document_name": invoice.name, "subject": ["like", "%paid%"]})
		)
		invoice.reload()
		self.assertEqual((flt(invoice.outstanding_amount), invoice.status), (0, "Paid"))
		self.assertIn("Paid — thank you", self.guest("GET", f"/invoice-view/{token}").text)
		self.assertNotIn("start_checkout", self.guest("GET", f"/invoice-view/{token}").text)

	def test_start_checkout_json_and_bad_tokens(self):
		_, token, _ = self.shared()
		answer = self.guest("POST", "/api/method/invoice_share.api.start_checkout", data={"token": token})
		self.assertEqual(answer.status_code, 200)
		self.assertEqual(set(answer.json()["message"]), {"id", "url"})
		bad = self.guest(
			"POST", "/api/method/invoice_share.api.start_checkout", data={"token": tokens.new_token()}
		)
		self.assertEqual(bad.status_code, 404)

	def test_replayed_and_concurrent_webhooks_make_one_payment_entry(self):
		invoice = make_invoice(rate=75, qty=2)
		frappe.db.commit()
		session_id = session_of(self.payment_link(invoice.name))
		self.standin.complete_session(session_id)
		payload, signature = self.standin.event_for("checkout.session.completed", session_id)
		url = f"{BASE_URL}/api/method/invoice_share.api.stripe_webhook"

		def send(_):
			return requests.post(
				url,
				data=payload,
				headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
				timeout=120,
			)

		with ThreadPoolExecutor(max_workers=5) as pool:
			concurrent = list(pool.map(send, range(5)))
		replayed = [send(i) for i in range(5)]
		self.assertEqual({r.status_code for r in concurrent + replayed}, {200})
		self.assertEqual(len(self.payment_entries(invoice.name)), 1)
		self.assertEqual(
			frappe.db.get_value("Invoice Payment Link", {"checkout_session_id": session_id}, "status"), "Paid"
		)

	def test_bad_signatures_are_refused(self):
		invoice = make_invoice()
		frappe.db.commit()
		session_id = session_of(self.payment_link(invoice.name))
		self.standin.complete_session(session_id)
		payload, signature = self.standin.event_for("checkout.session.completed", session_id)
		url = f"{BASE_URL}/api/method/invoice_share.api.stripe_webhook"
		cases = (
			(payload + b" ", signature),
			(payload, self.standin.sign(payload, secret="whsec_not_ours")),
			(payload, self.standin.sign(payload, timestamp=int(time.time()) - 3600)),
			(payload, None),
		)
		for body, header in cases:
			headers = {"Content-Type": "application/json", **({"Stripe-Signature": header} if header else {})}
			self.assertEqual(requests.post(url, data=body, headers=headers, timeout=60).status_code, 400)
		self.assertEqual(self.payment_entries(invoice.name), [])

	def test_minor_units_partial_payment_and_amount_mismatch(self):
		from invoice_share.tests.utils import ensure_customer, ensure_receivable_account

		yen = make_invoice(
			rate=1234,
			qty=3,
			currency="JPY",
			customer=ensure_customer("_Invoice Share JPY Customer"),
			debit_to=ensure_receivable_account("JPY"),
			conversion_rate=0.0067,
		)
		dollars = make_invoice(rate=19.99, qty=3)
		frappe.db.commit()
		for invoice, minor, currency in ((yen, 3702, "jpy"), (dollars, 5997, "usd")):
			session = self.standin.session(session_of(self.payment_link(invoice.name)))
			self.assertEqual((session["amount_total"], session["currency"]), (minor, currency))

		# Part of the dollar invoice is paid by hand: the next link asks for the rest.
		pay_by_hand(dollars.name, 20)
		frappe.db.commit()
		rest = self.payment_link(dollars.name)
		session_id = session_of(rest)
		self.assertEqual((rest["amount"], self.standin.session(session_id)["amount_total"]), (39.97, 3997))

		# Stripe takes another amount than the link asked for: booked all the same, and flagged.
		self.standin.complete_session(session_id, amount_total=3000)
		status, _body = self.standin.deliver("checkout.session.completed", session_id)
		self.assertEqual(status, 200)
		self.assertEqual(len(self.payment_entries(dollars.name)), 2)
		link = frappe.get_doc("Invoice Payment Link", {"checkout_session_id": session_id})
		self.assertEqual((link.status, link.needs_attention, flt(link.received_amount)), ("Paid", 1, 30))
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", dollars.name, "outstanding_amount")), 9.97)

	def test_pay_now_on_a_paid_invoice_shows_a_page(self):
		invoice, token, _ = self.shared(rate=10, qty=1)
		pay_by_hand(invoice.name)
		frappe.db.commit()
		page = self.guest(
			"POST", "/api/method/invoice_share.api.start_checkout", data={"token": token, "redirect": "1"}
		)
		self.assertEqual(page.status_code, 409)
		self.assertIn("text/html", page.headers["Content-Type"])
		self.assertIn("nothing outstanding", page.text)
		self.assertFalse(frappe.db.exists("Invoice Payment Link", {"sales_invoice": invoice.name}))

	def payment_link(self, invoice_name: str) -> dict:
		response = self.call("POST", "create_payment_link", sales_invoice=invoice_name)
		self.assertEqual(response.status_code, 200, response.text)
		return response.json()["message"]["invoice_payment_details"]

	def test_cancelled_invoice_expires_the_session_and_gets_no_link(self):
		invoice = make_invoice()
		frappe.db.commit()
		session_id = session_of(self.payment_link(invoice.name))
		invoice.reload()
		invoice.cancel()
		frappe.db.commit()  # the background worker closes the session after this commit
		wait_for(lambda: self.standin.session(session_id)["status"] == "expired")
		wait_for(
			lambda: (
				frappe.db.get_value("Invoice Payment Link", {"checkout_session_id": session_id}, "status")
				== "Cancelled"
			)
		)
		response = self.call("POST", "create_payment_link", sales_invoice=invoice.name)
		self.assertEqual(response.status_code, 409)


def wait_for(condition, seconds: float = 60, message: str = "the background job did not finish") -> None:
	"""Poll `condition` (reading committed data) until it holds."""
	deadline = time.time() + seconds
	while time.time() < deadline:
		frappe.db.rollback()
		if condition():
			return
		time.sleep(0.3)
	raise AssertionError(message)
