"""Fixtures: a real server on 127.0.0.1 around a real Pipeline, in this process."""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from app import create_app, make_http_server  # noqa: E402
from catalogue import Catalogue  # noqa: E402
from sources import Source, PatternSource  # noqa: E402
from stream import Backoff, Pipeline  # noqa: E402


@dataclass
class Server:
    """A running app: its base URL, host, port and pipeline."""

    url: str
    host: str
    port: int
    pipeline: Pipeline

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=10, **kwargs)


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    """Start the app on a free loopback port around the Source a test gives it."""
    started: list[tuple[Pipeline, object]] = []

    def start(source: Source | None = None, reopen: Callable[[], Source] | None = None,
              backoff: Backoff | None = None, **pipeline_options) -> Server:
        source = source or PatternSource(320, 240, 30)
        pipeline = Pipeline(source, reopen or (lambda: source), backoff=backoff,
                            **pipeline_options)
        server = make_http_server(create_app(pipeline), "127.0.0.1", 0)
        pipeline.start()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append((pipeline, server))
        port = server.server_port
        return Server(f"http://127.0.0.1:{port}", "127.0.0.1", port, pipeline)

    yield start
    for pipeline, server in started:
        pipeline.stop()
        server.shutdown()
        server.server_close()


@pytest.fixture
def server(start_server) -> Server:
    """The app on a 320x240 30 fps test pattern."""
    return start_server()


def picture(name: str) -> np.ndarray:
    """One of the test pictures in tests/data (see its README)."""
    return cv2.imread(str(DATA / name))


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return Catalogue()
