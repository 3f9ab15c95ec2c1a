import pytest

from invoice_share.core import clientip
from invoice_share.core.clientip import InvalidProxy, client_address, parse_networks

NGINX = parse_networks("127.0.0.1 ::1")


def test_without_trusted_proxies_the_header_is_ignored():
	assert client_address("198.51.100.4", "1.2.3.4", []) == "198.51.100.4"
	assert client_address("198.51.100.4", None, []) == "198.51.100.4"


def test_a_forged_first_entry_cannot_pick_the_bucket():
	# The client sent "X-Forwarded-For: 6.6.6.6"; nginx appended the address it saw.
	assert client_address("127.0.0.1", "6.6.6.6, 203.0.113.9", NGINX) == "203.0.113.9"
	assert client_address("127.0.0.1", "203.0.113.9", NGINX) == "203.0.113.9"


def test_a_request_that_did_not_come_through_the_proxy_is_its_own_client():
	assert client_address("203.0.113.9", "6.6.6.6", NGINX) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_is_walked_back():
	proxies = parse_networks("127.0.0.1\n10.0.0.0/8")
	assert client_address("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.2.3", proxies) == "198.51.100.1"


def test_only_trusted_proxies_everywhere_gives_the_farthest_one():
	assert client_address("127.0.0.1", "127.0.0.1", NGINX) == "127.0.0.1"


def test_garbage_in_the_header_stops_the_walk():
	assert client_address("127.0.0.1", "203.0.113.9, not-an-ip", NGINX) == "127.0.0.1"


def test_ports_brackets_and_mapped_addresses():
	assert client_address("::ffff:127.0.0.1", "203.0.113.9:5555", NGINX) == "203.0.113.9"
	assert client_address("::1", "[2001:db8::1]:443", NGINX) == "2001:db8::1"


def test_parse_networks():
	assert [str(n) for n in parse_networks("127.0.0.1, 10.0.0.0/8\n::1")] == [
		"127.0.0.1/32",
		"10.0.0.0/8",
		"::1/128",
	]
	assert parse_networks("") == [] and parse_networks(None) == []
	with pytest.raises(InvalidProxy):
		parse_networks("127.0.0.1 nginx.local")


def test_a_trusted_proxy_that_sent_no_header_is_the_client():
	assert client_address("127.0.0.1", None, NGINX) == "127.0.0.1"
	assert client_address("127.0.0.1", "", NGINX) == "127.0.0.1"


def test_ipv6_clients_behind_an_ipv6_proxy():
	assert client_address("::1", "2001:db8::7,2001:db8::9", NGINX) == "2001:db8::9"


def test_a_forged_entry_naming_a_trusted_proxy_is_not_a_way_past_the_client():
	# The client wrote "127.0.0.1" hoping to be skipped as a proxy; nginx appended its real address.
	assert client_address("127.0.0.1", "6.6.6.6, 127.0.0.1, 203.0.113.9", NGINX) == "203.0.113.9"


def test_loopback_default_believes_the_local_nginx_and_nobody_else():
	loopback = clientip.parse_networks(clientip.LOOPBACK)
	# nginx on this machine (127.0.0.1 or ::1) reports the client it saw
	assert clientip.client_address("127.0.0.1", "198.51.100.7", loopback) == "198.51.100.7"
	assert clientip.client_address("::1", "2001:db8::5", loopback) == "2001:db8::5"
	# a client connecting directly cannot pick its bucket with the header
	assert clientip.client_address("203.0.113.9", "198.51.100.7", loopback) == "203.0.113.9"
	# two buyers behind the same nginx are two clients
	assert clientip.client_address("127.0.0.1", "198.51.100.7", loopback) != clientip.client_address(
		"127.0.0.1", "198.51.100.8", loopback
	)
