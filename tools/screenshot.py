"""Makes docs/dashboard.png: the dashboard with all six networks on a test picture.

    .venv/bin/python -m tools.screenshot

Starts `app.py` on a free port, opens the page in Debian's chromium (Playwright) and
saves a screenshot of the first screen once the networks' results are in.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

from tools.chromium import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "dashboard.png"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    port = free_port()
    app = subprocess.Popen(
        [
            sys.executable,
            "app.py",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--input",
            "tests/data/grace_hopper.jpg",
            "--input-loop",
            "-1",
            "--input-rate",
            "15",
            "--input-width",
            "640",
            "--input-height",
            "480",
            "--title",
            "DNN Dashboard",
            "--classification",
            "--detection",
            "--segmentation",
            "--pose",
            "--action",
            "--background",
        ],
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if all(requests.get(url + "/results", timeout=2).json().values()):
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url + "/")
            page.wait_for_timeout(8000)  # the stats settle once the page has loaded
            OUTPUT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(OUTPUT))
            browser.close()
    finally:
        app.terminate()
        app.wait(10)
    print(f"saved {OUTPUT}")


if __name__ == "__main__":
    main()
