"""Debian's nginx in front of a dashboard, with deploy/nginx.conf, for the tests and benchmarks.

It runs unprivileged (as nobody when started by root), from a folder of its own: the config,
pid file, logs and temporary files there, a self-signed certificate made with openssl, and
free loopback ports instead of 443 and 80. Only what needs changing for that is changed in
deploy/nginx.conf; each change must find its line, so that the test runs the real file.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NOBODY = 65534
START_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Proxy:
    """A running nginx: its HTTPS and HTTP ports and the certificate it serves."""

    https_port: int
    http_port: int
    certificate: Path
    folder: Path

    @property
    def url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def error_log(self) -> str:
        return (self.folder / "error.log").read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


def site_config(
    upstream: str,
    https_port: int,
    http_port: int,
    cert: Path,
    key: Path,
    variant: tuple[tuple[str, str], ...] = (),
) -> str:
    """deploy/nginx.conf with this upstream (unix:PATH, or HOST:PORT), these ports and this
    certificate (and, for a benchmark, the `variant`'s changes)."""
    text = CONFIG.read_text()
    changes = [
        ("server unix:/run/dashboard/dashboard.sock;", f"server {upstream};"),
        ("listen 443 ssl http2", f"listen 127.0.0.1:{https_port} ssl http2"),
        ("    listen [::]:443 ssl http2 sndbuf=128k;\n", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("    listen [::]:80;\n", ""),
        ("/etc/ssl/dashboard/cert.pem", str(cert)),
        ("/etc/ssl/dashboard/key.pem", str(key)),
        *variant,
    ]
    for old, new in changes:
        assert text.count(old) == 1, f"deploy/nginx.conf no longer has {old.strip()!r} once"
        text = text.replace(old, new)
    return text


def main_config(folder: Path) -> str:
    """nginx.conf's own part: everything in `folder`, and the site's config included."""
    temp = {name: folder / "temp" / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    return f"""
daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {folder / "dashboard.conf"};
}}
"""


def wait_until_listening(port: int, process: subprocess.Popen[bytes], folder: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (folder / "error.log").read_text(errors="replace")
            raise RuntimeError(f"nginx exited with {process.returncode}: {log}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("nginx did not listen in time")


@contextmanager
def running_nginx(upstream: str, variant: tuple[tuple[str, str], ...] = ()) -> Iterator[Proxy]:
    """nginx with deploy/nginx.conf in front of the dashboard at `upstream` (unix:PATH, or
    HOST:PORT), in a temporary folder of its own."""
    with tempfile.TemporaryDirectory(prefix="dashboard-nginx-") as name:
        folder = Path(name)
        (folder / "temp").mkdir()
        cert, key = make_certificate(folder)
        https_port, http_port = free_port(), free_port()
        site = site_config(upstream, https_port, http_port, cert, key, variant)
        (folder / "dashboard.conf").write_text(site)
        (folder / "nginx.conf").write_text(main_config(folder))
        command = [NGINX, "-p", name, "-c", str(folder / "nginx.conf"), "-e", "error.log"]
        if os.geteuid() == 0:  # root: run it as nobody, in a folder nobody owns
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, NOBODY, NOBODY)
            as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
            command = as_nobody + command
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_listening(https_port, process, folder)
            yield Proxy(https_port, http_port, cert, folder)
        finally:
            process.terminate()
            process.wait(10)
