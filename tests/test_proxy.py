"""Behind a proxy or another WSGI server: X-Forwarded-* believed from the trusted proxy only
(--trusted-proxy), and /video_feed served by a WSGI server that is not werkzeug's."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests
from flask import Flask, Response, jsonify, request
from werkzeug.test import Client

from app import create_app
from cli import parse_args
from helpers import wait_for
from mjpeg_client import MjpegViewer, decode
from proxy import TrustedProxy, proxy_network
from sources import PatternSource
from stream import Pipeline

FORWARDED = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "cams.example.org",
}


def seen_by_app(proxies: list[str], peer: str) -> dict[str, str]:
    """What a view sees of a request with FORWARDED headers from `peer`."""
    app = Flask(__name__)

    @app.get("/")
    def who() -> Response:
        return jsonify(addr=request.remote_addr, scheme=request.scheme, host=request.host)

    app.wsgi_app = TrustedProxy(app.wsgi_app, proxies)  # type: ignore[method-assign]
    client = Client(app)
    response = client.get("/", headers=FORWARDED, environ_base={"REMOTE_ADDR": peer})
    return dict(response.json or {})


def test_forwarded_headers_are_believed_from_the_trusted_proxy():
    seen = seen_by_app(["10.0.0.0/24"], "10.0.0.9")
    assert seen == {"addr": "203.0.113.7", "scheme": "https", "host": "cams.example.org"}
    assert seen_by_app(["::1"], "::1")["addr"] == "203.0.113.7"
    assert seen_by_app(["127.0.0.1"], "::ffff:127.0.0.1")["scheme"] == "https"
    # --trusted-proxy unix: whoever connects to the app's UNIX socket (werkzeug's "<local>")
    assert seen_by_app(["unix"], "<local>")["scheme"] == "https"
    assert seen_by_app(["127.0.0.1"], "<local>")["scheme"] == "http"


def test_forwarded_headers_from_anyone_else_are_dropped():
    seen = seen_by_app(["10.0.0.5"], "198.51.100.2")
    assert seen == {"addr": "198.51.100.2", "scheme": "http", "host": "localhost"}
    assert seen_by_app(["10.0.0.5"], "")["scheme"] == "http"  # no address: not the proxy


def test_trusted_proxy_flag_takes_addresses_and_networks(capsys):
    args = parse_args(["--trusted-proxy", "127.0.0.1", "--trusted-proxy", "10.1.0.0/16"])
    assert args.trusted_proxy == [proxy_network("127.0.0.1"), proxy_network("10.1.0.0/16")]
    assert parse_args(["--trusted-proxy", "unix"]).trusted_proxy == ["unix"]
    assert parse_args([]).trusted_proxy is None
    with pytest.raises(SystemExit):
        parse_args(["--trusted-proxy", "proxy.local"])
    assert "--trusted-proxy" in capsys.readouterr().err


class ThreadedWsgiref(ThreadingMixIn, WSGIServer):
    """The standard library's WSGI server, a thread per request: a server that, unlike
    werkzeug's, does not hand the app its socket."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def wsgiref_server() -> Iterator[tuple[str, Pipeline]]:
    source = PatternSource(160, 120, 30)
    pipeline = Pipeline(source, lambda: source)
    server = make_server(
        "127.0.0.1", 0, create_app(pipeline), ThreadedWsgiref, handler_class=QuietHandler
    )
    pipeline.start()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_port}", pipeline
    server.shutdown()
    server.server_close()
    pipeline.stop()


def test_video_feed_streams_under_another_wsgi_server(wsgiref_server):
    address, pipeline = wsgiref_server
    host, port = address.split(":")
    with MjpegViewer(host, int(port)) as viewer:
        assert viewer.status_line.split()[1] == "200"
        assert viewer.headers["content-type"].startswith("multipart/x-mixed-replace")
        parts = viewer.parts(20)
        assert decode(parts[-1].body).shape == (120, 160, 3)
        indices = [part.frame_index for part in parts]
        assert indices == sorted(set(indices))  # new frames, in order
        assert pipeline.broadcaster.stats()["viewers"] == 1  # counted, so never idle
    wait_for(lambda: pipeline.broadcaster.stats()["viewers"] == 0)
    # the WebSocket needs the socket itself: still werkzeug's server only
    answer = requests.get(f"http://{address}/video_ws", timeout=10)
    assert answer.status_code == 501 and "werkzeug" in answer.json()["error"]
