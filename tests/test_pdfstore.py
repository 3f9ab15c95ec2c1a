import hashlib
import multiprocessing
import os
import threading
import time

import pytest

from invoice_share.pdf import storage as pdfstore

HOUR = 3600
DAY = 24 * HOUR


def key(name) -> str:
	return hashlib.sha256(str(name).encode()).hexdigest()


def set_age(store, k, seconds):
	when = time.time() - seconds
	os.utime(store.path(k), (when, when))


def files_under(directory):
	return sorted(
		os.path.relpath(os.path.join(root, name), directory)
		for root, _dirs, names in os.walk(directory)
		for name in names
	)


def test_round_trip_and_layout(tmp_path):
	store = pdfstore.PdfStore(tmp_path, max_bytes=10_000)
	k = key("ACC-SINV-2026-00001")
	assert store.put(k, b"%PDF-1.7 one") is True
	assert store.get(k) == b"%PDF-1.7 one"
	assert (tmp_path / k[:2] / f"{k}.pdf").read_bytes() == b"%PDF-1.7 one"
	store.put(k, bytearray(b"%PDF-1.7 two"))
	assert store.get(k) == b"%PDF-1.7 two"


def test_missing_is_none_even_without_the_directory(tmp_path):
	assert pdfstore.PdfStore(tmp_path / "not-yet", max_bytes=1000).get(key("x")) is None
	store = pdfstore.PdfStore(tmp_path, max_bytes=1000)
	store.put(key("a"), b"a")
	assert store.get(key("b")) is None
	assert not (tmp_path / "not-yet").exists()


@pytest.mark.parametrize(
	"bad",
	[
		"",
		"abc",
		"a" * 63,
		"a" * 65,
		"A" * 64,
		key("x").upper(),
		"g" * 64,
		"../" + "a" * 61,
		"a" * 62 + "/.",
		"/" + "a" * 63,
		"a" * 64 + "\n",
		"٣" * 64,  # non-ASCII digits
		b"a" * 64,
		None,
		64,
	],
)
def test_bad_keys_raise_value_error(tmp_path, bad):
	store = pdfstore.PdfStore(tmp_path / "store", max_bytes=1000)
	with pytest.raises(ValueError):
		store.get(bad)
	with pytest.raises(ValueError):
		store.put(bad, b"x")
	assert os.listdir(tmp_path) == []


def test_hit_does_not_scan_or_stat_the_directory(tmp_path, monkeypatch):
	store = pdfstore.PdfStore(tmp_path, max_bytes=10_000_000)
	for i in range(50):
		store.put(key(i), b"p" * 1000)
	payload = os.urandom(100_000)
	store.put(key("hot"), payload)

	def forbidden(*args, **kwargs):
		raise AssertionError("a cache hit must not scan or stat")

	with monkeypatch.context() as patch:
		for name in ("scandir", "listdir", "walk", "stat", "lstat"):
			patch.setattr(os, name, forbidden)
		assert store.get(key("hot")) == payload
		assert store.get(key("missing")) is None


def test_hit_is_fast(tmp_path):
	store = pdfstore.PdfStore(tmp_path, max_bytes=10_000_000)
	payload = os.urandom(100_000)
	store.put(key("hot"), payload)
	start = time.perf_counter()
	for _ in range(500):
		assert store.get(key("hot")) is not None
	assert (time.perf_counter() - start) / 500 < 0.001


def test_hit_refreshes_mtime_only_when_old(tmp_path):
	store = pdfstore.PdfStore(tmp_path, max_bytes=10_000)
	old, recent = key("old"), key("recent")
	store.put(old, b"o")
	store.put(recent, b"r")
	set_age(store, old, 2 * HOUR)
	set_age(store, recent, 10 * 60)
	recent_mtime = os.stat(store.path(recent)).st_mtime_ns

	assert store.get(old) == b"o"
	assert store.get(recent) == b"r"
	assert time.time() - os.path.getmtime(store.path(old)) < 60
	assert os.stat(store.path(recent)).st_mtime_ns == recent_mtime


def test_overwrite_is_atomic_for_a_concurrent_reader(tmp_path):
	store = pdfstore.PdfStore(tmp_path, max_bytes=10_000_000, rescan_every_puts=1000)
	k = key("contended")
	first, second = b"A" * 200_000, b"B" * 300_000
	store.put(k, first)
	done = threading.Event()
	seen, bad = set(), []
	reads = 0

	def reader():
		nonlocal reads
		while not done.is_set():
			data = store.get(k)
			reads += 1
			if data == first or data == second:
				seen.add(data[:1])
			else:
				bad.append(None if data is None else (len(data), data[:1], data[-1:]))

	thread = threading.Thread(target=reader)
	thread.start()
	try:
		for i in range(300):
			store.put(k, second if i % 2 == 0 else first)
	finally:
		done.set()
		thread.join()
	assert bad == []
	assert reads > 50
	assert not [name for name in files_under(tmp_path) if os.path.basename(name).startswith(".tmp-")]


def test_size_bound_keeps_the_most_recently_used(tmp_path):
	store = pdfstore.PdfStore(tmp_path, max_bytes=10_000, rescan_every_puts=1000)
	keys = [key(i) for i in range(10)]
	for i, k in enumerate(keys):
		store.put(k, bytes([i]) * 1000)
	assert store.footprint() == (10, 10_000)
	# keys[0] is the oldest, keys[9] the newest...
	for i, k in enumerate(keys):
		set_age(store, k, 10 * HOUR - i * 60)
	# ...until a hit on keys[0] makes it the most recently used.
	assert store.get(keys[0]) == bytes([0]) * 1000

	assert store.put(key("new"), b"n" * 1000) is True

	# 11_000 > 10_000: the two least recently used go, down to 9_000 (90 %).
	assert store.footprint() == (9, 9000)
	assert store.get(keys[1]) is None
	assert store.get(keys[2]) is None
	for k in [keys[0], *keys[3:], key("new")]:
		assert store.get(k) is not None


def test_prune_enforces_size_in_mtime_order(tmp_path):
	big = pdfstore.PdfStore(tmp_path, max_bytes=1_000_000)
	keys = [key(i) for i in range(20)]
	for k in keys:
		big.put(k, b"x" * 1000)
	order = [7, 3, 15, 0, 19, 11, 2, 8, 16, 4, 12, 1, 18, 9, 5, 14, 10, 6, 17, 13]  # oldest first
	for rank, index in enumerate(order):
		set_age(big, keys[index], 1000 - rank)

	small = pdfstore.PdfStore(tmp_path, max_bytes=10_000)
	assert small.prune() == 11  # 20_000 bytes down to 9_000
	kept = {i for i, k in enumerate(keys) if small.get(k) is not None}
	assert kept == set(order[11:])
	assert small.footprint() == (9, 9000)
	assert small.prune() == 0


def test_age_pruning(tmp_path):
	store = pdfstore.PdfStore(tmp_path, max_bytes=1_000_000)
	stale, aging, fresh = key("stale"), key("aging"), key("fresh")
	for k in (stale, aging, fresh):
		store.put(k, b"p" * 100)
	set_age(store, stale, 8 * DAY)
	set_age(store, aging, 6 * DAY)

	assert store.prune(max_age_seconds=7 * DAY) == 1
	assert store.get(stale) is None
	assert store.get(aging) == b"p" * 100
	assert store.get(fresh) == b"p" * 100
	assert store.footprint() == (2, 200)
	assert store.prune() == 0  # without an age and under the limit, nothing goes


def test_prune_removes_stale_temp_files_only(tmp_path):
	store = pdfstore.PdfStore(tmp_path, max_bytes=1_000_000)
	k = key("x")
	store.put(k, b"data")
	shard = tmp_path / k[:2]
	stale, young, stale_top = shard / ".tmp-crashed", shard / ".tmp-writing", tmp_path / ".tmp-marker"
	for path in (stale, young, stale_top):
		path.write_bytes(b"partial")
	two_minutes_ago = time.time() - 120
	os.utime(stale, (two_minutes_ago, two_minutes_ago))
	os.utime(stale_top, (two_minutes_ago, two_minutes_ago))

	assert store.prune() == 0
	assert not stale.exists()
	assert not stale_top.exists()
	assert young.exists()
	assert store.footprint() == (1, 4)  # temp files are not counted


def test_oversize_item_is_not_stored(tmp_path):
	store = pdfstore.PdfStore(tmp_path, max_bytes=1000)
	assert store.put(key("big"), b"x" * 1001) is False
	assert store.get(key("big")) is None
	assert files_under(tmp_path) == []
	assert store.put(key("fits"), b"x" * 1000) is True
	assert store.get(key("fits")) == b"x" * 1000


def test_item_just_put_survives_its_own_pruning(tmp_path):
	store = pdfstore.PdfStore(tmp_path, max_bytes=1000)
	store.put(key("a"), b"a" * 400)
	store.put(key("b"), b"b" * 950)  # over 90 % on its own: everything else goes, not it
	assert store.get(key("b")) == b"b" * 950
	assert store.get(key("a")) is None


def test_running_total_triggers_pruning_without_a_rescan_interval(tmp_path):
	# Rescans by count and time are out of the way: only the running total can trigger pruning.
	store = pdfstore.PdfStore(tmp_path, max_bytes=5000, rescan_every_puts=10**6, rescan_after_seconds=10**6)
	for i in range(30):
		store.put(key(i), b"x" * 1000)
		assert store.footprint()[1] <= 5000


def test_footprint_counts_only_pdfs(tmp_path):
	store = pdfstore.PdfStore(tmp_path, max_bytes=1_000_000)
	assert store.footprint() == (0, 0)
	sizes = [10, 200, 3000, 45_000]
	for i, size in enumerate(sizes):
		store.put(key(i), b"z" * size)
	store.put(key(0), b"z" * 15)  # overwrite: still one file
	(tmp_path / key(1)[:2] / ".tmp-inflight").write_bytes(b"q" * 999)
	(tmp_path / "README").write_text("not a pdf")
	assert store.footprint() == (4, 15 + 200 + 3000 + 45_000)


def test_clear(tmp_path):
	store = pdfstore.PdfStore(tmp_path, max_bytes=1_000_000)
	for i in range(5):
		store.put(key(i), b"c" * 10)
	assert store.clear() == 5
	assert store.footprint() == (0, 0)
	assert store.get(key(0)) is None
	store.put(key(0), b"again")
	assert store.get(key(0)) == b"again"


def _hammer(directory, max_bytes, worker, count, size):
	store = pdfstore.PdfStore(directory, max_bytes=max_bytes, rescan_every_puts=4)
	for i in range(count):
		k = key(f"{worker}-{i}")
		payload = bytes([worker]) * size
		assert store.put(k, payload)
		got = store.get(k)
		assert got is None or got == payload  # another process may have pruned it already


def test_concurrent_puts_from_several_processes(tmp_path):
	max_bytes, size, workers, count = 300_000, 10_000, 4, 50
	context = multiprocessing.get_context("spawn")
	processes = [
		context.Process(target=_hammer, args=(str(tmp_path), max_bytes, worker, count, size))
		for worker in range(workers)
	]
	for process in processes:
		process.start()
	for process in processes:
		process.join(60)
	assert [process.exitcode for process in processes] == [0] * workers

	store = pdfstore.PdfStore(tmp_path, max_bytes=max_bytes)
	# 2 MB were written; the puts' own pruning kept the tree near the limit.
	assert store.footprint()[1] <= 2 * max_bytes, store.footprint()
	store.prune()
	files, total = store.footprint()
	assert 0 < total <= max_bytes
	assert total == files * size
	names = files_under(tmp_path)
	assert not [name for name in names if os.path.basename(name).startswith(".tmp-")]
	assert len([name for name in names if name.endswith(".pdf")]) == files
