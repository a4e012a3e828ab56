"""The command line, run as users run it: `python app.py ...` in a subprocess."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from helpers import ROOT, free_port, run_app, self_signed_pair, start_app
from mjpeg_client import MjpegViewer, decode


@pytest.mark.parametrize(
    "uri", ["/no/such/video.mp4", "v4l2:///dev/video42", "csi://0", "gopher://nowhere"]
)
def test_bad_input_exits_2_with_a_one_line_message(uri):
    result = run_app("--input", uri)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and uri in lines[0], result.stderr


def test_missing_test_pattern_picture_exits_2_with_a_one_line_message():
    code = (
        "import sys, pathlib, sources, app; "
        "sources.PATTERN_PHOTO = pathlib.Path('/no/such/astronaut.jpg'); "
        "sys.exit(app.main(['--port', '0']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: input test pattern:"), result.stderr
    assert result.stderr.count("\n") == 1 and "/no/such/astronaut.jpg" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--no-such-flag"],
        ["--input-flip", "sideways"],
        ["--jpeg-quality", "0"],
        ["--ssl-cert", "cert.pem"],
        ["--input-width", "-5"],
        ["--input-width", "70000"],
        ["--port", "70000"],
    ],
)
def test_bad_flags_exit_2_with_usage(args):
    result = run_app(*args)
    assert result.returncode == 2
    assert "usage:" in result.stderr and "Traceback" not in result.stderr


def test_unreadable_ssl_files_exit_2_with_a_message(tmp_path):
    (tmp_path / "cert.pem").write_text("not a certificate")
    result = run_app("--ssl-cert", str(tmp_path / "cert.pem"), "--ssl-key", "/no/key.pem")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: --ssl-cert/--ssl-key:"), result.stderr


def test_help_lists_the_flags():
    result = run_app("--help")
    assert result.returncode == 0
    for flag in (
        "--input",
        "--input-width",
        "--input-height",
        "--input-rate",
        "--input-loop",
        "--input-flip",
        "--host",
        "--port",
        "--title",
        "--ssl-cert",
        "--ssl-key",
        "--jpeg-quality",
    ):
        assert flag in result.stdout


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_app_serves_video_and_stops_cleanly_on_signal(stop_signal):
    port = free_port()
    process = start_app(
        port, "--input-width", "320", "--input-height", "240", "--title", "Lab camera"
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, process.stderr
            time.sleep(0.1)
        assert "Lab camera" in requests.get(f"http://127.0.0.1:{port}/", timeout=5).text
        with MjpegViewer("127.0.0.1", port) as viewer:
            assert decode(viewer.next_part().body).shape == (240, 320, 3)
            process.send_signal(stop_signal)
            assert process.wait(timeout=10) == 0
    finally:
        process.kill()
    _, stderr = process.communicate()
    assert "Traceback" not in stderr


def test_https_with_ssl_cert_and_key(tmp_path):
    cert, key = self_signed_pair(tmp_path)
    port = free_port()
    process = start_app(port, "--ssl-cert", str(cert), "--ssl-key", str(key))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(
                    f"https://127.0.0.1:{port}/healthz", verify=str(cert), timeout=2
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
        assert response.json()["status"] == "ok"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        # A connection that never starts its TLS handshake holds up nobody, nor the exit.
        with socket.create_connection(("127.0.0.1", port)):
            again = requests.get(f"https://127.0.0.1:{port}/healthz", verify=str(cert), timeout=5)
            assert again.json()["status"] == "ok"
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def test_a_port_in_use_is_found_before_any_network_loads_with_a_plain_message():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_app("--host", "127.0.0.1", "--port", str(port), "--detection", "--pose")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use: another program "
        "has this port; stop it or choose another --port"
    ], result.stderr
    assert "loaded" not in result.stdout + result.stderr


def test_the_start_line_lists_every_address_a_user_can_open(monkeypatch):
    from app import page_urls

    addresses = {"127.0.0.1", "::1", "192.168.1.20", "10.0.0.5", "fe80::1", "2001:db8::7"}
    monkeypatch.setattr("security.local_addresses", lambda: addresses)
    assert page_urls("http", "0.0.0.0", 8050) == [
        "http://localhost:8050",
        "http://10.0.0.5:8050",
        "http://192.168.1.20:8050",
    ]
    assert page_urls("https", "::", 443)[-1] == "https://[2001:db8::7]:443"
    assert page_urls("http", "127.0.0.1", 8050) == ["http://127.0.0.1:8050"]


def test_help_shows_the_defaults():
    help_text = " ".join(run_app("--help").stdout.split())
    for said in (
        "--host HOST interface to listen on; 0.0.0.0: every interface",
        "(default: 0.0.0.0)",
        "--port PORT port to listen on (default: 8050)",
        "default: the input's own, 640 for the test pattern",
        "30 for the test pattern",
        "a single image is held",
    ):
        assert said in help_text, said


@pytest.mark.parametrize("log_polls", [False, True])
def test_verbose_logs_one_timestamp_a_line_and_the_polls_only_when_asked(log_polls):
    port = free_port()
    flags = ["--verbose", "--log-polls"] if log_polls else ["--verbose"]
    process = start_app(port, *flags, merge_output=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/stats", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
        requests.get(url + "/stream/max_fps", timeout=2)
        requests.get(url + "/api/properties", timeout=2)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=10)
    finally:
        process.kill()
    requests_logged = [line for line in output.splitlines() if '"GET ' in line]
    assert any("/stream/max_fps" in line for line in requests_logged), output
    polls = [line for line in requests_logged if "/stats" in line or "/api/properties" in line]
    assert bool(polls) == log_polls, requests_logged
    for line in requests_logged:
        assert line.count(time.strftime("%Y")) == 1, line  # the log's timestamp only
        assert "[" not in line, line  # not werkzeug's own [date] besides


def test_the_port_is_bound_at_once_and_refuses_connections_until_the_app_is_ready():
    from app import listen
    from cli import parse_args

    server = listen(parse_args(["--host", "127.0.0.1", "--port", "0"]), None)
    try:
        port = server.server_port
        with pytest.raises(ConnectionRefusedError):  # refused, not left waiting while loading
            socket.create_connection(("127.0.0.1", port), timeout=2)
        server.listen()
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        server.server_close()
