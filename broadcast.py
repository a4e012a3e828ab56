"""Fan-out of encoded frames to any number of viewers.

The pipeline publishes each frame once, already framed as an MJPEG part. Every viewer waits
for a sequence number newer than the one it last sent, so a slow viewer skips frames and
never holds anyone else up. Before a viewer picks its next frame it waits until its socket
has sent (nearly) all of the previous one: the kernel's send buffer would otherwise be a
hidden queue of several MB, and the viewer would fall seconds behind.
"""
from __future__ import annotations

import fcntl
import select
import socket
import struct
import termios
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

DRAIN_POLL_MS = 5
STALL_LIMIT_S = 30.0  # a viewer whose socket sends nothing for this long is dropped


@dataclass(frozen=True)
class EncodedFrame:
    """A published frame: its sequence number, the capture index and time, the JPEG, the part."""

    seq: int
    index: int
    timestamp: float
    jpeg: bytes
    part: bytes


class Broadcaster:
    """Holds the newest EncodedFrame and wakes the viewers waiting for it."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._latest: EncodedFrame | None = None
        self._closed = False
        self._viewers = 0
        self._skipped = 0

    def publish(self, frame: EncodedFrame) -> None:
        with self._condition:
            self._latest = frame
            self._condition.notify_all()

    @property
    def latest(self) -> EncodedFrame | None:
        return self._latest

    @property
    def closed(self) -> bool:
        return self._closed

    def wait_newer(self, seq: int, timeout: float) -> EncodedFrame | None:
        """The newest frame if its seq is above `seq`, waiting up to `timeout`; else None."""
        with self._condition:
            self._condition.wait_for(
                lambda: self._closed or (self._latest is not None and self._latest.seq > seq),
                timeout)
            if self._closed or self._latest is None or self._latest.seq <= seq:
                return None
            return self._latest

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    @contextmanager
    def _viewer(self) -> Iterator[None]:
        with self._condition:
            self._viewers += 1
        try:
            yield
        finally:
            with self._condition:
                self._viewers -= 1

    def _count_skipped(self, count: int) -> None:
        with self._condition:
            self._skipped += count

    def stats(self) -> dict[str, int]:
        return {"viewers": self._viewers, "frames_skipped_for_slow_viewers": self._skipped}

    def parts_for_viewer(self, sock: socket.socket | None) -> Iterator[bytes]:
        """The MJPEG parts for one viewer: the current frame at once, then each newer one.

        `sock` is the viewer's connection, used to wait for it to drain; without one (a server
        that does not expose it) the viewer is paced by blocking writes alone.
        """
        with self._viewer():
            sent_seq = -1
            while True:
                frame = self.wait_newer(sent_seq, timeout=1.0)
                if frame is None:
                    if self._closed:
                        return
                    continue
                if sent_seq >= 0 and frame.seq > sent_seq + 1:
                    self._count_skipped(frame.seq - sent_seq - 1)
                sent_seq = frame.seq
                yield frame.part
                if sock is not None and not self._wait_for_drain(sock, len(frame.part)):
                    return

    def _wait_for_drain(self, sock: socket.socket, limit: int) -> bool:
        """Wait until at most `limit` bytes are unsent or unacknowledged.

        False if the viewer hung up or was reset (the queue count then freezes), stalled for
        STALL_LIMIT_S, or the broadcaster closed.
        """
        deadline = time.monotonic() + STALL_LIMIT_S
        hangup = select.poll()
        hangup.register(sock.fileno(), select.POLLERR | select.POLLHUP)
        while unsent_bytes(sock) > limit:
            if self._closed or time.monotonic() > deadline or hangup.poll(DRAIN_POLL_MS):
                return False
        return True


def unsent_bytes(sock: socket.socket) -> int:
    """Bytes in the socket's send queue not yet acknowledged by the peer (Linux SIOCOUTQ)."""
    try:
        raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (OSError, ValueError):  # closed, or not a socket this ioctl knows: nothing to wait for
        return 0
    return struct.unpack("i", raw)[0]
