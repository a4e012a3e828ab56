"""The streaming core over real HTTP: MJPEG parts, many and stalled viewers, snapshot, stats."""

from __future__ import annotations

import socket
import threading
import time

import numpy as np

import broadcast
from helpers import wait_for
from mjpeg_client import MjpegViewer, decode


def test_video_feed_parts_carry_headers_and_decodable_jpegs(server):
    with MjpegViewer(server.host, server.port) as viewer:
        assert viewer.status_line.split()[1] == "200"
        assert viewer.headers["content-type"] == "multipart/x-mixed-replace; boundary=frame"
        parts = viewer.parts(12)
    indexes = [part.frame_index for part in parts]
    assert indexes == sorted(indexes) and len(set(indexes)) == len(indexes)
    for part in parts:
        assert part.headers["content-type"] == "image/jpeg"
        assert int(part.headers["content-length"]) == len(part.body)
        assert abs(part.timestamp - time.time()) < 60
        assert decode(part.body).shape == (240, 320, 3)
    assert not np.array_equal(decode(parts[0].body), decode(parts[-1].body)), "the video moves"


def test_new_viewer_gets_the_current_frame_first(server):
    wait_for(lambda: server.pipeline.broadcaster.latest)
    current = server.pipeline.broadcaster.latest.index
    with MjpegViewer(server.host, server.port) as viewer:
        assert viewer.next_part().frame_index >= current


def test_concurrent_viewers_all_receive_frames(server):
    received: dict[int, list[int]] = {}

    def watch(number: int) -> None:
        with MjpegViewer(server.host, server.port) as viewer:
            received[number] = [part.frame_index for part in viewer.parts(15)]

    threads = [threading.Thread(target=watch, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(received) == list(range(6))
    assert all(len(indexes) == 15 for indexes in received.values())


def test_slow_and_stalled_viewers_do_not_hold_up_the_others(server):
    stalled = MjpegViewer(server.host, server.port, receive_buffer=4096)  # never reads
    slow = MjpegViewer(server.host, server.port, receive_buffer=4096)
    done = threading.Event()

    def read_slowly() -> None:  # about 20 kB/s, where the stream is about 200 kB/s
        while not done.wait(0.05):
            slow.sock.recv(1024)

    reader = threading.Thread(target=read_slowly)
    reader.start()
    try:
        wait_for(lambda: server.get("/stats").json()["viewers"] == 2)
        broadcaster = server.pipeline.broadcaster
        with MjpegViewer(server.host, server.port) as healthy:
            healthy.next_part()
            published_before = broadcaster.latest.seq
            healthy.parts(45)
            published = broadcaster.latest.seq - published_before
        assert published <= 2 * 45, f"the healthy viewer got 45 of {published} frames"
        wait_for(lambda: server.get("/stats").json()["frames_skipped_for_slow_viewers"] > 0)
    finally:
        done.set()
        reader.join()
    slow.close()
    stalled.close()
    wait_for(lambda: server.get("/stats").json()["viewers"] == 0)


def test_a_viewer_reading_slowly_stays_and_one_reading_nothing_is_dropped(server, monkeypatch):
    monkeypatch.setattr(broadcast, "STALL_LIMIT_S", 3.0)  # instead of 30 s
    stalled = MjpegViewer(server.host, server.port, receive_buffer=4096)
    trickle = MjpegViewer(server.host, server.port, receive_buffer=4096)
    wait_for(lambda: server.get("/stats").json()["viewers"] == 2)
    done, ended = threading.Event(), threading.Event()

    def read_slowly() -> None:  # about 5 kB/s: a part takes seconds
        while not done.wait(0.1):
            if not trickle.sock.recv(500):
                ended.set()
                return

    reader = threading.Thread(target=read_slowly)
    reader.start()
    try:
        started = time.monotonic()
        wait_for(lambda: server.get("/stats").json()["viewers"] == 1, timeout=30)
        wait_for(lambda: time.monotonic() - started > 2 * broadcast.STALL_LIMIT_S)
        assert server.get("/stats").json()["viewers"] == 1 and not ended.is_set(), (
            "the slow viewer is still served"
        )
    finally:
        done.set()
        reader.join()
        trickle.close()
        stalled.close()


def test_a_viewer_that_half_closes_after_its_request_is_served(server):
    """HTTP/1.0 lets a client shut its sending side once the request is sent (nc -N does)."""
    viewer = MjpegViewer(server.host, server.port)
    viewer.sock.shutdown(socket.SHUT_WR)
    with viewer:
        parts = viewer.parts(5)
    assert [decode(part.body).shape for part in parts] == [(240, 320, 3)] * 5
    wait_for(lambda: server.get("/stats").json()["viewers"] == 0)


def test_snapshot_is_the_current_annotated_frame(server):
    broadcaster = server.pipeline.broadcaster
    wait_for(lambda: broadcaster.latest)
    before = broadcaster.latest.index
    response = server.get("/snapshot.jpg")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert before <= int(response.headers["X-Frame-Index"]) <= broadcaster.latest.index
    assert decode(response.content).shape == (240, 320, 3)


def test_stats_report_rates_latency_viewers_and_source(server):
    wait_for(lambda: server.get("/stats").json()["fps_out"] > 5)
    with MjpegViewer(server.host, server.port) as viewer:
        viewer.parts(3)
        stats = server.get("/stats").json()
    assert stats["viewers"] == 1
    assert stats["fps_in"] > 0 and stats["fps_out"] > 0
    assert stats["encode_ms"] > 0 and stats["latency_ms"] >= stats["encode_ms"] * 0.5
    assert stats["source"]["state"] == "online"
    assert stats["source"]["resolution"] == [320, 240]
    assert stats["uptime_s"] > 0
    assert server.get("/healthz").json() == {"status": "ok", "source": "online"}


def test_page_has_the_video_and_its_script(server):
    page = server.get("/").text
    assert 'id="video"' in page and 'src="/static/video.js"' in page
