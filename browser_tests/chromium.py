"""What the browser tests share: where Chromium is, and its options for a closed network."""

import os

CHROMIUM = os.environ.get("INVOICE_SHARE_CHROMIUM", "/usr/bin/chromium")

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
