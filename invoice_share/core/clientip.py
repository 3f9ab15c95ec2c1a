"""The address a request really came from, for per-client rate limits (no Frappe import).

`X-Forwarded-For` is written by the client first and by each proxy after it, so its first entry
is whatever the client wants it to be (Frappe's `request_ip` takes that one). Here the chain is
walked back from the socket's peer: while the hop we are looking at is a proxy we trust, the
address it reports is believed; the first address that is not a trusted proxy is the client.
With no trusted proxies the client is the socket's peer; the app trusts `LOOPBACK` (where the
nginx of a production bench connects from) unless the settings name other proxies.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Proxies on this machine (nginx in front of a bench): trusted when no others are configured.
LOOPBACK = "127.0.0.1\n::1"


class InvalidProxy(ValueError):
	"""A trusted-proxy entry that is neither an IP address nor a network."""


def parse_networks(text: str | None) -> list[Network]:
	"""Addresses or CIDR networks, one per line or separated by commas or spaces."""
	networks = []
	for entry in (text or "").replace(",", " ").split():
		try:
			networks.append(ipaddress.ip_network(entry, strict=False))
		except ValueError:
			raise InvalidProxy(entry) from None
	return networks


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
	text = (text or "").strip()
	if text.startswith("[") and "]" in text:  # [::1]:8080
		text = text[1 : text.index("]")]
	elif text.count(":") == 1:  # 203.0.113.7:51234
		text = text.split(":", 1)[0]
	try:
		address = ipaddress.ip_address(text)
	except ValueError:
		return None
	mapped = getattr(address, "ipv4_mapped", None)
	return mapped or address


def client_address(peer: str | None, forwarded_for: str | None, trusted: Iterable[Network]) -> str:
	"""The client's address as the nearest trusted proxy saw it (the peer itself when none is)."""
	trusted = list(trusted)
	chain = [peer, *reversed((forwarded_for or "").split(","))] if trusted else [peer]
	client = _address(peer)
	for hop in chain:
		address = _address(hop)
		if address is None:
			break  # garbage in the header: stop at the last address we could believe
		client = address
		if not any(address in network for network in trusted):
			break
	return str(client) if client is not None else (peer or "unknown")
