"""In headless Chromium: an accounts user refunds a credit note through Stripe from the desk, as
they would: the *Refund via Stripe* button, the amount (what the credit note pays back), and the
credit note settled by a Payment Entry. scripts/test prepares the case against a Stripe stand-in
it runs (`invoice_share.devtools.demo.make_demo_refund_case`)."""

import os
import re

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS

playwright = pytest.importorskip("playwright.sync_api")

BASE_URL = os.environ.get("INVOICE_SHARE_TEST_URL", "").rstrip("/")
CREDIT_NOTE = os.environ.get("INVOICE_SHARE_TEST_CREDIT_NOTE", "")
PASSWORD = os.environ.get("INVOICE_SHARE_ADMIN_PASSWORD", "admin")
USER = "refunds@seller.example"

pytestmark = pytest.mark.skipif(
	not (BASE_URL and CREDIT_NOTE), reason="needs a live site and a credit note: scripts/test sets them"
)


def test_an_accounts_user_refunds_a_credit_note_through_stripe():
	with playwright.sync_playwright() as p:
		browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
		page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
		errors = []
		page.on("pageerror", lambda error: errors.append(str(error)))
		page.goto(f"{BASE_URL}/login")
		page.fill("#login_email", USER)
		page.fill("#login_password", PASSWORD)
		page.click(".btn-login")
		page.wait_for_url(re.compile(r"/(app|desk)(/|$)"), timeout=60_000)

		def credit_note():
			answer = page.request.get(
				f"{BASE_URL}/api/method/frappe.client.get_value",
				params={
					"doctype": "Sales Invoice",
					"filters": f'{{"name": "{CREDIT_NOTE}"}}',
					"fieldname": '["outstanding_amount", "grand_total"]',
				},
			)
			assert answer.ok, answer.text()
			return answer.json()["message"]

		before = credit_note()
		assert before["outstanding_amount"] < 0, before

		page.goto(f"{BASE_URL}/app/sales-invoice/{CREDIT_NOTE}")
		button = page.locator("button", has_text="Refund via Stripe").first
		button.wait_for(timeout=60_000)
		button.click()
		dialog = page.locator(".modal.show .modal-dialog")
		dialog.wait_for(timeout=30_000)
		amount = dialog.locator("input[data-fieldname='amount']")
		# Offered: what the credit note pays back.
		assert float(re.sub(r"[^0-9.]", "", amount.input_value())) == pytest.approx(
			-before["outstanding_amount"]
		)
		dialog.locator(".btn-primary", has_text="Refund").click()
		page.get_by_text(re.compile(r"Refunded through Stripe and booked as ")).first.wait_for(timeout=60_000)

		after = credit_note()
		assert after["outstanding_amount"] == 0, after
		# Paid back: the button is not offered again.
		page.reload()
		page.locator(".page-title").first.wait_for(timeout=60_000)
		page.wait_for_timeout(2000)
		assert page.locator("button", has_text="Refund via Stripe").count() == 0
		assert errors == [], errors
		browser.close()
