"""In headless Chromium: a seller uses the "Customer link" group on a submitted invoice in the desk,
and a guest opens the link on a phone and a desktop. axe-core checks the buyer's pages. Run by
scripts/test against its live test site."""

import os
import re
from pathlib import Path

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS

playwright = pytest.importorskip("playwright.sync_api")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")

BASE_URL = os.environ.get("INVOICE_SHARE_TEST_URL", "").rstrip("/")
INVOICE = os.environ.get("INVOICE_SHARE_TEST_INVOICE", "")
RETURN_PATH = os.environ.get("INVOICE_SHARE_TEST_RETURN_PATH", "")
PASSWORD = os.environ.get("INVOICE_SHARE_ADMIN_PASSWORD", "admin")
SCREENSHOTS = Path(os.environ.get("INVOICE_SHARE_SCREENSHOT_DIR", Path(__file__).parent / "screenshots"))
GROUP = "Customer link"

pytestmark = pytest.mark.skipif(
	not (BASE_URL and INVOICE), reason="needs a live site: scripts/test sets INVOICE_SHARE_TEST_URL"
)


@pytest.fixture(scope="module")
def browser():
	with playwright.sync_playwright() as p:
		browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
		yield browser
		browser.close()


def assert_accessible(page, name: str) -> None:
	results = axe_module.Axe().run(page)
	violations = [
		f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes, e.g. {v['nodes'][0]['html'][:120]})"
		for v in results.response["violations"]
	]
	assert violations == [], f"axe-core on {name}:\n" + "\n".join(violations)


def group_items(page) -> list[str]:
	"""The labels in the "Customer link" group, in order (the group opened and closed again)."""
	button = page.locator(f".inner-group-button[data-label='{GROUP.replace(' ', '%20')}'] button").first
	if not button.count():
		button = page.locator(".inner-group-button", has_text=GROUP).locator("button").first
	button.wait_for(timeout=60_000)
	button.click()
	items = button.locator("xpath=..").locator(".dropdown-item")
	items.first.wait_for(timeout=10_000)
	labels = [label.strip() for label in items.all_inner_texts()]
	page.keyboard.press("Escape")
	return labels


def choose(page, label: str) -> None:
	button = page.locator(".inner-group-button", has_text=GROUP).locator("button").first
	button.click()
	button.locator("xpath=..").locator(".dropdown-item", has_text=label).first.click()


def dialog_url(page) -> str:
	dialog = page.locator(".modal.show .modal-dialog")
	dialog.wait_for(timeout=30_000)
	field = dialog.locator("[data-fieldname='url']")
	url = (
		field.locator(".control-value").first.inner_text() if field.locator(".control-value").count() else ""
	).strip()
	return url or field.locator("input").first.input_value()


def close_dialog(page) -> None:
	page.locator(".modal.show .btn-modal-close").first.click()
	page.wait_for_function("() => !document.querySelector('.modal.show')", timeout=10_000)


def test_seller_shares_and_guest_opens_the_link(browser):
	SCREENSHOTS.mkdir(parents=True, exist_ok=True)
	desk = browser.new_context(
		viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
	)
	page = desk.new_page()
	errors = []
	page.on("pageerror", lambda error: errors.append(str(error)))
	page.goto(f"{BASE_URL}/login")
	page.fill("#login_email", "Administrator")
	page.fill("#login_password", PASSWORD)
	page.click(".btn-login")
	page.wait_for_url(re.compile(r"/(app|desk)(/|$)"), timeout=60_000)  # v16: /desk

	# Stripe off: nothing may promise or offer card payment.
	answer = page.request.post(
		f"{BASE_URL}/api/method/frappe.client.set_value",
		form={
			"doctype": "Invoice Share Settings",
			"name": "Invoice Share Settings",
			"fieldname": "stripe_enabled",
			"value": "0",
		},
		headers={"X-Frappe-CSRF-Token": page.evaluate("() => frappe.csrf_token")},
	)
	assert answer.ok, answer.text()

	page.goto(f"{BASE_URL}/app/sales-invoice/{INVOICE}")
	before = group_items(page)
	assert before[0] == "Share link", before
	assert "Regenerate link" not in before and "Revoke link" not in before, before
	assert "Create payment link" not in before, before
	assert "Copy download link" in before and "Email link" in before, before
	# Frappe's own sidebar "Share" (with users) is another thing: our group is not called that.
	assert page.locator(".inner-group-button[data-label='Share']").count() == 0

	choose(page, "Share link")
	url = dialog_url(page)
	assert re.match(rf"^{re.escape(BASE_URL)}/invoice-view/[A-Za-z0-9_-]{{43}}$", url), url
	description = page.locator(".modal.show .modal-dialog").inner_text()
	assert "download" in description and "pay" not in description.replace("PDF", ""), description
	page.wait_for_timeout(500)
	page.screenshot(path=str(SCREENSHOTS / "desk-share-dialog.png"))
	close_dialog(page)

	# Shown again, the same link: closing the dialog loses nothing.
	choose(page, "Share link")
	assert dialog_url(page) == url
	assert page.evaluate("() => navigator.clipboard.readText()") == url
	close_dialog(page)

	# Shared now: the form says so, and Regenerate and Revoke are offered.
	page.reload()
	page.get_by_text(re.compile(r"Shared · \d+ views?")).first.wait_for(timeout=60_000)
	after = group_items(page)
	assert after[0] == "Share link" and "Regenerate link" in after and "Revoke link" in after, after
	page.screenshot(path=str(SCREENSHOTS / "desk-after-share.png"))

	# The download link dialog: the link, and until when it works, with the time zone.
	choose(page, "Copy download link")
	download_url = dialog_url(page)
	assert download_url.startswith(BASE_URL), download_url
	text = page.locator(".modal.show .modal-dialog").inner_text()
	assert re.search(r"until .+\(([A-Za-z_]+/[A-Za-z_/]+|UTC)\)", text), text
	page.wait_for_timeout(500)  # the dialog's fade-in
	page.screenshot(path=str(SCREENSHOTS / "desk-download-link.png"))
	close_dialog(page)

	# A guest (no cookies) opens the link on a phone and on a desktop.
	for name, viewport in (
		("buyer-page-phone.png", {"width": 390, "height": 844}),
		("buyer-page.png", {"width": 1100, "height": 1000}),
	):
		guest = browser.new_context(viewport=viewport)
		buyer = guest.new_page()
		requests_made = []
		buyer.on("request", lambda request: requests_made.append(request.url))
		response = buyer.goto(url)
		assert response.status == 200
		assert buyer.locator("h1", has_text=INVOICE).is_visible()
		assert buyer.get_by_text("Download PDF").is_visible()
		assert buyer.get_by_text("Pay by bank transfer").is_visible()  # Stripe is off
		# One request: the page. No script, no favicon fetch.
		assert requests_made == [url], requests_made
		assert buyer.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
		assert_accessible(buyer, f"the buyer page at {viewport['width']} px")
		buyer.screenshot(path=str(SCREENSHOTS / name), full_page=True)
		# A keyboard user sees where focus is.
		buyer.keyboard.press("Tab")
		outline = buyer.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
		assert outline not in ("", "none"), outline
		guest.close()

	guest = browser.new_context()
	other = guest.new_page()
	assert other.goto(f"{BASE_URL}/invoice-view/{'x' * 43}").status == 404
	assert_accessible(other, "the 404 page")
	if RETURN_PATH:
		assert other.goto(BASE_URL + RETURN_PATH).status == 200
		assert other.get_by_text("Receipt").is_visible()
		assert_accessible(other, "the return page")
		other.screenshot(path=str(SCREENSHOTS / "buyer-return-page.png"), full_page=True)
	guest.close()

	# After a revoke from the desk, the guest's next request gets the 404 page, and the group
	# offers no Regenerate or Revoke any more.
	choose(page, "Revoke link")
	page.locator(".modal.show .btn-primary", has_text="Yes").click()
	page.wait_for_timeout(1500)
	guest = browser.new_context()
	assert guest.new_page().goto(url).status == 404
	guest.close()
	page.reload()
	final = group_items(page)
	assert "Revoke link" not in final and "Regenerate link" not in final, final
	assert errors == [], errors
	desk.close()
