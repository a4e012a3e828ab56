"""Health for probes (health.py): /healthz is liveness, /readyz readiness; and inputs that
come back: a looping video over http whose server goes away and returns plays on."""

from __future__ import annotations

import contextlib
import functools
import http.server
import socket
import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from test_inputs import UnpluggedCamera

from helpers import wait_for
from sources import InputSpec, PatternSource, SourceError, open_source
from stream import Backoff, CaptureThread, LatestFrame


class BrokenCamera(PatternSource):
    """A camera whose driver takes its capture thread down (an error that is no Exception)."""

    def read(self) -> np.ndarray:
        raise SystemExit("the driver gave up")


def test_readyz_is_503_while_the_input_is_lost_and_healthz_stays_ok(start_server):
    plugged_in = threading.Event()

    def replug() -> UnpluggedCamera:
        if not plugged_in.is_set():
            raise SourceError("test camera: no such device")
        return UnpluggedCamera(frames=1_000_000)

    server = start_server(UnpluggedCamera(frames=10), replug, backoff=Backoff(0.1, 0.2))
    lost = wait_for(lambda: (r := server.get("/readyz")).status_code == 503 and r.json())
    assert lost == {
        "status": "not ready",
        "cameras": {"camera1": "reconnecting"},
        "not_ready": ["camera1"],
    }
    assert server.get("/cameras/camera1/readyz").status_code == 503
    alive = server.get("/healthz")  # a lost input is not a dead process
    assert alive.status_code == 200 and alive.json() == {"status": "ok", "source": "reconnecting"}
    plugged_in.set()
    back = wait_for(lambda: (r := server.get("/readyz")).status_code == 200 and r.json())
    assert back == {"status": "ready", "cameras": {"camera1": "online"}}


def test_an_input_that_ended_is_not_ready(start_server, tmp_path):
    video = tmp_path / "clip.avi"
    write_video(video, frames=5, size=(64, 48))
    server = start_server(open_source(InputSpec(uri=str(video))))
    wait_for(lambda: server.get("/readyz").status_code == 503)
    assert server.get("/readyz").json()["cameras"] == {"camera1": "offline"}
    assert server.get("/healthz").status_code == 200, "a file that ended is no dead thread"


def test_an_idle_camera_is_ready(start_server):
    server = start_server(idle_stop=0.3)
    wait_for(lambda: server.pipeline.capture.state == "idle")
    assert server.get("/readyz").json() == {"status": "ready", "cameras": {"camera1": "idle"}}


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_healthz_is_503_when_a_thread_died(start_server):
    server = start_server(BrokenCamera(64, 48, 30))
    dead = wait_for(lambda: (r := server.get("/healthz")).status_code == 503 and r.json())
    assert dead["status"] == "dead"
    assert dead["dead_threads"] == {"camera1": ["capture-camera1"]}


def write_video(path: Path, frames: int, size: tuple[int, int]) -> None:
    """An MJPG .avi of noise: a big file, which FFmpeg cannot hold whole in its buffers."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 30, size)
    random = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(random.integers(0, 255, (size[1], size[0], 3), np.uint8))
    writer.release()


class DroppingWebServer(http.server.ThreadingHTTPServer):
    """Serves a folder; drop() stops it and cuts the connections it is serving."""

    daemon_threads = True

    def __init__(self, folder: Path, port: int = 0) -> None:
        self.served: list[socket.socket] = []
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        super().__init__(("127.0.0.1", port), handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def process_request(self, request: Any, client_address: Any) -> None:
        self.served.append(request)
        super().process_request(request, client_address)

    def drop(self) -> None:
        self.shutdown()
        self.server_close()
        for sock in self.served:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def test_a_looping_video_over_http_plays_on_when_its_server_returns(tmp_path):
    write_video(tmp_path / "clip.avi", frames=90, size=(320, 240))
    web = DroppingWebServer(tmp_path)
    spec = InputSpec(uri=f"http://127.0.0.1:{web.server_port}/clip.avi", loop=-1)
    frames = LatestFrame()
    capture = CaptureThread(open_source(spec), lambda: open_source(spec), frames, Backoff(0.1, 0.4))
    capture.start()
    try:
        wait_for(lambda: (frame := frames.wait_newer(-1, 1)) and frame.index > 10)
        web.drop()
        wait_for(lambda: capture.state == "reconnecting")
        assert "lost" in str(capture.last_error)
        web = DroppingWebServer(tmp_path, web.server_port)
        wait_for(lambda: capture.state == "online" and capture.reconnects >= 1)
        shown = frames.wait_newer(-1, 1)
        assert shown is not None
        wait_for(
            lambda: (frame := frames.wait_newer(shown.index, 1)) and frame.index > shown.index + 30
        )
    finally:
        capture.stop()
        capture.join(5)
        web.drop()
