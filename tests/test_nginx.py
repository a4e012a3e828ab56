"""deploy/nginx.conf in Debian's real nginx (tools/nginx.py: unprivileged, TLS with a
self-signed certificate, loopback ports), in front of the dashboard on its UNIX socket: the
page, the API and PUTs, X-Forwarded-* as the proxy sets them, HTTP/2 and every frame for a
viewer that keeps up, the WebSocket, and a bounded lag for a slow viewer."""

from __future__ import annotations

import ssl
import statistics
import struct
from collections.abc import Iterator

import pytest
import requests
from flask import Flask, Response, jsonify, request
from websockets.sync.client import connect

from bench.proxy import dashboard, watch_over_http2, watch_slowly
from helpers import wait_for
from stream import Pipeline
from tools.nginx import Proxy, running_nginx

NGINX_SNDBUF = 2 * 128 * 1024  # deploy/nginx.conf's sndbuf=128k, as Linux doubles it
VIEWER_RCVBUF = 2 * 64 * 1024  # bench.proxy.RECEIVE_BUFFER, doubled
NGINX_OWN = 64 * 1024  # nginx's proxy and TLS buffers (8 KiB and 16 KiB), with room to spare


def add_seen(app: Flask) -> None:
    """GET /seen: the client's address, scheme and host as the app sees them."""

    @app.get("/seen")
    def seen() -> Response:
        return jsonify(addr=request.remote_addr, scheme=request.scheme, host=request.host)


@pytest.fixture(scope="module")
def proxied() -> Iterator[tuple[Pipeline, Proxy]]:
    with (
        dashboard(320, 240, 30, setup=add_seen) as (pipeline, unix, _tcp),
        running_nginx(unix) as proxy,
    ):
        yield pipeline, proxy


def test_the_page_the_api_and_puts_work_through_nginx(proxied):
    _, proxy = proxied

    def call(method: str, path: str, body: str | None = None) -> requests.Response:
        # verify per request: a session's would yield to $REQUESTS_CA_BUNDLE
        url = proxy.url + path
        return requests.request(method, url, data=body, verify=str(proxy.certificate), timeout=10)

    page = call("GET", "/")
    assert page.status_code == 200 and "<title>DNN Dashboard</title>" in page.text
    assert call("GET", "/static/dashboard.js").status_code == 200
    assert call("GET", "/openapi.json").json()["openapi"] == "3.1.0"
    put = call("PUT", "/stream/jpeg_quality", "55")
    assert put.status_code == 200 and put.json() == 55
    assert call("GET", "/stream/jpeg_quality").json() == 55
    refused = call("PUT", "/stream/jpeg_quality", "555")
    assert refused.status_code == 400 and "out of range" in refused.json()["error"]
    plain = requests.get(f"http://localhost:{proxy.http_port}/stats", allow_redirects=False)
    assert plain.status_code == 301
    assert plain.headers["Location"] == "https://localhost/stats"


def test_the_app_sees_the_client_as_nginx_does_not_as_the_client_claims(proxied):
    _, proxy = proxied
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "gopher"}
    seen = requests.get(
        proxy.url + "/seen", headers=forged, verify=str(proxy.certificate), timeout=10
    ).json()
    assert seen == {
        "addr": "127.0.0.1",
        "scheme": "https",
        "host": f"localhost:{proxy.https_port}",
    }


def test_a_viewer_that_keeps_up_gets_every_frame_over_http2(proxied):
    pipeline, proxy = proxied

    def skipped() -> int:
        return pipeline.broadcaster.stats()["frames_skipped_for_slow_viewers"]

    before = skipped()
    # counted while curl still reads: once it is gone, nginx stops reading the stream and the
    # dashboard may skip a frame for a viewer that no longer exists
    after: list[int] = []
    protocol, fps = watch_over_http2(proxy, 60, before_leaving=lambda: after.append(skipped()))
    assert protocol == "HTTP/2"
    assert after == [before]
    print(f"through nginx over HTTP/2: {fps:.1f} fps")


def test_the_websocket_video_through_nginx(proxied):
    _, proxy = proxied
    context = ssl.create_default_context(cafile=str(proxy.certificate))
    with connect(f"wss://localhost:{proxy.https_port}/video_ws", ssl=context) as socket:
        messages = [socket.recv(timeout=10) for _ in range(5)]
    frames = [message for message in messages if isinstance(message, bytes)]
    assert len(frames) == len(messages)
    indices = [struct.unpack(">d", frame[:8])[0] for frame in frames]
    assert indices == sorted(set(indices))
    assert all(frame[16:18] == b"\xff\xd8" for frame in frames)  # JPEGs


def test_a_slow_viewer_skips_frames_and_its_lag_stays_bounded(proxied):
    """A viewer that takes a fifth of the stream's bytes a second: it skips frames, and falls
    no further behind than the buffers on the way hold (nginx's send buffer and own buffers,
    the viewer's receive buffer, and the few parts the dashboard lets its socket hold),
    however long it watches. Over TCP to the dashboard, nginx's receive buffer would add
    hundreds of KB more (bench/proxy.py)."""
    pipeline, proxy = proxied
    latest = wait_for(lambda: pipeline.broadcaster.latest)
    part = len(latest.part)
    share = 0.2
    fps = wait_for(lambda: pipeline.stats()["fps_out"])  # below 30 on a loaded machine
    rate = share * part * fps  # bytes a second: a fifth of the stream
    buffered = NGINX_SNDBUF + NGINX_OWN + VIEWER_RCVBUF + 8 * part  # at most, on the way
    # Long enough to read past what the buffers held when it started (those frames come in
    # order): with a fixed 10 s, a stream slowed by a busy machine once filled it all.
    arrivals = watch_slowly(proxy, rate, buffered / rate + 5.0, pipeline.shown_frame)
    frames = [a.frame for a in arrivals]
    assert len(frames) > 10 and frames == sorted(set(frames))
    assert max(b - a for a, b in zip(frames, frames[1:], strict=False)) > 1  # it skipped
    settled = arrivals[len(arrivals) // 3 :]
    # frames published while the buffered bytes drain at `rate`, at 30 fps at most
    bound = buffered / rate * 30
    behind = [a.frames_behind for a in settled]
    lags = [a.lag_s for a in settled]
    print(
        f"slow viewer at {share:.0%}: frames behind median {statistics.median(behind):.0f}, "
        f"max {max(behind)} (bound {bound:.0f}); lag median {statistics.median(lags):.2f} s, "
        f"max {max(lags):.2f} s"
    )
    assert max(behind) <= bound
