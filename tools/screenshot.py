"""Makes docs/dashboard.png: the dashboard with all six networks on a busy test picture.

    .venv/bin/python -m tools.screenshot

Puts three test pictures side by side (a person, a cat, a cup on a table), starts `app.py`
on a free port with that picture as its input, opens the page in Debian's chromium
(Playwright) and saves a screenshot of the first screen once the networks' results are in.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import requests
from playwright.sync_api import sync_playwright

from tools.chromium import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "dashboard.png"
PICTURES = ROOT / "tests" / "data"


def busy_picture() -> np.ndarray:
    """A 640x480 picture with work for every network: the astronaut (her middle, at full
    height) on the left, the cat above the cup on the right."""
    astronaut = cv2.imread(str(PICTURES / "astronaut.jpg"))[:, 60:401]
    halves = [cv2.resize(astronaut, (320, 480), interpolation=cv2.INTER_AREA)]
    right = [cv2.imread(str(PICTURES / name)) for name in ("chelsea.jpg", "coffee.jpg")]
    halves.append(
        np.vstack([cv2.resize(p, (320, 240), interpolation=cv2.INTER_AREA) for p in right])
    )
    return np.hstack(halves)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="dashboard-") as folder:
        picture = Path(folder) / "astronaut-cat-cup.png"
        cv2.imwrite(str(picture), busy_picture())
        screenshot(picture)
    print(f"saved {OUTPUT}")


def screenshot(picture: Path) -> None:
    """Serve the picture with every network on, and save the page's first screen."""
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
            str(picture),
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


if __name__ == "__main__":
    main()
