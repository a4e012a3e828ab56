"""The page's video over a WebSocket (RFC 6455): the server side, as small as it can be.

The server only ever sends one kind of message, a video frame, and frames from a server are
not masked, so a frame's message is the same bytes for every viewer: the pipeline builds it
once (`video_message`), and the fan-out thread writes it to each viewer's socket as it writes
an MJPEG part (broadcast.py), with the same slow-viewer rule. What a browser sends is read only
to see it close the connection (`ClientFrames`).

A video message is binary: the frame index and the capture time (Unix seconds), each a
big-endian float64, then the JPEG.
"""

from __future__ import annotations

import base64
import hashlib
import struct

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3
VERSION = "13"
BINARY, CLOSE = 0x2, 0x8
FINAL = 0x80
HEADER = struct.Struct(">dd")  # frame index, capture time
CLOSE_FRAME = bytes([FINAL | CLOSE, 0])
MAX_CLIENT_FRAME = 1 << 16  # a browser here sends nothing but a close frame


class HandshakeError(ValueError):
    """A request that is not a WebSocket opening handshake this server takes."""


def accept_key(headers: dict[str, str]) -> str:
    """The Sec-WebSocket-Accept answer to an opening handshake's headers (lower-case names);
    HandshakeError if they do not ask for a version 13 WebSocket."""
    if "websocket" not in headers.get("upgrade", "").lower():
        raise HandshakeError("expected the header Upgrade: websocket")
    if "upgrade" not in headers.get("connection", "").lower():
        raise HandshakeError("expected the header Connection: Upgrade")
    if headers.get("sec-websocket-version") != VERSION:
        raise HandshakeError(f"only WebSocket version {VERSION} is spoken here")
    key = headers.get("sec-websocket-key", "")
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError
    except ValueError:
        raise HandshakeError("Sec-WebSocket-Key must be 16 bytes in base64") from None
    digest = hashlib.sha1((key + GUID).encode("ascii")).digest()  # noqa: S324 (the RFC's)
    return base64.b64encode(digest).decode("ascii")


def handshake_response(accept: str) -> bytes:
    """The 101 answer that opens the WebSocket."""
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
    ).encode("ascii")


def frame_header(opcode: int, length: int) -> bytes:
    """A final, unmasked frame's header for a payload of `length` bytes."""
    if length < 126:
        return struct.pack(">BB", FINAL | opcode, length)
    if length < 1 << 16:
        return struct.pack(">BBH", FINAL | opcode, 126, length)
    return struct.pack(">BBQ", FINAL | opcode, 127, length)


def video_message(jpeg: bytes, index: int, timestamp: float) -> bytes:
    """A frame as one binary WebSocket message, ready for any viewer's socket."""
    header = HEADER.pack(index, timestamp)
    return frame_header(BINARY, len(header) + len(jpeg)) + header + jpeg


def _frame_extent(buffer: bytes | bytearray) -> tuple[int, int] | None:
    """Where the payload of the frame at the start of `buffer` begins (after the header and,
    in a client's frame, the 4 bytes of the mask) and how long it is; None if the buffer does
    not hold the whole header yet."""
    if len(buffer) < 2:
        return None
    masked, length = buffer[1] & 0x80, buffer[1] & 0x7F
    offset = 2
    if length >= 126:
        size = 2 if length == 126 else 8
        if len(buffer) < offset + size:
            return None
        length = int.from_bytes(buffer[offset : offset + size], "big")
        offset += size
    return offset + (4 if masked else 0), length


class ClientFrames:
    """Reads what a browser sends, for one thing only: whether it has asked to close."""

    def __init__(self) -> None:
        self._buffer = b""
        self.closed = False

    def feed(self, data: bytes) -> None:
        """Take bytes from the socket; sets `closed` on a close frame, or on bytes that are
        no client's frames or too long a frame: the connection is of no use any more."""
        self._buffer += data
        while not self.closed and (opcode := self._next_opcode()) is not None:
            self.closed = opcode == CLOSE

    def _next_opcode(self) -> int | None:
        """The opcode of the next whole frame in the buffer, which is then dropped."""
        extent = _frame_extent(self._buffer)
        if extent is None:
            return None
        start, length = extent
        if not self._buffer[1] & 0x80 or length > MAX_CLIENT_FRAME:  # RFC 6455 5.1: a client
            self.closed = True  # masks every frame
            return None
        if len(self._buffer) < start + length:
            return None
        opcode = self._buffer[0] & 0x0F
        self._buffer = self._buffer[start + length :]
        return opcode


class VideoMessages:
    """The client's side, for the tests and the benchmarks: splits what /video_ws sends into
    (frame index, capture time, JPEG); ValueError on anything but a video message."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes | memoryview) -> list[tuple[int, float, bytes]]:
        self._buffer += data
        messages = []
        while (extent := _frame_extent(self._buffer)) is not None:
            if self._buffer[0] != FINAL | BINARY or self._buffer[1] & 0x80:
                raise ValueError("expected a final, unmasked, binary frame")
            start, length = extent
            if len(self._buffer) < start + length:
                break
            payload = bytes(self._buffer[start : start + length])
            del self._buffer[: start + length]
            index, timestamp = HEADER.unpack_from(payload)
            messages.append((int(index), timestamp, payload[HEADER.size :]))
        return messages
