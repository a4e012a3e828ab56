"""A quiet start: the app prints only its own log lines, unless --verbose (quiet.py)."""

from __future__ import annotations

import io
import re
import signal
import subprocess
import sys
import time

import requests

from helpers import ROOT, free_port, start_app
from quiet import filter_lines

ALL_NETWORKS = (
    "--classification",
    "--detection",
    "--segmentation",
    "--pose",
    "--action",
    "--background",
)
APP_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
CPP_LINE = re.compile(r"[IWEF]\d{4} [\d:.]+ +\d+ [^ \]]+:\d+\] |INFO: Created TensorFlow Lite")


def run_all_networks(*args: str) -> list[str]:
    """Run the app with all six networks until each has run on frames, stop it with SIGINT;
    the lines it printed, stdout and stderr together."""
    port = free_port()
    process = start_app(port, *ALL_NETWORKS, *args, merge_output=True)
    try:
        deadline = time.monotonic() + 60
        while not all_networks_ran(port):
            assert time.monotonic() < deadline and process.poll() is None, "not serving"
            time.sleep(0.2)
        time.sleep(2)  # a few more frames: some lines come at a network's first person, say
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, output
    return output.splitlines()


def all_networks_ran(port: int) -> bool:
    try:
        networks = requests.get(f"http://127.0.0.1:{port}/stats", timeout=2).json()["networks"]
    except requests.ConnectionError:
        return False
    return len(networks) == len(ALL_NETWORKS) and all(
        network["ms"] is not None for network in networks.values()
    )


def test_start_prints_only_the_apps_own_lines():
    lines = run_all_networks()
    assert [line for line in lines if not APP_LINE.match(line)] == []
    assert sum(line.endswith(" loaded") for line in lines) == len(ALL_NETWORKS)


def test_verbose_shows_the_runtimes_own_lines():
    lines = run_all_networks("--verbose")
    assert any(CPP_LINE.match(line) for line in lines), lines


def test_filter_drops_info_and_warnings_and_passes_the_rest():
    hidden = [
        b"I0000 00:00:1796213356.029167    4588 task_runner.cc:85] GPU suport...\n",
        b"W1202 12:09:16.038177 4599 inference_feedback_manager.cc:114] Feedback...\n",
        b"WARNING: All log messages before absl::InitializeLog() is called are written\n",
        b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n",
    ]
    shown = [
        b"E0000 00:00:1796213356.029167    4588 calculator_graph.cc:887] failed\n",
        b"F0000 00:00:1796213356.029167    4588 tensor.cc:12] Check failed: x\n",
        b"[ WARN:0@0.5] global cap_v4l.cpp:914 open VIDEOIO(V4L2:/dev/video0): can't open\n",
        b"Fatal Python error: Segmentation fault\n",
        b"no newline at the end",
    ]
    sink = io.BytesIO()
    filter_lines(io.BytesIO(b"".join(hidden + shown)), sink)
    assert sink.getvalue() == b"".join(shown)


def test_what_a_crashing_app_writes_last_is_still_shown():
    code = (
        "import os, quiet; quiet.start(verbose=False); "
        "os.write(2, b'F0000 00:00:1.5 7 tensor.cc:12] Check failed: x\\n'); os.abort()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == -signal.SIGABRT
    assert "Check failed: x" in result.stderr
