"""The MJPEG wire format: building one multipart part per frame, and parsing a stream of them.

The server builds each part once per frame (headers and JPEG in one bytes object) and sends
that same object to every viewer. The parser is used by the tests and the benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BOUNDARY = "frame"
CONTENT_TYPE = f"multipart/x-mixed-replace; boundary={BOUNDARY}"
_DELIMITER = f"--{BOUNDARY}\r\n".encode()


def encode_part(jpeg: bytes, frame_index: int, timestamp: float) -> bytes:
    """One multipart part: delimiter, headers, the JPEG and the closing CRLF."""
    headers = (
        f"Content-Type: image/jpeg\r\n"
        f"Content-Length: {len(jpeg)}\r\n"
        f"X-Frame-Index: {frame_index}\r\n"
        f"X-Timestamp: {timestamp:.6f}\r\n\r\n"
    ).encode()
    return b"".join((_DELIMITER, headers, jpeg, b"\r\n"))


@dataclass
class Part:
    """A parsed part: its headers (lower-case names) and its body."""

    headers: dict[str, str]
    body: bytes

    @property
    def frame_index(self) -> int:
        return int(self.headers["x-frame-index"])

    @property
    def timestamp(self) -> float:
        return float(self.headers["x-timestamp"])


@dataclass
class MjpegParser:
    """Incremental parser: feed() it bytes as they arrive, it returns the completed parts.

    It relies on each part's Content-Length, as browsers do not need to but robust clients
    should; with keep_body=False it counts body bytes without keeping them (cheap enough for
    hundreds of viewers in one benchmark process).
    """

    keep_body: bool = True
    _buffer: bytearray = field(default_factory=bytearray)
    _headers: dict[str, str] | None = None
    _body_left: int = 0
    _body: list[bytes] = field(default_factory=list)

    def feed(self, data: bytes | memoryview) -> list[Part]:
        parts: list[Part] = []
        view = memoryview(data)
        while view:
            if self._headers is None:
                self._buffer += view
                view = memoryview(b"")
                end = self._buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(self._buffer) > 65536:
                        raise ValueError("no part headers within 64 KiB")
                    break
                self._headers = self._parse_headers(bytes(self._buffer[:end]))
                self._body_left = int(self._headers["content-length"]) + 2  # body + CRLF
                view = memoryview(bytes(self._buffer[end + 4 :]))
                self._buffer.clear()
                continue
            take = min(self._body_left, len(view))
            if self.keep_body:
                self._body.append(bytes(view[:take]))
            self._body_left -= take
            view = view[take:]
            if self._body_left == 0:
                body = b"".join(self._body)[:-2] if self.keep_body else b""
                parts.append(Part(self._headers, body))
                self._headers, self._body = None, []
        return parts

    @staticmethod
    def _parse_headers(block: bytes) -> dict[str, str]:
        lines = block.decode("latin-1").split("\r\n")
        lines = [line for line in lines if line and not line.startswith(f"--{BOUNDARY}")]
        headers = {}
        for line in lines:
            name, sep, value = line.partition(":")
            if not sep:
                raise ValueError(f"malformed part header line: {line!r}")
            headers[name.strip().lower()] = value.strip()
        if "content-length" not in headers:
            raise ValueError("part without Content-Length")
        return headers
