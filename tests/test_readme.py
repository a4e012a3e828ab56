"""The README stays true to the code."""

from __future__ import annotations

import json
import subprocess

import cv2
import requests

from helpers import ROOT, free_port, start_app, wait_for
from tools.settings_table import README, readme_table_block, settings_table


def test_readme_settings_table_is_current():
    assert readme_table_block(README.read_text()) == settings_table(), (
        "run: .venv/bin/python -m tools.settings_table --write"
    )


def test_readme_opens_with_the_run_and_test_commands():
    first_block = README.read_text().split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands == ["./setup.sh && .venv/bin/python app.py", "./run-tests.sh"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./run-tests.sh" in ci


def curl_block() -> list[str]:
    """The lines of the README's block that starts the app with --detection and talks to it."""
    blocks = README.read_text().split("```bash\n")[1:]
    block = next(b.split("```", 1)[0] for b in blocks if "app.py --detection &" in b)
    return block.splitlines()


def test_the_readme_curl_block_runs_as_it_says(tmp_path):
    lines = curl_block()
    assert lines[0].startswith(".venv/bin/python app.py --detection &")
    port = free_port()
    app = start_app(port, "--detection")
    try:
        wait_for(lambda: running(port), timeout=60)
        outputs: list[str] = []
        for line in lines[1:]:
            if line.startswith("#"):  # what the line before answers
                assert outputs[-1] == line.lstrip("# ").split(" ", 1)[1], line
                continue
            command = line.split("  #")[0].replace("localhost:8050", f"127.0.0.1:{port}")
            result = subprocess.run(
                command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=20
            )
            assert result.returncode in (0, 28), (line, result.stderr)  # 28: --max-time is up
            outputs.append(result.stdout.strip())
            said = line.split("  #", 1)[1].strip() if "  #" in line else ""
            if said.split(":")[0] in ("0.4", "0.7", "true", '"nanodet-coco"'):
                assert outputs[-1] == said.split(":")[0], line
    finally:
        app.terminate()
        app.wait(timeout=10)
    assert json.loads(outputs[4])["detections"] is not None
    assert cv2.imread(str(tmp_path / "snapshot.jpg")).shape == (480, 640, 3)
    headers = outputs[6]
    assert headers.startswith("HTTP/1.") and " 200 " in headers.splitlines()[0]
    assert "multipart/x-mixed-replace" in headers
    assert "\ufffd" not in headers and "JFIF" not in headers, "no JPEG bytes in the terminal"
    stream = (tmp_path / "stream.mjpeg").read_bytes()
    assert stream.count(b"--frame") >= 10, "three seconds of parts"


def running(port: int) -> bool:
    """Whether the app answers and its detector has a result (as a user who opened the page)."""
    try:
        results = requests.get(f"http://127.0.0.1:{port}/results", timeout=2)
    except requests.ConnectionError:
        return False
    return results.ok and results.json().get("detection") is not None
