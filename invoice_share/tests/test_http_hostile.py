"""Hostile input: markup in invoice data, a forged Host header, a forged X-Forwarded-For, ISO 8601
dates given back as the API wrote them, and a PDF link asked for without print permission.

Against the live server (`scripts/test` starts one and sets INVOICE_SHARE_TEST_URL); skipped
without it. A site without `host_name` is covered in-process by test_site_url."""

import datetime
import random
import re
import unittest
import uuid
from urllib.parse import urlsplit

import frappe
import requests
from requests.adapters import HTTPAdapter

from invoice_share.core import guest
from invoice_share.tests.test_http import (
	BASE_URL,
	LOOPBACK_PROXIES,
	SERVER_REASON,
	HttpTestCase,
	session_of,
)
from invoice_share.tests.utils import (
	grant,
	make_invoice,
	make_user,
	set_settings,
	start_standin,
)

EVIL_FORM = '<form action="https://evil.example/x"><input name=card></form>'
NO_TOKEN = "x" * 43  # no such link: the rate limits count before the token is looked up


def random_ip() -> str:
	number = uuid.uuid4().int
	return f"203.0.{number % 250}.{(number >> 8) % 250 + 1}"


def form_action(response) -> list[str]:
	policy = response.headers["Content-Security-Policy"]
	directive = next(d.strip() for d in policy.split(";") if d.strip().startswith("form-action"))
	return directive.split()[1:]


def api_user(email: str, roles: list[str]) -> dict:
	"""Token-auth headers for a user with exactly `roles` (committed: the server reads them)."""
	make_user(email, roles)
	user = frappe.get_doc("User", email)
	user.api_key = user.api_key or frappe.generate_hash(length=15)
	user.api_secret = frappe.generate_hash(length=15)
	user.save(ignore_permissions=True)
	frappe.db.commit()
	return {"Authorization": f"token {user.api_key}:{user.get_password('api_secret')}"}


@unittest.skipUnless(BASE_URL, SERVER_REASON)
class TestBuyerPageEscapes(HttpTestCase):
	def shared_with_item(self, **item) -> str:
		"""A shared invoice whose item row holds `item` as written by an import or integration:
		Frappe cleans markup out of fields saved through a form, but not data written otherwise."""
		invoice = make_invoice()
		if item:
			frappe.db.set_value("Sales Invoice Item", invoice.items[0].name, item)
		frappe.db.commit()
		answer = self.call("POST", "generate_share_link", sales_invoice=invoice.name)
		self.assertEqual(answer.status_code, 200, answer.text)
		return answer.json()["message"]["share_token"]

	def test_markup_in_an_item_is_shown_as_text(self):
		token = self.shared_with_item(item_name=EVIL_FORM, description=f"<p>{EVIL_FORM}</p>")
		page = self.guest("GET", f"/invoice-view/{token}")
		self.assertEqual(page.status_code, 200)
		html = page.text
		self.assertNotIn('<form action="https://evil.example', html)
		self.assertIn("&lt;form action=&#34;https://evil.example/x&#34;&gt;", html)
		# The page's only form is its own (Pay now, when Stripe is on).
		self.assertEqual(
			len(re.findall(r"<form\b", html)),
			html.count('<form method="post" action="/api/method/invoice_share.api.start_checkout">'),
		)
		self.assertNotIn("<input name=card", html.replace('"', ""))

	def test_the_form_may_lead_only_here_and_to_stripe_checkout(self):
		token = self.shared_with_item()
		settings = frappe.get_single("Invoice Share Settings")
		# The origin of a Stripe test server or proxy, and of checkout pages Stripe's sessions named.
		expected = {settings.stripe_api_base, *(settings.stripe_checkout_origins or "").split()}
		for response in (
			self.guest("GET", f"/invoice-view/{token}"),
			self.guest("GET", f"/invoice-view/{NO_TOKEN}"),
		):
			with self.subTest(status=response.status_code):
				allowed = form_action(response)
				self.assertEqual(allowed[:2], ["'self'", guest.STRIPE_CHECKOUT_ORIGIN])
				self.assertFalse({"https:", "http:", "*"} & set(allowed), allowed)
				self.assertLessEqual(set(allowed[2:]), expected)

	def test_entities_in_rich_text_are_escaped_once(self):
		"""A description from the Text Editor is HTML (`&amp;`); the page shows its text."""
		token = self.shared_with_item(description="<div><p>Fish &amp; chips &lt;large&gt;</p></div>")
		html = self.guest("GET", f"/invoice-view/{token}").text
		self.assertIn("Fish &amp; chips &lt;large&gt;", html)
		self.assertNotIn("&amp;amp;", html)
		self.assertNotIn("&amp;lt;", html)


@unittest.skipUnless(BASE_URL, SERVER_REASON)
class TestForgedHostHeader(HttpTestCase):
	"""Over HTTP the site has host_name (scripts/test sets it); test_site_url covers a site
	without it, where Frappe's get_url would take the request's Host."""

	def test_links_use_the_configured_address(self):
		configured = frappe.local.conf.host_name or frappe.local.conf.hostname
		if not configured:
			self.skipTest("the site has no host_name (scripts/test sets one)")
		invoice = make_invoice()
		frappe.db.commit()
		evil = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
		urls = []
		for method in ("generate_share_link", "get_download_link"):
			response = requests.post(
				f"{BASE_URL}/api/method/invoice_share.api.{method}",
				data={"sales_invoice": invoice.name},
				headers={"Authorization": f"token {self.api_key}:{self.api_secret}", **evil},
				timeout=120,
			)
			self.assertEqual(response.status_code, 200, response.text)
			message = response.json()["message"]
			urls.append(message.get("share_url") or message.get("url"))
		for url in urls:
			self.assertTrue(url.startswith(configured.rstrip("/") + "/"), url)
			self.assertNotIn("evil.example", url)


def forget_checkout_origins() -> None:
	from invoice_share.core.settings import publish_guest_settings

	frappe.db.set_single_value("Invoice Share Settings", "stripe_checkout_origins", None)
	frappe.db.commit()
	publish_guest_settings()


class _FromAddress(HTTPAdapter):
	"""Connect from a given local address (any of 127.0.0.0/8 reaches a server on 127.0.0.1)."""

	def __init__(self, address: str):
		self.address = address
		super().__init__()

	def init_poolmanager(self, *args, **kwargs):
		kwargs["source_address"] = (self.address, 0)
		super().init_poolmanager(*args, **kwargs)


@unittest.skipUnless(BASE_URL, SERVER_REASON)
class TestForgedForwardedFor(HttpTestCase):
	def tearDown(self):
		set_settings(trusted_proxies=LOOPBACK_PROXIES)
		frappe.db.commit()

	def test_without_trusted_proxies_the_header_does_not_pick_the_bucket(self):
		"""A client that writes a new X-Forwarded-For on every request is still one client."""
		if urlsplit(BASE_URL).hostname != "127.0.0.1":
			self.skipTest("needs the server on 127.0.0.1")
		set_settings(trusted_proxies="")
		frappe.db.commit()
		# A loopback address of this test's own, so no other test shares its limit.
		client = requests.Session()
		client.mount("http://", _FromAddress(f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.9"))
		for path, limit in (
			(f"/invoice-view/{NO_TOKEN}", guest.PAGE_LIMIT),
			(f"/api/method/invoice_share.api.shared_invoice?token={NO_TOKEN}", guest.SUMMARY_LIMIT),
		):
			with self.subTest(path=path):
				answers = [
					client.get(BASE_URL + path, headers={"X-Forwarded-For": random_ip()}, timeout=60)
					for _ in range(limit + 1)
				]
				self.assertEqual([a.status_code for a in answers[:limit]], [404] * limit)
				self.assertEqual(answers[-1].status_code, 429)
		self.assertEqual(answers[-1].json()["exc_type"], "TooManyRequestsError")
		self.assertEqual(answers[-1].headers["Cache-Control"], "no-store")

	def test_behind_a_trusted_proxy_the_address_it_saw_is_counted(self):
		"""nginx on loopback (trusted) appends the address it saw; the client's entries before it
		are whatever the client wrote and do not count."""
		real = random_ip()
		path = "/api/method/invoice_share.api.shared_invoice"
		answers = [
			self.guest(
				"GET", path, params={"token": NO_TOKEN}, headers={"X-Forwarded-For": f"{random_ip()}, {real}"}
			).status_code
			for _ in range(guest.SUMMARY_LIMIT + 1)
		]
		self.assertEqual(answers[: guest.SUMMARY_LIMIT], [404] * guest.SUMMARY_LIMIT)
		self.assertEqual(answers[-1], 429)
		# Claiming to be `real` from behind the proxy does not make another client limited.
		other = self.guest(
			"GET", path, params={"token": NO_TOKEN}, headers={"X-Forwarded-For": f"{real}, {random_ip()}"}
		)
		self.assertEqual(other.status_code, 404)


@unittest.skipUnless(BASE_URL, SERVER_REASON)
class TestIsoDatesRoundTrip(HttpTestCase):
	def share(self, invoice_name: str, expires_on: str, regenerate: int = 1):
		return self.call(
			"POST",
			"generate_share_link",
			sales_invoice=invoice_name,
			regenerate=regenerate,
			expires_on=expires_on,
		)

	def test_the_api_takes_back_what_it_answers(self):
		invoice = make_invoice()
		frappe.db.commit()
		first = self.share(invoice.name, "2031-01-15", regenerate=0)
		self.assertEqual(first.status_code, 200, first.text)
		answered = first.json()["message"]["expires_on"]
		self.assertRegex(answered, r"^2031-01-15T23:59:59[+-]\d\d:\d\d$")  # a date: the end of that day
		instant = datetime.datetime.fromisoformat(answered)

		as_utc = instant.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
		for given in (answered, as_utc):
			with self.subTest(expires_on=given):
				again = self.share(invoice.name, given)
				self.assertEqual(again.status_code, 200, again.text)
				self.assertEqual(
					datetime.datetime.fromisoformat(again.json()["message"]["expires_on"]), instant
				)
				self.assertEqual(again.json()["message"]["expires_on"], answered)

	def test_unreadable_and_past_dates_are_refused_and_change_nothing(self):
		invoice = make_invoice()
		frappe.db.commit()
		for bad in ("tomorrow", "2031-02-30T10:00:00Z", "31/12/2031", "2001-01-01T00:00:00Z"):
			with self.subTest(expires_on=bad):
				response = self.share(invoice.name, bad, regenerate=0)
				self.assertEqual(response.status_code, 422, response.text)
				self.assertIn("expires_on", response.text)
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("Invoice Share Link", {"sales_invoice": invoice.name}))


@unittest.skipUnless(BASE_URL, SERVER_REASON)
class TestDownloadLinkNeedsPrint(HttpTestCase):
	ROLE = "_Invoice Share Reader"

	def test_reading_is_not_enough_to_mint_a_pdf_link(self):
		if not frappe.db.exists("Role", self.ROLE):
			frappe.get_doc({"doctype": "Role", "role_name": self.ROLE, "desk_access": 1}).insert(
				ignore_permissions=True
			)
		grant(self, "Sales Invoice", self.ROLE, print=0)
		headers = api_user("invoice-share-reader@example.com", [self.ROLE])
		invoice = make_invoice()
		frappe.db.commit()
		frappe.clear_cache(doctype="Sales Invoice")  # nothing cached before the commit stays

		read = requests.get(
			f"{BASE_URL}/api/resource/Sales Invoice/{invoice.name}", headers=headers, timeout=60
		)
		self.assertEqual(read.status_code, 200, read.text)  # the user can read the invoice
		url = f"{BASE_URL}/api/method/invoice_share.api."
		link = requests.post(
			url + "get_download_link", data={"sales_invoice": invoice.name}, headers=headers, timeout=60
		)
		self.assertEqual(link.status_code, 403, link.text)
		self.assertNotIn("token=", link.text)

		# Accounts User may print, and gets the link.
		printer = api_user("invoice-share-printer@example.com", ["Accounts User"])
		link = requests.post(
			url + "get_download_link", data={"sales_invoice": invoice.name}, headers=printer, timeout=60
		)
		self.assertEqual(link.status_code, 200, link.text)


@unittest.skipUnless(BASE_URL, SERVER_REASON)
class TestCheckoutReturnAddress(HttpTestCase):
	"""Stripe's return address, and the page's form-action with a Stripe test server."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.standin = start_standin(cls, commit=True)

	def test_return_addresses_and_the_pages_form_action(self):
		"""Over HTTP, with a forged Host (the in-process test_site_url covers a site without
		host_name): Stripe gets the site's return address, and the page lets its form lead there."""
		_, token, _ = self.shared(rate=12, qty=1)
		answer = self.guest(
			"POST",
			"/api/method/invoice_share.api.start_checkout",
			data={"token": token},
			headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
		)
		self.assertEqual(answer.status_code, 200, answer.text)
		session = self.standin.session(session_of({"payment_url": answer.json()["message"]["url"]}))
		configured = (frappe.local.conf.host_name or BASE_URL).rstrip("/")
		for url in (session["success_url"], session["cancel_url"]):
			self.assertTrue(url.startswith(f"{configured}/invoice-paid"), url)
			self.assertNotIn("evil.example", url)

	def test_the_pay_now_form_may_lead_to_the_test_server(self):
		_, token, _ = self.shared(rate=12, qty=1)
		page = self.guest("GET", f"/invoice-view/{token}")
		self.assertIn("start_checkout", page.text)
		self.assertEqual(form_action(page)[:3], ["'self'", guest.STRIPE_CHECKOUT_ORIGIN, self.standin.url])

	def test_a_custom_checkout_domain_is_allowed_once_stripe_names_it(self):
		"""A Stripe custom checkout domain: the 303 to it is governed by the page's form-action."""
		custom = f"http://localhost:{self.standin.port}"
		self.standin.page_base = custom
		self.addCleanup(setattr, self.standin, "page_base", None)
		self.addCleanup(forget_checkout_origins)
		_, token, _ = self.shared(rate=13, qty=1)
		paying = self.guest(
			"POST",
			"/api/method/invoice_share.api.start_checkout",
			data={"token": token, "redirect": "1"},
		)
		self.assertEqual(paying.status_code, 303, paying.text)
		self.assertTrue(paying.headers["Location"].startswith(custom + "/pay/"))
		_, other, _ = self.shared(rate=14, qty=1)
		self.assertIn(custom, form_action(self.guest("GET", f"/invoice-view/{other}")))
