"""Viewers through nginx (deploy/nginx.conf, tools/nginx.py): what a fast viewer gets over
HTTP/2, and how far behind a slow one falls.

The dashboard serves a 640x480 30 fps test pattern in this process; Debian's nginx sits in
front with TLS. A fast viewer is curl over HTTP/2. A slow viewer reads over TLS (HTTP/1.1)
at a fixed byte rate, a fraction of the stream's, with a 64 KiB receive buffer; for each part
it gets, its lag is the time since the frame was captured (X-Timestamp), and the frames it is
behind the one the dashboard shows. The same is measured with the config's sndbuf=256k taken
out, and with nginx reaching the dashboard over TCP instead of its UNIX socket.

    .venv/bin/python -m bench.proxy [--seconds 12]
"""

from __future__ import annotations

import argparse
import io
import socket
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from flask import Flask

from app import create_app, make_http_server
from mjpeg import MjpegParser, Part
from proxy import UNIX, TrustedProxy
from sources import PatternSource
from stream import Pipeline
from tools.nginx import Proxy, running_nginx

RECEIVE_BUFFER = 65536
NO_SNDBUF = ((" sndbuf=128k", ""),)


@dataclass(frozen=True)
class Arrival:
    """A part as a viewer got it: when, which frame, and the frame shown at that moment."""

    at: float  # time.time()
    frame: int
    captured: float
    shown: int

    @property
    def lag_s(self) -> float:
        return self.at - self.captured

    @property
    def frames_behind(self) -> int:
        return self.shown - self.frame


def tls_context(proxy: Proxy) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(proxy.certificate))
    context.set_alpn_protocols(["http/1.1"])
    return context


def watch_slowly(
    proxy: Proxy,
    rate: float,
    seconds: float,
    shown: Callable[[], int | None],
    path: str = "/video_feed",
) -> list[Arrival]:
    """Read `path` through the proxy at `rate` bytes a second for `seconds`."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    raw.connect(("127.0.0.1", proxy.https_port))
    sock = tls_context(proxy).wrap_socket(raw, server_hostname="localhost")
    sock.settimeout(10)
    # HTTP/1.0: nginx answers without chunks, so that the parts parse as they come
    sock.sendall(f"GET {path} HTTP/1.0\r\nHost: localhost:{proxy.https_port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    parser, arrivals = MjpegParser(keep_body=False), []
    started, taken = time.monotonic(), 0
    chunk = max(1024, int(rate / 50))
    try:
        while time.monotonic() - started < seconds:
            data = sock.recv(chunk)
            if not data:
                break
            taken += len(data)
            for part in parser.feed(data):
                arrivals.append(arrival(part, shown() or 0))
            pause = started + taken / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    finally:
        sock.close()
    return arrivals


def arrival(part: Part, shown: int) -> Arrival:
    return Arrival(time.time(), part.frame_index, part.timestamp, shown)


def watch_over_http2(
    proxy: Proxy,
    parts: int,
    path: str = "/video_feed",
    before_leaving: Callable[[], object] = lambda: None,
) -> tuple[str, float]:
    """curl --http2 through the proxy for `parts` parts: the protocol it spoke, and fps.
    `before_leaving` is called once the parts are in, while curl is still watching."""
    curl = subprocess.Popen(
        ["curl", "--silent", "--http2", "--cacert", str(proxy.certificate), "--include",
         "--no-buffer", proxy.url + path],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    assert curl.stdout is not None
    try:
        status = curl.stdout.readline().decode().split()[0]  # "HTTP/2"
        while curl.stdout.readline().strip():  # the rest of the head
            pass
        parser, got, first = MjpegParser(keep_body=False), 0, 0.0
        while got < parts:
            new = len(parser.feed(cast(io.BufferedReader, curl.stdout).read1(65536)))
            if new and not first:
                first, new = time.monotonic(), new - 1
            got += new
        fps = (got - 1) / (time.monotonic() - first)
        before_leaving()
        return status, fps
    finally:
        curl.kill()
        curl.wait()


@contextmanager
def dashboard(
    width: int, height: int, fps: float, setup: Callable[[Flask], object] = lambda app: None
) -> Iterator[tuple[Pipeline, str, str]]:
    """The dashboard on a test pattern in this process (`setup` given its app first), served on
    a UNIX socket, whose peers' X-Forwarded-* it believes (--trusted-proxy unix), and on a free
    loopback port: the pipeline and nginx's upstream for each, unix:PATH and 127.0.0.1:PORT."""
    source = PatternSource(width, height, fps)
    pipeline = Pipeline(source, lambda: source)
    app = create_app(pipeline)
    setup(app)
    app.wsgi_app = TrustedProxy(app.wsgi_app, [UNIX])  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory(prefix="dashboard-socket-") as folder:
        path = Path(folder) / "dashboard.sock"
        servers = [
            make_http_server(app, f"unix://{path}", 0),
            make_http_server(app, "127.0.0.1", 0),
        ]
        Path(folder).chmod(0o755)  # nginx's user (nobody) connects to the socket
        path.chmod(0o777)
        pipeline.start()
        for server in servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield pipeline, f"unix:{path}", f"127.0.0.1:{servers[1].server_port}"
        finally:
            for server in servers:
                server.shutdown()
                server.server_close()
            pipeline.stop()


def stream_rate(pipeline: Pipeline) -> float:
    """Bytes a second of the stream: a part's size times the output rate."""
    while pipeline.broadcaster.latest is None:
        time.sleep(0.05)
    time.sleep(2.5)  # the rate meter's window
    part = pipeline.broadcaster.latest
    assert part is not None
    return len(part.part) * pipeline.stats()["fps_out"]


def summary(arrivals: list[Arrival]) -> str:
    settled = arrivals[len(arrivals) // 3 :]  # after the buffers on the way have filled
    lags = [a.lag_s for a in settled]
    behind = [a.frames_behind for a in settled]
    span = settled[-1].at - settled[0].at
    return (
        f"{(len(settled) - 1) / span:5.1f} fps, lag median {statistics.median(lags):5.2f} s, "
        f"max {max(lags):5.2f} s, frames behind median {statistics.median(behind):.0f}, "
        f"max {max(behind)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args()
    with dashboard(640, 480, 30) as (pipeline, unix, tcp):
        rate = stream_rate(pipeline)
        print(f"stream: {rate / 1024:.0f} KiB/s at {pipeline.stats()['fps_out']:.1f} fps")
        setups = (
            ("deploy/nginx.conf", unix, ()),
            ("TCP upstream", tcp, ()),
            ("no sndbuf", unix, NO_SNDBUF),
        )
        for name, upstream, variant in setups:
            with running_nginx(upstream, variant) as proxy:
                if name == setups[0][0]:
                    protocol, fps = watch_over_http2(proxy, 150)
                    print(f"{name}: fast viewer (curl, {protocol}): {fps:.1f} fps")
                for share in (0.5, 0.2, 0.1):
                    arrivals = watch_slowly(proxy, rate * share, args.seconds, pipeline.shown_frame)
                    print(
                        f"{name}: viewer at {share:.0%} of the stream's rate: {summary(arrivals)}"
                    )


if __name__ == "__main__":
    main()
