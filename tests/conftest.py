"""Fixtures: a real server on 127.0.0.1 around a real Pipeline, in this process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from app import create_app
from catalogue import Catalogue
from server import ServerLimits, StreamingServer, make_http_server
from sources import PatternSource, Source
from stream import Backoff, Pipeline


@dataclass
class Server:
    """A running app: its base URL, host, port and pipeline."""

    url: str
    host: str
    port: int
    pipeline: Pipeline
    http: StreamingServer

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=10, **kwargs)

    def stop(self) -> None:
        self.pipeline.stop()
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    """Start the app on a free loopback port (or a given one) around the Source a test
    gives it, with the server's limits it gives (server.py's defaults otherwise)."""
    started: list[Server] = []

    def start(
        source: Source | None = None,
        reopen: Callable[[], Source] | None = None,
        backoff: Backoff | None = None,
        port: int = 0,
        limits: ServerLimits | None = None,
        **pipeline_options: Any,
    ) -> Server:
        source = source or PatternSource(320, 240, 30)
        pipeline = Pipeline(source, reopen or (lambda: source), backoff=backoff, **pipeline_options)
        http = make_http_server(create_app(pipeline), "127.0.0.1", port, limits=limits)
        pipeline.start()
        threading.Thread(target=http.serve_forever, daemon=True).start()
        port = http.server_port
        started.append(Server(f"http://127.0.0.1:{port}", "127.0.0.1", port, pipeline, http))
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
