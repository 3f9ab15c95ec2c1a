"""A bounded on-disk cache of rendered PDFs: `<directory>/<key[:2]>/<key>.pdf`.

No Frappe import here: this module is tested on its own. The Frappe layer supplies the directory
(the site's private files folder) and the size limit.

A hit is one open, fstat and read. Writes go to a temp file in the same folder and are moved into
place with os.replace, so a reader sees the old file or the new one, never half of one. A hit
refreshes the file's mtime when it is older than `touch_after_seconds`, so mtime tells which files
were used lately and size pruning drops the least recently used first.

The total size is tracked roughly in a small marker file (`.usage.json`): each put adds its size,
and the tree is scanned only when the estimate goes over `max_bytes`, after `rescan_every_puts`
puts, or when the last scan is older than `rescan_after_seconds`. Several processes may share the
directory; files vanishing under a scan are expected and ignored.
"""

import json
import os
import re
import stat
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass

_KEY = re.compile(r"[0-9a-f]{64}")
SUFFIX = ".pdf"
TEMP_PREFIX = ".tmp-"
USAGE_FILE = ".usage.json"
# Pruning for size goes down to this share of max_bytes, so it does not run on every put.
LOW_WATER = 0.9
# Temp files older than this belong to a crashed writer.
STALE_TEMP_SECONDS = 60
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class _Usage:
	total_bytes: int
	scanned_at: float
	puts_since_scan: int


@dataclass(frozen=True)
class _Entry:
	path: str
	size: int
	mtime: float


class PdfStore:
	"""PDF bytes by sha256 hex key, kept under `directory` within about `max_bytes`."""

	def __init__(
		self,
		directory: str | os.PathLike[str],
		max_bytes: int = 500 * 1024 * 1024,
		*,
		touch_after_seconds: float = 3600,
		rescan_every_puts: int = 64,
		rescan_after_seconds: float = 300,
	) -> None:
		if max_bytes <= 0:
			raise ValueError("max_bytes must be positive")
		self.directory = os.path.abspath(os.fspath(directory))
		self.max_bytes = int(max_bytes)
		self.touch_after_seconds = touch_after_seconds
		self.rescan_every_puts = max(1, int(rescan_every_puts))
		self.rescan_after_seconds = rescan_after_seconds
		self._usage_path = os.path.join(self.directory, USAGE_FILE)

	def path(self, key: str) -> str:
		"""Where the PDF of `key` lives; ValueError unless key is 64 lowercase hex characters."""
		if not isinstance(key, str) or _KEY.fullmatch(key) is None:
			raise ValueError("a PDF store key is a 64-character lowercase hex sha256 digest")
		return os.path.join(self.directory, key[:2], key + SUFFIX)

	def get(self, key: str) -> bytes | None:
		"""The stored bytes, or None when there are none."""
		path = self.path(key)
		try:
			fd = os.open(path, _OPEN_FLAGS)
		except (FileNotFoundError, NotADirectoryError):
			return None
		try:
			info = os.fstat(fd)
			data = _read_all(fd, info.st_size)
		finally:
			os.close(fd)
		if time.time() - info.st_mtime > self.touch_after_seconds:
			with suppress(OSError):
				os.utime(path)
		return data

	def put(self, key: str, data: bytes) -> bool:
		"""Store `data` atomically; False (nothing written) when it alone exceeds max_bytes."""
		path = self.path(key)
		if not isinstance(data, bytes):
			data = bytes(data)
		size = len(data)
		if size > self.max_bytes:
			return False
		try:
			replaced = os.stat(path).st_size
		except (FileNotFoundError, NotADirectoryError):
			replaced = 0
		self._write_atomic(path, data)

		now = time.time()
		usage = self._read_usage()
		if (
			usage is None
			or usage.puts_since_scan + 1 >= self.rescan_every_puts
			or not 0 <= now - usage.scanned_at < self.rescan_after_seconds
		):
			self._enforce(now, keep=path)
			return True
		total = max(0, usage.total_bytes + size - replaced)
		if total > self.max_bytes:
			self._enforce(now, keep=path)
		else:
			self._write_usage(_Usage(total, usage.scanned_at, usage.puts_since_scan + 1))
		return True

	def prune(self, max_age_seconds: float | None = None) -> int:
		"""Drop PDFs not touched for max_age_seconds, then enforce max_bytes; return how many went."""
		return self._enforce(time.time(), max_age_seconds=max_age_seconds)

	def footprint(self) -> tuple[int, int]:
		"""(number of stored PDFs, their total bytes), from a scan."""
		entries, _temps = self._scan()
		return len(entries), sum(entry.size for entry in entries)

	def clear(self) -> int:
		"""Remove every stored PDF, stale temp files and the usage marker; return how many PDFs went."""
		now = time.time()
		entries, temps = self._scan()
		self._remove_stale_temps(temps, now)
		removed = sum(1 for entry in entries if _unlink(entry.path))
		_unlink(self._usage_path)
		return removed

	def _enforce(self, now: float, *, max_age_seconds: float | None = None, keep: str | None = None) -> int:
		entries, temps = self._scan()
		self._remove_stale_temps(temps, now)
		removed = 0
		if max_age_seconds is not None:
			cutoff = now - max_age_seconds
			fresh = []
			for entry in entries:
				if entry.mtime < cutoff and entry.path != keep:
					removed += _unlink(entry.path)
				else:
					fresh.append(entry)
			entries = fresh
		total = sum(entry.size for entry in entries)
		if total > self.max_bytes:
			target = int(self.max_bytes * LOW_WATER)
			for entry in sorted(entries, key=lambda entry: entry.mtime):
				if total <= target:
					break
				if entry.path == keep:
					continue
				# Gone already means another process pruned it: the space is free all the same.
				removed += _unlink(entry.path)
				total -= entry.size
		self._write_usage(_Usage(total, now, 0))
		return removed

	def _scan(self) -> tuple[list[_Entry], list[_Entry]]:
		"""Stored PDFs and temp files, skipping whatever vanishes meanwhile."""
		entries: list[_Entry] = []
		temps: list[_Entry] = []
		try:
			with os.scandir(self.directory) as top:
				shards = []
				for item in top:
					if item.name.startswith(TEMP_PREFIX):
						_collect(item, temps)
					elif len(item.name) == 2 and item.is_dir(follow_symlinks=False):
						shards.append(item.path)
		except FileNotFoundError:
			return entries, temps
		for shard in shards:
			try:
				with os.scandir(shard) as items:
					for item in items:
						if item.name.endswith(SUFFIX):
							_collect(item, entries)
						elif item.name.startswith(TEMP_PREFIX):
							_collect(item, temps)
			except (FileNotFoundError, NotADirectoryError):
				continue
		return entries, temps

	def _remove_stale_temps(self, temps: list[_Entry], now: float) -> None:
		for temp in temps:
			if now - temp.mtime > STALE_TEMP_SECONDS:
				_unlink(temp.path)

	def _write_atomic(self, path: str, data: bytes) -> None:
		folder = os.path.dirname(path)
		for attempt in range(3):
			os.makedirs(folder, exist_ok=True)
			try:
				fd, temp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
				break
			except FileNotFoundError:
				# The folder was removed between makedirs and mkstemp: make it again.
				if attempt == 2:
					raise
		try:
			with os.fdopen(fd, "wb") as f:
				f.write(data)
			os.replace(temp, path)
		except BaseException:
			_unlink(temp)
			raise

	def _read_usage(self) -> _Usage | None:
		try:
			with open(self._usage_path, "rb") as f:
				raw = json.loads(f.read())
			return _Usage(int(raw["total_bytes"]), float(raw["scanned_at"]), int(raw["puts_since_scan"]))
		except (OSError, ValueError, TypeError, KeyError):
			return None

	def _write_usage(self, usage: _Usage) -> None:
		payload = {
			"total_bytes": usage.total_bytes,
			"scanned_at": usage.scanned_at,
			"puts_since_scan": usage.puts_since_scan,
		}
		self._write_atomic(self._usage_path, json.dumps(payload).encode())


def _read_all(fd: int, size: int) -> bytes:
	data = os.read(fd, size)
	if len(data) == size:
		return data
	parts = [data]
	while chunk := os.read(fd, max(size - sum(map(len, parts)), 65536)):
		parts.append(chunk)
	return b"".join(parts)


def _collect(item: os.DirEntry, into: list[_Entry]) -> None:
	try:
		info = item.stat(follow_symlinks=False)
	except FileNotFoundError:
		return
	if stat.S_ISREG(info.st_mode):
		into.append(_Entry(item.path, info.st_size, info.st_mtime))


def _unlink(path: str) -> bool:
	"""True if this call removed the file, False if it was already gone."""
	try:
		os.unlink(path)
	except FileNotFoundError:
		return False
	return True
