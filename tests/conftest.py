"""Fixtures: a real server on 127.0.0.1 around a real Pipeline, or a Dashboard of several
test-pattern cameras, in this process."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from app import create_app
from cameras import CameraSpec
from catalogue import Catalogue
from dashboard import Dashboard, build_dashboard
from model import ModelSlot
from server import ServerLimits, StreamingServer, make_http_server
from sources import PatternSource, Source
from stream import Backoff, Pipeline
from tools.chromium import CHROMIUM, CHROMIUM_ARGS
from webrtc import WebRTC


@dataclass
class Server:
    """A running app: its base URL, host, port and pipeline."""

    url: str
    host: str
    port: int
    pipeline: Pipeline
    http: StreamingServer
    webrtc: WebRTC | None = None

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=10, **kwargs)

    def stop(self) -> None:
        if self.webrtc is not None:  # as app.py stops: a capture thread waiting for it wakes
            self.webrtc.close()
        self.pipeline.stop()
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    """Start the app on a free loopback port (or a given one) around the Source a test
    gives it (and its WebRTC side, if given: webrtc.open_webrtc; over HTTPS with an
    ssl_context), with the server's limits it gives (server.py's defaults otherwise)."""
    started: list[Server] = []

    def start(
        source: Source | None = None,
        reopen: Callable[[], Source] | None = None,
        backoff: Backoff | None = None,
        port: int = 0,
        webrtc: WebRTC | None = None,
        ssl_context: ssl.SSLContext | None = None,
        limits: ServerLimits | None = None,
        **pipeline_options: Any,
    ) -> Server:
        source = source or PatternSource(320, 240, 30)
        pipeline = Pipeline(source, reopen or (lambda: source), backoff=backoff, **pipeline_options)
        app = create_app(pipeline, webrtc=webrtc)
        http = make_http_server(app, "127.0.0.1", port, ssl_context, limits=limits)
        pipeline.start()
        threading.Thread(target=http.serve_forever, daemon=True).start()
        port = http.server_port
        url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"
        started.append(Server(url, "127.0.0.1", port, pipeline, http, webrtc))
        return started[-1]

    yield start
    for server in started:
        if server.http.socket.fileno() >= 0:
            server.stop()


@pytest.fixture
def server(start_server) -> Server:
    """The app on a 320x240 30 fps test pattern."""
    return start_server()


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return Catalogue()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, launched once per test module (a module may override it: the WebRTC
    tests launch it with a fake camera)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser):
    """Open the dashboard in a new context of the module's `browser` (each browser test module
    launches its own); the page records every request it makes, and its WebSockets."""
    contexts = []

    def open_(
        server: Server, width: int = 1280, height: int = 900, path: str = "/", **options: Any
    ) -> Page:
        # Playwright's wait_for_function evaluates strings, which the page's policy forbids;
        # tests/test_security.py checks the page under its policy.
        options.setdefault("bypass_csp", True)
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        page = context.new_page()
        page.requests = []
        page.on("request", lambda request: page.requests.append(request))
        page.websockets = []
        page.on("websocket", lambda socket: page.websockets.append(socket.url))
        page.goto(server.url + path, wait_until="load")
        return page

    yield open_
    for context in contexts:
        context.close()


@dataclass
class Cameras:
    """A dashboard of test-pattern cameras served on loopback."""

    url: str
    dashboard: Dashboard
    http: Any

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, timeout=10)

    def put(self, path: str, body: str) -> requests.Response:
        return requests.put(self.url + path, data=body, timeout=10)


@pytest.fixture
def serve_cameras() -> Iterator[Callable[..., Cameras]]:
    started: list[Cameras] = []

    def serve(
        specs: list[CameraSpec], networks: list[ModelSlot] | None = None, idle_stop: float = 0.0
    ) -> Cameras:
        def open_camera(spec: CameraSpec) -> tuple[Source, Callable[[], Source]]:
            return PatternSource(160, 120, 30), lambda: PatternSource(160, 120, 30)

        dashboard = build_dashboard(specs, open_camera, networks or [], idle_stop=idle_stop)
        http = make_http_server(create_app(dashboard), "127.0.0.1", 0)
        dashboard.start()
        threading.Thread(target=http.serve_forever, daemon=True).start()
        started.append(Cameras(f"http://127.0.0.1:{http.server_port}", dashboard, http))
        return started[-1]

    yield serve
    for cameras in started:
        cameras.http.shutdown()
        cameras.http.server_close()
        cameras.dashboard.stop()
