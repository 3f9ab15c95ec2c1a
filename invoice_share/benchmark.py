"""PDF download benchmark: `scripts/benchmark` runs it on a bench against a live server.

    bench --site SITE execute invoice_share.benchmark.run --kwargs "{'base_url': 'http://127.0.0.1:8011'}"

Times, in one run and over HTTP: Frappe's `ping` (the floor), Frappe's stock
`frappe.utils.print_format.download_pdf` for an invoice, our first download of a freshly
shared invoice (rendered in the background when the link was made), and our repeat download.
Prints medians and ratios. Figures, not pass/fail: this is not a test.
"""

import statistics
import time

import frappe
import requests

from invoice_share import pdf, sharing
from invoice_share.demo import make_demo_invoice

USER = "invoice-share-benchmark@example.com"


def _api_session(base_url: str) -> requests.Session:
	if not frappe.db.exists("User", USER):
		frappe.get_doc(
			{"doctype": "User", "email": USER, "first_name": "Benchmark", "send_welcome_email": 0}
		).insert(ignore_permissions=True)
	user = frappe.get_doc("User", USER)
	user.add_roles("System Manager", "Accounts Manager", "Accounts User")
	key, secret = frappe.generate_hash(length=15), frappe.generate_hash(length=15)
	user.api_key, user.api_secret = key, secret
	user.save(ignore_permissions=True)
	frappe.db.commit()
	session = requests.Session()
	session.headers["Authorization"] = f"token {key}:{secret}"
	return session


def _client() -> dict:
	"""A new client address per request, as a trusted proxy on loopback would report it (`run`
	trusts loopback while it runs): the per-client rate limit still runs, and costs what it costs,
	but a benchmark's dozens of requests are not refused."""
	_client.count = getattr(_client, "count", 0) + 1
	return {"X-Forwarded-For": f"10.99.{_client.count // 250}.{_client.count % 250 + 1}"}


def _time(call, times: int) -> list[float]:
	samples = []
	for _ in range(times):
		start = time.perf_counter()
		response = call()
		samples.append((time.perf_counter() - start) * 1000)
		response.raise_for_status()
	return samples


def _wait_for_prerender(invoice_name: str, timeout: float = 120) -> None:
	invoice = frappe.get_doc("Sales Invoice", invoice_name)
	deadline = time.time() + timeout
	while not pdf.is_stored(invoice):
		if time.time() > deadline:
			raise TimeoutError("the background job did not render the PDF; is a worker running?")
		time.sleep(0.2)


def run(base_url: str, rounds: int = 30, stock_rounds: int = 7, invoices: int = 7) -> dict:
	base_url = base_url.rstrip("/")
	settings = frappe.get_single("Invoice Share Settings")
	trusted_before = settings.trusted_proxies
	settings.trusted_proxies = "127.0.0.1\n::1"
	settings.save(ignore_permissions=True)
	try:
		return _run(base_url, rounds, stock_rounds, invoices)
	finally:
		settings = frappe.get_single("Invoice Share Settings")
		settings.trusted_proxies = trusted_before
		settings.save(ignore_permissions=True)
		frappe.db.commit()


def _run(base_url: str, rounds: int, stock_rounds: int, invoices: int) -> dict:
	api = _api_session(base_url)
	guest = requests.Session()
	options = pdf.print_options(frappe.get_doc("Sales Invoice", make_demo_invoice()))
	frappe.db.commit()

	ping = _time(lambda: guest.get(f"{base_url}/api/method/ping"), rounds)

	# Share fresh invoices; each link queues a background render, and the buyer's first
	# download should find the PDF already in the cache.
	shared = []
	for _ in range(invoices):
		name = make_demo_invoice()
		frappe.db.commit()
		answer = api.post(
			f"{base_url}/api/method/invoice_share.api.generate_share_link", data={"sales_invoice": name}
		)
		answer.raise_for_status()
		shared.append((name, answer.json()["message"]["share_token"]))
	for name, _token in shared:
		_wait_for_prerender(name)
	pdf_url = f"{base_url}/api/method/invoice_share.api.shared_invoice_pdf"
	first = [
		_time(lambda t=token: guest.get(pdf_url, params={"token": t}, headers=_client()), 1)[0]
		for _name, token in shared
	]
	repeat = _time(lambda: guest.get(pdf_url, params={"token": shared[0][1]}, headers=_client()), rounds)

	stock_url = f"{base_url}/api/method/frappe.utils.print_format.download_pdf"
	stock_params = {
		"doctype": "Sales Invoice",
		"name": shared[0][0],
		"format": options.print_format,
		"letterhead": options.letter_head or "",
		"no_letterhead": 0,
		"language": options.language,
	}
	stock = _time(lambda: api.get(stock_url, params=stock_params), stock_rounds)

	medians = {
		"ping": statistics.median(ping),
		"stock download_pdf": statistics.median(stock),
		"first download (pre-rendered)": statistics.median(first),
		"repeat download": statistics.median(repeat),
	}
	lines = [
		f"invoice_share PDF benchmark against {base_url}",
		f"print format {options.print_format!r}, {len(shared)} shared invoices",
		"",
		f"{'what':34} {'median ms':>10} {'runs':>5}",
	]
	for (label, value), runs in zip(medians.items(), (ping, stock, first, repeat), strict=True):
		lines.append(f"{label:34} {value:10.1f} {len(runs):5d}")
	stock_ms = medians["stock download_pdf"]
	lines += [
		"",
		f"stock / repeat download : {stock_ms / medians['repeat download']:6.1f}x  (goal: at least 20x)",
		f"stock / first download  : {stock_ms / medians['first download (pre-rendered)']:6.1f}x",
		f"repeat download - ping  : {medians['repeat download'] - medians['ping']:6.1f} ms",
	]
	print("\n".join(lines))
	# Clean up: nothing shared by the benchmark stays reachable.
	for name, _token in shared:
		sharing.revoke_links(name)
	frappe.db.commit()
	return {key: round(value, 1) for key, value in medians.items()}
