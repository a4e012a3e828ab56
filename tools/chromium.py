"""How this project starts Debian's Chromium under Playwright (tests and tools alike)."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright cannot download its own browser here
# As root on a machine with no network: no sandbox, no background traffic to Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
