"""What several test modules share: paths, polling, free ports, the app in a subprocess,
Chromium's arguments, frames, and stand-in network backends."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import cv2
import numpy as np
from jsonschema import Draft202012Validator
from playwright.sync_api import Page

from frame import Frame
from results import Detection

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"

RESULTS_SCHEMA = json.loads((ROOT / "docs" / "results.schema.json").read_text())

T = TypeVar("T")


def validate_results(results: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless a /results body follows the published schema."""
    Draft202012Validator(RESULTS_SCHEMA).validate(results)


def wait_for(
    condition: Callable[[], T | Literal[False] | None],
    timeout: float = 20.0,
    interval: float = 0.05,
) -> T:
    """Poll until condition() is truthy; the value, or AssertionError after `timeout`. (A truthy
    value is neither False nor None, so a condition written `test and value` gives the value's
    type.)"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The first arguments of an app a test runs to its end: it listens on 127.0.0.1 and a free port
# unless later arguments say otherwise, so a dashboard already running on this machine (on the
# default port 8050) does not make it fail.
ANY_LOCAL_PORT = ("--host", "127.0.0.1", "--port", "0")


def run_app(
    *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python app.py ANY_LOCAL_PORT ARGS` to its end, with `env` added to the environment."""
    return subprocess.run(
        [sys.executable, "app.py", *ANY_LOCAL_PORT, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def start_app(port: int, *args: str, merge_output: bool = False) -> subprocess.Popen[str]:
    """Start `python app.py` on 127.0.0.1:`port` with these arguments; its output piped
    (stderr into stdout with `merge_output`)."""
    return subprocess.Popen(
        [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_output else subprocess.PIPE,
        text=True,
    )


def self_signed_pair(folder: Path, address: str = "127.0.0.1") -> tuple[Path, Path]:
    """A certificate and key for HTTPS on `address`, made by the README's openssl line."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", f"/CN={address}", "-addext", f"subjectAltName=IP:{address}"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def picture(name: str) -> np.ndarray:
    """One of the test pictures in tests/data (see its README)."""
    image = cv2.imread(str(DATA / name))
    assert image is not None, f"cannot read {name}"
    return image


def frame_of(image: Any, index: int = 0, timestamp: float = 0.0) -> Frame:
    """A captured frame of `image`, as the pipeline hands models."""
    return Frame(image, index, timestamp)


class FixedScores:
    """A classifier backend that returns the scores it is given, in turn."""

    labels = ["a", "b"]

    def __init__(self, *scores: list[float]) -> None:
        self._scores = list(scores)

    def classify(self, _image: np.ndarray) -> np.ndarray:
        return np.array(self._scores.pop(0), np.float32)


class ConstantScores:
    """A classifier backend that gives the same scores on every frame."""

    labels = ["a", "b"]

    def classify(self, _image: np.ndarray) -> np.ndarray:
        return np.array([0.9, 0.1], np.float32)


class StillPerson:
    """A detector backend that sees one person, standing still."""

    labels = ["person"]

    def detect(
        self, image: np.ndarray, confidence_threshold: float, nms_threshold: float
    ) -> list[Detection]:
        return [Detection(0, "person", 0.9, (10.0, 10.0, 50.0, 90.0))]


def list_models_rows(table: str) -> list[str]:
    """The rows of --list-models' table (catalogue.describe), its header left out, each with
    its wrapped and indented lines joined to it by a space."""
    rows: list[str] = []
    for line in table.splitlines():
        if line.startswith(" ") and rows:
            rows[-1] += " " + line.strip()
        elif line:
            rows.append(line)
    return rows[1:]


def set_hidden(page: Page, hidden: bool) -> None:
    """What the browser does when the user switches to another tab and back (a headless page
    is never hidden by itself)."""
    page.evaluate(
        """(hidden) => {
            Object.defineProperty(document, "hidden", {value: hidden, configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        hidden,
    )
