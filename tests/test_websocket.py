"""/video_ws: the page's video over a WebSocket, read by a real client (the `websockets`
library), and the protocol's edges with a raw socket."""

from __future__ import annotations

import base64
import socket
import struct
import threading
import time

import numpy as np
import pytest
import requests
from websockets.sync.client import connect

from helpers import wait_for
from mjpeg_client import decode
from websocket_video import HEADER, ClientFrames, VideoMessages, accept_key


def parse(message: str | bytes) -> tuple[int, float, np.ndarray]:
    """A video message: the frame index, the capture time, the decoded picture."""
    assert isinstance(message, bytes), "a binary message"
    index, timestamp = HEADER.unpack_from(message)
    return int(index), timestamp, decode(message[HEADER.size :])


def websocket_url(server) -> str:
    return f"ws://{server.host}:{server.port}/video_ws"


def test_a_websocket_viewer_gets_frames_with_their_index_and_capture_time(server):
    with connect(websocket_url(server), max_size=None) as client:
        frames = [parse(client.recv(timeout=10)) for _ in range(12)]
        assert server.get("/stats").json()["websocket_viewers"] == 1
    indexes = [index for index, _, _ in frames]
    assert indexes == sorted(indexes) and len(set(indexes)) == len(indexes)
    for _, timestamp, picture in frames:
        assert abs(timestamp - time.time()) < 60
        assert picture.shape == (240, 320, 3)
    assert not np.array_equal(frames[0][2], frames[-1][2]), "the video moves"
    wait_for(lambda: server.get("/stats").json()["viewers"] == 0)


def test_the_same_frame_reaches_mjpeg_and_websocket_viewers_alike(server):
    """One encode per frame: the message carries the very JPEG the snapshot serves."""
    with connect(websocket_url(server), max_size=None) as client:
        for _ in range(30):
            message = client.recv(timeout=10)
            assert isinstance(message, bytes)
            latest = server.pipeline.broadcaster.latest
            if HEADER.unpack_from(message)[0] == latest.index:
                assert message[HEADER.size :] == latest.jpeg
                return
    pytest.fail("never caught the newest frame")


def test_closing_is_answered_and_the_viewer_is_let_go(server):
    with connect(websocket_url(server), max_size=None) as client:
        client.recv(timeout=10)
        wait_for(lambda: server.get("/stats").json()["websocket_viewers"] == 1)
        started = time.monotonic()
        client.close()  # sends a close frame and waits for the server's (up to 10 s)
        assert time.monotonic() - started < 5, "the server answered the close frame"
    wait_for(lambda: server.get("/stats").json()["viewers"] == 0)


@pytest.mark.parametrize(
    "headers, problem",
    [
        ({}, "Upgrade: websocket"),
        ({"Upgrade": "websocket", "Connection": "Upgrade"}, "version 13"),
        (
            {
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "short",
            },
            "16 bytes",
        ),
    ],
)
def test_a_bad_handshake_is_a_400_with_a_message(server, headers, problem):
    response = requests.get(server.url + "/video_ws", headers=headers, timeout=5)
    assert response.status_code == 400
    assert problem in response.json()["error"]
    assert server.pipeline.broadcaster.stats()["viewers"] == 0


def raw_websocket(server, receive_buffer: int = 4096) -> socket.socket:
    """A WebSocket opened by hand, with a small receive buffer; the 101 head read."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(10)
    sock.connect((server.host, server.port))
    key = base64.b64encode(b"0123456789abcdef").decode()
    sock.sendall(
        (
            f"GET /video_ws HTTP/1.1\r\nHost: {server.host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101 ")
    assert f"Sec-WebSocket-Accept: {accept_key_for(key)}".encode() in head
    return sock


def accept_key_for(key: str) -> str:
    return accept_key(
        {
            "upgrade": "websocket",
            "connection": "Upgrade",
            "sec-websocket-version": "13",
            "sec-websocket-key": key,
        }
    )


def test_a_stalled_websocket_viewer_does_not_hold_up_the_others(server):
    stalled = raw_websocket(server)  # never reads
    try:
        wait_for(lambda: server.get("/stats").json()["websocket_viewers"] == 1)
        broadcaster = server.pipeline.broadcaster
        with connect(websocket_url(server), max_size=None) as healthy:
            healthy.recv(timeout=10)
            published_before = broadcaster.latest.seq
            for _ in range(45):
                healthy.recv(timeout=10)
            published = broadcaster.latest.seq - published_before
        assert published <= 2 * 45, f"the healthy viewer got 45 of {published} frames"
        wait_for(lambda: server.get("/stats").json()["websocket_viewers"] == 1)  # still served
    finally:
        stalled.close()
    wait_for(lambda: server.get("/stats").json()["viewers"] == 0)


def test_a_websocket_viewer_that_reads_late_gets_a_recent_frame_not_a_backlog(server):
    """The slow-viewer rule: after 3 s without reading, what is still queued for the viewer
    is bounded by the socket buffers, and it is soon back to the newest frame."""
    sock = raw_websocket(server)
    time.sleep(3)
    reader = MessageReader(sock)
    newest = server.pipeline.broadcaster.latest.index
    stale = 0
    while reader.next_index() < newest:
        stale += 1
    sock.close()
    assert stale < 10, f"{stale} stale frames queued"


class MessageReader:
    """Reads the server's video messages from a raw socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.messages = VideoMessages()
        self.pending: list[tuple[int, float, bytes]] = []

    def next_index(self) -> int:
        while not self.pending:
            chunk = self.sock.recv(65536)
            assert chunk, "the server closed the connection"
            self.pending = self.messages.feed(chunk)
        return self.pending.pop(0)[0]


def masked_frame(opcode: int, payload: bytes) -> bytes:
    mask = b"\x01\x02\x03\x04"
    body = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body


def test_client_frames_are_read_until_a_close_frame_in_any_split():
    data = masked_frame(0x9, b"ping") + masked_frame(0x1, b"hello") + masked_frame(0x8, b"")
    for split in range(len(data)):
        frames = ClientFrames()
        frames.feed(data[:split])
        assert not frames.closed
        frames.feed(data[split:])
        assert frames.closed


def test_an_unmasked_or_huge_client_frame_closes():
    unmasked, huge = ClientFrames(), ClientFrames()
    unmasked.feed(bytes([0x81, 0x02]) + b"hi")
    huge.feed(bytes([0x82, 0x80 | 127]) + struct.pack(">Q", 1 << 40))
    assert unmasked.closed and huge.closed


def test_many_websocket_viewers_all_receive_frames(server):
    received: dict[int, int] = {}

    def watch(number: int) -> None:
        with connect(websocket_url(server), max_size=None) as client:
            received[number] = len([client.recv(timeout=10) for _ in range(10)])

    threads = [threading.Thread(target=watch, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert received == dict.fromkeys(range(12), 10)
