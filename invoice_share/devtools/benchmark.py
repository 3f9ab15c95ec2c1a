"""Guest answer and PDF benchmark: `scripts/benchmark` runs it on a bench against a live server
(gunicorn with 4 workers, as production runs).

    bench --site SITE execute invoice_share.devtools.benchmark.run --kwargs "{'base_url': 'http://127.0.0.1:8011'}"

Times, in one run and over HTTP: Frappe's `ping` (the floor), the guest JSON summary, the buyer
page, our repeat PDF download, Frappe's stock `frappe.utils.print_format.download_pdf` for an
invoice and our first download of a freshly shared invoice (rendered in the background when the
link was made). Then fills the PDF store with N PDFs (copies of a real rendered PDF under N keys)
and prints its footprint on disk and in Redis, and the repeat download with that many stored.
Prints medians and ratios. Figures, not pass/fail: this is not a test.
"""

import os
import statistics
import time

import frappe
import requests

from invoice_share import pdf
from invoice_share.devtools.demo import make_demo_invoice
from invoice_share.links import sharing

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


def run(
	base_url: str, rounds: int = 30, stock_rounds: int = 7, invoices: int = 7, store_size: int = 1000
) -> dict:
	base_url = base_url.rstrip("/")
	settings = frappe.get_single("Invoice Share Settings")
	trusted_before = settings.trusted_proxies
	settings.trusted_proxies = "127.0.0.1\n::1"
	settings.save(ignore_permissions=True)
	try:
		return _run(base_url, rounds, stock_rounds, invoices, store_size)
	finally:
		settings = frappe.get_single("Invoice Share Settings")
		settings.trusted_proxies = trusted_before
		settings.save(ignore_permissions=True)
		frappe.db.commit()


def _run(base_url: str, rounds: int, stock_rounds: int, invoices: int, store_size: int) -> dict:
	api = _api_session(base_url)
	guest = requests.Session()
	options = pdf.print_options(frappe.get_doc("Sales Invoice", make_demo_invoice()))
	frappe.db.commit()

	# Share fresh invoices; each link queues a background render, and the buyer's first
	# download should find the PDF already stored.
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
	token = shared[0][1]
	summary_url = f"{base_url}/api/method/invoice_share.api.shared_invoice"
	page_url = f"{base_url}/invoice-view/{token}"
	pdf_url = f"{base_url}/api/method/invoice_share.api.shared_invoice_pdf"
	first = [
		_time(lambda t=t: guest.get(pdf_url, params={"token": t}, headers=_client()), 1)[0]
		for _name, t in shared
	]

	# The floor and our guest answers, interleaved round by round so that all see the same machine.
	samples = {"ping": [], "summary": [], "page": [], "repeat": []}
	calls = {
		"ping": lambda: guest.get(f"{base_url}/api/method/ping", headers=_client()),
		"summary": lambda: guest.get(summary_url, params={"token": token}, headers=_client()),
		"page": lambda: guest.get(page_url, headers=_client()),
		"repeat": lambda: guest.get(pdf_url, params={"token": token}, headers=_client()),
	}
	for call in calls.values():  # warm each worker's caches once
		for _ in range(4):
			call()
	for _ in range(rounds):
		for what, call in calls.items():
			samples[what] += _time(call, 1)

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

	# The store with `store_size` PDFs in it.
	store = pdf.store()
	data = store.get(pdf.cache_key(frappe.get_doc("Sales Invoice", shared[0][0]), options))
	filler = [f"{index:064x}" for index in range(1, store_size + 1)]
	files_before, bytes_before = store.footprint()
	for key in filler:
		store.put(key, data)
	files, size = store.footprint()
	redis_keys, redis_bytes = _redis_footprint()
	repeat_full = []
	for _ in range(rounds):
		repeat_full += _time(calls["repeat"], 1)
		samples["ping"] += _time(calls["ping"], 1)
	for key in filler:
		os.unlink(store.path(key))

	ping = statistics.median(samples["ping"])
	medians = {
		"ping": ping,
		"guest JSON summary": statistics.median(samples["summary"]),
		"buyer page": statistics.median(samples["page"]),
		"repeat download": statistics.median(samples["repeat"]),
		f"repeat download, {files} PDFs stored": statistics.median(repeat_full),
		"first download (pre-rendered)": statistics.median(first),
		"stock download_pdf": statistics.median(stock),
	}
	goals = {
		"guest JSON summary": 1.5,
		"buyer page": 3,
		"repeat download": 2,
		f"repeat download, {files} PDFs stored": 2,
	}
	lines = [
		f"invoice_share benchmark against {base_url}",
		f"print format {options.print_format!r}, {len(shared)} shared invoices, {rounds} rounds",
		"",
		f"{'what':38} {'median ms':>10} {'x ping':>7} {'goal':>7}",
	]
	for label, value in medians.items():
		goal = f"<= {goals[label]:g}x" if label in goals else ""
		lines.append(f"{label:38} {value:10.1f} {value / ping:7.2f} {goal:>7}")
	stock_ms = medians["stock download_pdf"]
	lines += [
		"",
		f"stock / repeat download : {stock_ms / medians['repeat download']:6.1f}x  (goal: at least 20x)",
		f"stock / first download  : {stock_ms / medians['first download (pre-rendered)']:6.1f}x",
		"",
		f"PDF store ({store.directory}): {files} PDFs, {size / 1024 / 1024:.1f} MB on disk "
		f"({size / max(files, 1) / 1024:.0f} KB each; {files_before} PDFs, "
		f"{bytes_before / 1024 / 1024:.1f} MB before the fill), limit {store.max_bytes / 1024 / 1024:.0f} MB",
		f"Redis (Frappe's cache): {redis_keys} keys of invoice_share, {redis_bytes / 1024:.1f} KB",
	]
	print("\n".join(lines))
	# Clean up: nothing shared by the benchmark stays reachable.
	for name, _token in shared:
		sharing.revoke_links(name)
	frappe.db.commit()
	figures = {key: round(value, 1) for key, value in medians.items()}
	figures.update(
		store_pdfs=files, store_mb=round(size / 1024 / 1024, 1), redis_kb=round(redis_bytes / 1024, 1)
	)
	return figures


def _redis_footprint() -> tuple[int, int]:
	"""This app's keys in Frappe's Redis cache, and the memory they take."""
	keys = frappe.cache.get_keys("invoice_share:")
	pipeline = frappe.cache.pipeline(transaction=False)
	for key in keys:
		pipeline.memory_usage(key)
	return len(keys), sum(size or 0 for size in pipeline.execute())


def wsgi(site: str, sites_path: str = "."):
	"""Frappe's WSGI application serving `site` with its /assets, for gunicorn in the benchmark:
	`gunicorn -w 4 'invoice_share.devtools.benchmark:wsgi("SITE")'` from the bench's sites folder."""
	import frappe.app

	frappe.app._site = site
	frappe.app._sites_path = sites_path
	frappe.app.application_with_statics()
	return frappe.app.application
