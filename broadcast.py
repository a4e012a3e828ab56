"""Fan-out of encoded frames to any number of viewers.

The pipeline publishes each frame once, already framed as an MJPEG part and as a WebSocket
message (websocket_video.py): a viewer of /video_feed gets the part, one of /video_ws the message,
under the same rules. One fan-out thread
writes it to every viewer's socket, non-blocking, so the cost per frame is a send per viewer,
not a thread wake-up per viewer. A viewer's own HTTP thread only sends the response headers,
hands its socket over and sleeps until the viewer is gone.

A viewer that is still sending a part when a newer frame comes skips frames; so does one whose
socket still holds more unsent or unacknowledged bytes (Linux SIOCOUTQ) than its link drains
in DRAIN_BUDGET_S: the kernel's send buffer would otherwise be a hidden queue of several MB,
and a slow viewer would fall seconds behind. The drain rate is measured per viewer, so that a
fast link with a long round trip can keep several frames in flight. Nobody waits for anybody
else.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import selectors
import socket
import ssl
import struct
import termios
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from meters import Average
from mjpeg import encode_part
from websocket_video import CLOSE_FRAME, ClientFrames, video_message

log = logging.getLogger(__name__)

STALL_LIMIT_S = 30.0  # a viewer whose socket takes nothing for this long is dropped
DRAIN_BUDGET_S = 0.05  # a new frame waits until the socket's backlog drains within this
RATE_WINDOW_S = 0.1  # the drain rate is measured over windows of at least this
RECHECK_S = 0.02  # how often viewers held back by a full socket are looked at again
TCP_CLOSE = 7  # include/net/tcp_states.h
WOULD_BLOCK = (BlockingIOError, InterruptedError, ssl.SSLWantWriteError, ssl.SSLWantReadError)


@dataclass(frozen=True)
class EncodedFrame:
    """A published frame: its sequence number, the capture index and time, the JPEG, and the
    JPEG framed for each kind of viewer (an MJPEG part, a WebSocket message), each framed once,
    when the first viewer of its kind needs it."""

    seq: int
    index: int
    timestamp: float
    jpeg: bytes

    @functools.cached_property
    def part(self) -> bytes:
        return encode_part(self.jpeg, self.index, self.timestamp)

    @functools.cached_property
    def message(self) -> bytes:
        return video_message(self.jpeg, self.index, self.timestamp)


@dataclass(eq=False)
class Viewer:
    """One /video_feed or /video_ws connection, as the fan-out thread sees it."""

    sock: socket.socket
    websocket: ClientFrames | None = None  # what a /video_ws viewer sends; None for MJPEG
    pending: memoryview | None = None  # the rest of the part being sent
    sent_seq: int = -1
    sent_bytes: int = 0  # handed to the kernel, in all
    drain_rate: Average = field(default_factory=lambda: Average(weight=0.5))  # bytes/s the
    # peer acknowledges while it has a backlog
    rate_mark: tuple[float, int] = (0.0, 0)  # (time, acknowledged bytes) the rate counts from
    last_progress: float = field(default_factory=time.monotonic)  # last send or acknowledgement
    acknowledged: int = 0  # bytes the peer had acknowledged at the last stall check
    leaving: bool = False  # its HTTP thread wants it back
    done_sending: bool = False  # it shut its sending side (legal after an HTTP/1.0 request)
    gone: threading.Event = field(default_factory=threading.Event)


class Broadcaster:
    """Holds the newest EncodedFrame; its fan-out thread sends it to every viewer."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._latest: EncodedFrame | None = None
        self._closed = False
        self._skipped = 0
        self._pulling = 0  # viewers of parts(), served by the WSGI server's threads
        self._viewers: set[Viewer] = set()  # the fan-out thread's own
        self._arrivals: list[Viewer] = []
        self._next_stall_check = 0.0
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)
        self._selector.register(self._wake_read, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._fan_out, name="fan-out", daemon=True)
        self._thread.start()

    def publish(self, frame: EncodedFrame) -> None:
        with self._condition:
            self._latest = frame
            self._condition.notify_all()
        self._wake()

    @property
    def latest(self) -> EncodedFrame | None:
        return self._latest

    def wait_newer(self, seq: int, timeout: float) -> EncodedFrame | None:
        """For in-process readers: the newest frame if its seq is above `seq`, waiting up to
        `timeout`; else None."""
        with self._condition:
            self._condition.wait_for(
                lambda: self._closed or (self._latest is not None and self._latest.seq > seq),
                timeout,
            )
            if self._closed or self._latest is None or self._latest.seq <= seq:
                return None
            return self._latest

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self._wake()
        self._thread.join(2.0)

    @property
    def running(self) -> bool:
        """Whether the fan-out thread runs (it ends only when closed, or if it died)."""
        return self._thread.is_alive()

    def stats(self) -> dict[str, int]:
        with self._condition:
            viewers = [*self._viewers, *self._arrivals]
            pulling = self._pulling
        return {
            "viewers": len(viewers) + pulling,
            "websocket_viewers": sum(viewer.websocket is not None for viewer in viewers),
            "frames_skipped_for_slow_viewers": self._skipped,
        }

    def parts_for_viewer(self, sock: socket.socket) -> Iterator[bytes]:
        """The WSGI body of /video_feed. Its first (empty) chunk makes the server send the
        headers; then the socket belongs to the fan-out thread until the viewer is gone."""
        yield b""
        self.serve(Viewer(sock))

    def parts(self) -> Iterator[bytes]:
        """The WSGI body of /video_feed under a server that does not hand over its socket
        (gunicorn, uWSGI, wsgiref...): the server's thread for this viewer writes each part,
        and takes the newest frame once the write returns, so a slow viewer skips frames.
        Its lag is what the socket buffers on the way hold (no SIOCOUTQ budget here)."""
        with self._condition:
            self._pulling += 1
        try:
            seq = -1
            while not self._closed:
                frame = self.wait_newer(seq, timeout=1.0)
                if frame is None:
                    continue
                with self._condition:
                    self._skipped += frame.seq - seq - 1 if seq >= 0 else 0
                seq = frame.seq
                yield frame.part
        finally:  # the viewer went: the server closed this body
            with self._condition:
                self._pulling -= 1

    def serve(self, viewer: Viewer) -> None:
        """Hand the viewer's socket, its response head sent, to the fan-out thread, and wait
        until the viewer is gone."""
        sock = viewer.sock
        sock.setblocking(False)
        with self._condition:
            self._arrivals.append(viewer)
        self._wake()
        try:
            while not viewer.gone.wait(1.0) and not self._closed:
                pass
        finally:  # also when the server closes this body early
            viewer.leaving = True
            self._wake()
            if self._thread.is_alive():  # let it unregister the socket before it is closed
                viewer.gone.wait(5.0)
            if sock.fileno() >= 0:
                sock.setblocking(True)

    # --- the fan-out thread ---

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # already awake (BlockingIOError), or shutting down
            self._wake_write.send(b"\0")

    def _fan_out(self) -> None:
        while not self._closed:
            held_back = any(v.pending is None and v.sent_seq < self._seq() for v in self._viewers)
            for key, events in self._selector.select(RECHECK_S if held_back else 1.0):
                if key.fileobj is self._wake_read:
                    self._drain_wake()
                elif events & selectors.EVENT_READ:
                    self._check_hangup(key.data)
                elif events & selectors.EVENT_WRITE:
                    self._send(key.data)
            self._admit_arrivals()
            self._offer_latest()
            self._drop_leaving_and_stalled()
        for viewer in list(self._viewers) + self._arrivals:
            self._drop(viewer)

    def _seq(self) -> int:
        return self._latest.seq if self._latest else -1

    def _drain_wake(self) -> None:
        try:
            while self._wake_read.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _admit_arrivals(self) -> None:
        with self._condition:
            arrivals, self._arrivals = self._arrivals, []
            self._viewers.update(arrivals)
        for viewer in arrivals:
            self._watch(viewer)

    def _offer_latest(self) -> None:
        """Start sending the newest frame to each viewer that is free for it."""
        frame = self._latest
        if frame is None:
            return
        for viewer in list(self._viewers):
            if viewer.done_sending and connection_closed(viewer.sock):
                self._drop(viewer)  # it had shut its side, then went: the peer reset
                continue
            if viewer.pending is not None or viewer.sent_seq >= frame.seq:
                continue
            data = frame.part if viewer.websocket is None else frame.message
            if not self._link_ready(viewer, len(data)):
                continue  # the link is still busy with earlier frames
            if viewer.sent_seq >= 0:
                self._skipped += frame.seq - viewer.sent_seq - 1
            viewer.sent_seq = frame.seq
            viewer.pending = memoryview(data)
            self._send(viewer)

    @staticmethod
    def _link_ready(viewer: Viewer, part_size: int) -> bool:
        """Whether the viewer's socket backlog is small enough for a new part: it drains
        within DRAIN_BUDGET_S at the measured rate (one part's worth until it is measured)."""
        unsent = unsent_bytes(viewer.sock)
        now = time.monotonic()
        acknowledged = viewer.sent_bytes - unsent
        since, acknowledged_then = viewer.rate_mark
        if unsent == 0:
            viewer.rate_mark = (now, acknowledged)  # idle time says nothing of the link
            return True
        if now - since >= RATE_WINDOW_S:
            viewer.drain_rate.add((acknowledged - acknowledged_then) / (now - since))
            viewer.rate_mark = (now, acknowledged)
        if viewer.drain_rate.value is None:
            return unsent <= part_size
        return unsent <= viewer.drain_rate.value * DRAIN_BUDGET_S

    def _send(self, viewer: Viewer) -> None:
        pending = viewer.pending
        if pending is None:
            return
        try:
            sent = viewer.sock.send(pending)
        except WOULD_BLOCK:
            sent = 0
        except OSError:  # reset, broken pipe: the viewer is gone
            self._drop(viewer)
            return
        if sent:
            viewer.last_progress = time.monotonic()
            viewer.sent_bytes += sent
        viewer.pending = pending[sent:] if sent < len(pending) else None
        self._watch(viewer)

    def _watch(self, viewer: Viewer) -> None:
        """Select the viewer's socket for what matters now: reading (to see it hang up) until
        it has shut its sending side, writing while a part is under way."""
        wanted = (0 if viewer.done_sending else selectors.EVENT_READ) | (
            selectors.EVENT_WRITE if viewer.pending else 0
        )
        key = self._selector.get_map().get(viewer.sock)
        if key is None and wanted:
            self._selector.register(viewer.sock, wanted, viewer)
        elif key is not None and not wanted:
            self._selector.unregister(viewer.sock)
        elif key is not None and key.events != wanted:
            self._selector.modify(viewer.sock, wanted, viewer)

    def _check_hangup(self, viewer: Viewer) -> None:
        """A viewer's socket is readable: bytes we have no use for (but a WebSocket's close
        frame), an error (it is gone), or the end of what it sends. That end may be a
        half-close, so it keeps getting frames: if it has gone, the next sends fail."""
        try:
            data = viewer.sock.recv(4096)
            if data and viewer.websocket is not None:
                viewer.websocket.feed(data)
                if viewer.websocket.closed:
                    self._close_websocket(viewer)
                return
            if data:
                return
        except WOULD_BLOCK:
            return
        except OSError:
            self._drop(viewer)
            return
        viewer.done_sending = True
        self._watch(viewer)

    def _drop_leaving_and_stalled(self) -> None:
        """Drop the viewers whose HTTP thread wants them back; once a second, also those
        whose peer has taken nothing for STALL_LIMIT_S (one ioctl per viewer)."""
        now = time.monotonic()
        check_stalls = now >= self._next_stall_check
        if check_stalls:
            self._next_stall_check = now + 1.0
        for viewer in list(self._viewers):
            if viewer.leaving:
                self._drop(viewer)
            elif check_stalls:
                unsent = unsent_bytes(viewer.sock)
                acknowledged = viewer.sent_bytes - unsent
                idle = viewer.pending is None and unsent == 0
                if idle or acknowledged > viewer.acknowledged:  # a slow reader still reads
                    viewer.last_progress = now
                viewer.acknowledged = acknowledged
                if now - viewer.last_progress > STALL_LIMIT_S:
                    self._drop(viewer)

    def _close_websocket(self, viewer: Viewer) -> None:
        """Answer a browser's close frame with ours, unless a message is half sent (a close
        frame in its middle would be garbage), and let the viewer go."""
        if viewer.pending is None:
            with contextlib.suppress(OSError):
                viewer.sock.send(CLOSE_FRAME)
        self._drop(viewer)

    def _drop(self, viewer: Viewer) -> None:
        if viewer in self._viewers:
            self._viewers.discard(viewer)
            if viewer.sock in self._selector.get_map():
                self._selector.unregister(viewer.sock)
        viewer.gone.set()


def connection_closed(sock: socket.socket) -> bool:
    """Whether the TCP connection has closed (Linux TCP_INFO's state is TCP_CLOSE), as it does
    when a peer that had shut its sending side goes and resets the connection."""
    try:
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == TCP_CLOSE
    except OSError:
        return True


def unsent_bytes(sock: socket.socket) -> int:
    """Bytes in the socket's send queue not yet acknowledged by the peer (Linux SIOCOUTQ)."""
    try:
        raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (OSError, ValueError):  # closed, or not a socket this ioctl knows: nothing queued
        return 0
    return struct.unpack("i", raw)[0]
