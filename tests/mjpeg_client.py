"""A real MJPEG viewer for the tests: raw socket, HTTP request, parts parsed and decoded."""

from __future__ import annotations

import socket

import cv2
import numpy as np

from mjpeg import MjpegParser, Part


class MjpegViewer:
    """Connects to /video_feed and hands out parts one by one."""

    def __init__(
        self,
        host: str,
        port: int,
        path: str = "/video_feed",
        receive_buffer: int | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        self.status_line = ""
        self.headers: dict[str, str] = {}
        self._parser = MjpegParser()
        self._pending: list[Part] = []
        self._read_response_head()

    def _read_response_head(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed before the response headers")
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status_line = lines[0]
        self.headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
        }
        self._pending += self._parser.feed(rest)

    def next_part(self) -> Part:
        while not self._pending:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("stream closed")
            self._pending += self._parser.feed(chunk)
        return self._pending.pop(0)

    def parts(self, count: int) -> list[Part]:
        return [self.next_part() for _ in range(count)]

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> MjpegViewer:
        return self

    def __exit__(self, *_) -> None:
        self.close()


def decode(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "the part's body is not a decodable JPEG"
    return image
