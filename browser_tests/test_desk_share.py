"""In headless Chromium: a seller presses Share on a submitted invoice in the desk, and a guest
opens the link and sees the invoice. Run by scripts/test against its live test site."""

import os
import re
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")

BASE_URL = os.environ.get("INVOICE_SHARE_TEST_URL", "").rstrip("/")
INVOICE = os.environ.get("INVOICE_SHARE_TEST_INVOICE", "")
PASSWORD = os.environ.get("INVOICE_SHARE_ADMIN_PASSWORD", "admin")
CHROMIUM = os.environ.get("INVOICE_SHARE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("INVOICE_SHARE_SCREENSHOT_DIR", Path(__file__).parent / "screenshots"))

pytestmark = pytest.mark.skipif(
	not (BASE_URL and INVOICE), reason="needs a live site: scripts/test sets INVOICE_SHARE_TEST_URL"
)

# A closed network: keep Chromium from reaching out at start-up.
CHROMIUM_ARGS = [
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
	with playwright.sync_playwright() as p:
		browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
		yield browser
		browser.close()


def test_seller_shares_and_guest_opens_the_link(browser):
	SCREENSHOTS.mkdir(parents=True, exist_ok=True)
	desk = browser.new_context(viewport={"width": 1280, "height": 900})
	page = desk.new_page()
	page.goto(f"{BASE_URL}/login")
	page.fill("#login_email", "Administrator")
	page.fill("#login_password", PASSWORD)
	page.click(".btn-login")
	page.wait_for_url(re.compile(r"/(app|desk)(/|$)"), timeout=60_000)  # v16: /desk

	page.goto(f"{BASE_URL}/app/sales-invoice/{INVOICE}")
	share_group = page.locator(".inner-group-button[data-label='Share'] button").first
	share_group.wait_for(timeout=60_000)
	share_group.click()
	page.locator(".inner-group-button[data-label='Share'] .dropdown-item", has_text="Share link").click()

	dialog = page.locator(".modal.show .modal-dialog")
	dialog.wait_for(timeout=30_000)
	url = (
		dialog.locator("[data-fieldname='url'] .control-value, [data-fieldname='url'] input")
		.first.inner_text()
		.strip()
	)
	if not url:
		url = dialog.locator("[data-fieldname='url'] input").first.input_value()
	assert re.match(rf"^{re.escape(BASE_URL)}/invoice-view/[A-Za-z0-9_-]{{43}}$", url), url
	page.screenshot(path=str(SCREENSHOTS / "desk-share-dialog.png"))

	# The form says it is shared, with the view count.
	page.keyboard.press("Escape")
	page.reload()
	page.locator(".inner-group-button[data-label='Share'] button").first.wait_for(timeout=60_000)
	shared = page.get_by_text(re.compile(r"Shared · \d+ views?")).first
	try:
		shared.wait_for(timeout=30_000)
	finally:
		page.screenshot(path=str(SCREENSHOTS / "desk-after-share.png"))

	# A guest (no cookies) opens the link on a phone and on a desktop.
	for name, viewport in (
		("buyer-page-phone.png", {"width": 390, "height": 844}),
		("buyer-page.png", {"width": 1100, "height": 1000}),
	):
		guest = browser.new_context(viewport=viewport)
		buyer = guest.new_page()
		response = buyer.goto(url)
		assert response.status == 200
		assert buyer.locator("h1", has_text=INVOICE).is_visible()
		assert buyer.get_by_text("Download PDF").is_visible()
		buyer.screenshot(path=str(SCREENSHOTS / name), full_page=True)
		guest.close()

	# After a revoke from the desk, the guest's next request gets the 404 page.
	page.locator(".inner-group-button[data-label='Share'] button").first.click()
	page.locator(".inner-group-button[data-label='Share'] .dropdown-item", has_text="Revoke link").click()
	page.locator(".modal.show .btn-primary", has_text="Yes").click()
	page.wait_for_timeout(1500)
	guest = browser.new_context()
	assert guest.new_page().goto(url).status == 404
	guest.close()
	desk.close()
