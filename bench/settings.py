"""Benchmark of the control plane: how long a PUT of a live setting takes while the networks run.

    .venv/bin/python -m bench.settings [--puts 200] [--modes sync,async]

Prints figures, never passes or fails. For each network mode, starts `python app.py` with all
six network types (their defaults) on the 640x480 test pattern, connects one MJPEG viewer that
reads the stream throughout, waits until every network has a result, then sends --puts PUTs,
one every 20 ms as a slider would, cycling through detection/confidence_threshold,
classification/output_smoothing, segmentation/overlay_alpha, stream/overlay_stats and
pose/confidence_threshold. Each PUT is timed from connect to the last byte of the answer, and
checked: 200 with the value sent. A GET of the same setting follows each PUT, and must return
the new value.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import cycle
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
TYPES = ["classification", "detection", "segmentation", "pose", "action", "background"]
SETTINGS: list[tuple[str, list[Any]]] = [
    ("/detection/confidence_threshold", [0.45, 0.5]),
    ("/classification/output_smoothing", [0.2, 0.0]),
    ("/segmentation/overlay_alpha", [120, 150]),
    ("/stream/overlay_stats", [True, False]),
    ("/pose/confidence_threshold", [0.45, 0.5]),
]
PUT_INTERVAL_S = 0.02


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_app(mode: str) -> Iterator[str]:
    """The app with all six networks in `mode`, until every network has a result."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [
        sys.executable,
        "app.py",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--network-mode",
        mode,
        *(f"--{t}" for t in TYPES),
    ]
    app = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if all(requests.get(url + "/results", timeout=2).json().values()):
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError("the app did not start")
        yield url
    finally:
        app.terminate()
        app.wait(20)


def watch(url: str, stop: threading.Event, frames: list[int]) -> None:
    """One MJPEG viewer, reading everything until `stop`; counts the bytes' parts."""
    with requests.get(url + "/video_feed", stream=True, timeout=10) as response:
        for chunk in response.iter_content(65536):
            frames[0] += chunk.count(b"--frame")
            if stop.is_set():
                return


def time_puts(url: str, count: int) -> list[float]:
    """ms of each PUT; each checked, and followed by a GET that must see the new value."""
    times = []
    settings = cycle((path, value) for path, values in SETTINGS for value in values)
    for _, (path, value) in zip(range(count), settings):
        body = json.dumps(value)
        started = time.perf_counter()
        answer = requests.put(url + path, data=body, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200 or answer.json() != value:
            raise RuntimeError(f"PUT {path} {body}: {answer.status_code} {answer.text}")
        if requests.get(url + path, timeout=30).json() != value:
            raise RuntimeError(f"GET {path} after PUT {body} did not return it")
        time.sleep(PUT_INTERVAL_S)
    return times


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puts", type=int, default=200, help="PUTs per mode")
    parser.add_argument("--modes", default="sync,async", help="network modes to measure")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; all six networks, 640x480 test pattern, one viewer")
    print(f"{args.puts} PUTs per mode, one every {PUT_INTERVAL_S * 1000:.0f} ms\n")
    print("| mode | median ms | p95 ms | p99 ms | max ms | viewer fps meanwhile |")
    print("|---|---|---|---|---|---|")
    for mode in args.modes.split(","):
        with running_app(mode) as url:
            stop, frames = threading.Event(), [0]
            viewer = threading.Thread(target=watch, args=(url, stop, frames), daemon=True)
            viewer.start()
            time.sleep(2)
            first, started = frames[0], time.monotonic()
            times = time_puts(url, args.puts)
            fps = (frames[0] - first) / (time.monotonic() - started)
            stop.set()
        print(
            f"| {mode} | {statistics.median(times):.1f} | {percentile(times, 0.95):.1f} | "
            f"{percentile(times, 0.99):.1f} | {max(times):.1f} | {fps:.1f} |"
        )


if __name__ == "__main__":
    main()
