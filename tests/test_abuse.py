"""The server under abuse (server.py): big and slow request heads, too many connections,
bodies over the limit, malformed bodies and framing, log floods. Each on a real server on
127.0.0.1 with small limits."""

from __future__ import annotations

import errno
import json
import logging
import socket
import time
from types import SimpleNamespace

import pytest
import requests
from flask import Flask

import server as server_module
from helpers import wait_for
from log_limit import RateLimitedLog
from mjpeg_client import MjpegViewer
from server import ServerLimits, make_http_server
from utils import MAX_BODY_BYTES

SETTING = "/stream/jpeg_quality"


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return sock


def exchange(port: int, request: bytes) -> bytes:
    """Send `request` whole and read the answer to the end."""
    with connect(port) as sock:
        sock.sendall(request)
        return read_to_end(sock)


def read_to_end(sock: socket.socket) -> bytes:
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    return answer


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def put_raw(body: bytes, *headers: str) -> bytes:
    head = "".join(f"{header}\r\n" for header in headers)
    return f"PUT {SETTING} HTTP/1.1\r\nHost: test\r\n{head}\r\n".encode() + body


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed the connection (EOF or reset), waiting up to 10 s."""
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        return False
    return True


def test_a_header_bomb_gets_431_before_it_ends(start_server):
    server = start_server(limits=ServerLimits(head_bytes=4096, head_fields=8))
    with connect(server.port) as sock:  # 1 KiB header lines that never end: 431 at 4 KiB
        sock.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n")
        sent = 0
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            while sent < 100_000_000:  # the kernel's buffers take a few MB, then nothing
                sent += sock.send(f"X-Bomb: {'a' * 1024}\r\n".encode())
        assert sent < 25_000_000, "the server closed while the client still sent"
    with connect(server.port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n" + b"X-Bomb: " + b"a" * 5000)  # not even a line
        assert status(read_to_end(sock)) == 431
    many = "".join(f"X-Field-{number}: 1\r\n" for number in range(9))
    assert status(exchange(server.port, f"GET / HTTP/1.1\r\n{many}\r\n".encode())) == 431
    enough = "".join(f"X-Field-{number}: 1\r\n" for number in range(7))  # and Host: 8
    assert (
        status(exchange(server.port, f"GET /healthz HTTP/1.1\r\nHost: t\r\n{enough}\r\n".encode()))
        == 200
    )
    long_line = f"GET /{'a' * 5000} HTTP/1.1\r\n\r\n".encode()
    assert status(exchange(server.port, long_line)) == 414
    assert server.get("/healthz").status_code == 200


def test_slowloris_connections_are_closed_at_the_deadline_and_viewers_are_not(start_server):
    server = start_server(limits=ServerLimits(request_timeout_s=1.0))
    with MjpegViewer(server.host, server.port) as viewer:  # its request came in time
        slow = [connect(server.port) for _ in range(20)]
        for sock in slow:
            sock.sendall(b"GET / HTTP/1.1\r\n")
        started = time.monotonic()
        closed: set[int] = set()
        while len(closed) < len(slow) and time.monotonic() - started < 15:
            for number, sock in enumerate(slow):  # a header line every 0.2 s: each read
                if number in closed:  # is quick, only the deadline can stop them
                    continue
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    closed.add(number)
            time.sleep(0.2)
        assert len(closed) == len(slow), "every slow request was closed"
        assert time.monotonic() - started > 0.5, "not before their deadline"
        first = viewer.next_part().frame_index
        time.sleep(0.5)
        assert viewer.next_part().frame_index > first, "the viewer still gets frames"
    for sock in slow:
        sock.close()
    assert len(server.http.deadlines) == 0
    assert server.get("/healthz").status_code == 200


def test_an_idle_connection_is_closed_at_the_deadline(start_server):
    server = start_server(limits=ServerLimits(request_timeout_s=0.5))
    with connect(server.port) as sock:
        assert closed_by_server(sock)


def test_past_the_cap_per_client_a_503_at_once(start_server):
    server = start_server(limits=ServerLimits(max_connections_per_client=3, request_timeout_s=60))
    held = [connect(server.port) for _ in range(3)]
    wait_for(lambda: server.http.connections.total == 3)
    refused = server.get("/healthz")
    assert refused.status_code == 503 and "127.0.0.1" in refused.json()["error"]
    for sock in held:
        sock.close()
    wait_for(lambda: server.get("/healthz").status_code == 200)


def test_past_the_overall_cap_a_503_at_once(start_server):
    server = start_server(limits=ServerLimits(max_connections=2))
    with MjpegViewer(server.host, server.port), MjpegViewer(server.host, server.port):
        refused = server.get("/snapshot.jpg")
        assert refused.status_code == 503 and "server holds" in refused.json()["error"]
    wait_for(lambda: server.get("/snapshot.jpg").status_code == 200)


@pytest.mark.parametrize("path", [SETTING, "/snapshot.jpg"])  # read_body refuses; no route
def test_a_body_declared_over_the_limit_is_not_read(start_server, path):  # reads it
    server = start_server()
    declared = 200_000_000
    with connect(server.port) as sock:
        sock.sendall(
            f"PUT {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {declared}\r\n\r\n".encode()
        )
        sent = 0
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            while sent < declared:  # the kernel's buffers take a few MB, then nothing
                sent += sock.send(b"0" * 65536)
    assert sent < declared / 4, "the server closed while the client still sent"
    assert server.get(SETTING).json() == 80


def test_a_body_over_the_limit_without_a_length_is_refused(start_server):
    server = start_server()
    chunk = b"%x\r\n%s\r\n" % (MAX_BODY_BYTES + 10, b" " * (MAX_BODY_BYTES + 10))
    answer = exchange(server.port, put_raw(chunk + b"0\r\n\r\n", "Transfer-Encoding: chunked"))
    assert status(answer) == 400 and b"over 1024 bytes" in answer


def test_deep_nesting_is_a_400(start_server):
    server = start_server()
    response = requests.put(server.url + SETTING, data="[" * 980, timeout=10)
    assert response.status_code == 400 and "nested too deeply" in response.json()["error"]


def test_a_bad_chunk_is_a_400(start_server):
    server = start_server()
    answer = exchange(server.port, put_raw(b"zz\r\n70\r\n0\r\n\r\n", "Transfer-Encoding: chunked"))
    assert status(answer) == 400 and b"chunk" in answer
    good = exchange(server.port, put_raw(b"2\r\n70\r\n0\r\n\r\n", "Transfer-Encoding: chunked"))
    assert status(good) == 200 and server.get(SETTING).json() == 70


@pytest.mark.parametrize(
    "headers, expected",
    [
        (("Content-Length: 2", "Content-Length: 3"), 400),
        (("Content-Length: 2", "Content-Length: 2"), 200),  # the same twice: one length
        (("Content-Length: +2",), 400),
        (("Content-Length: 2", "Transfer-Encoding: chunked"), 400),
    ],
)
def test_an_ambiguous_body_length_is_a_400(start_server, headers, expected):
    server = start_server()
    answer = exchange(server.port, put_raw(b"60", *headers))
    assert status(answer) == expected
    if expected == 400:
        assert "error" in json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert server.get(SETTING).json() == (60 if expected == 200 else 80)


def test_no_host_in_a_redirect_and_no_versions_in_the_server_header(start_server):
    server = start_server()
    response = requests.get(
        f"{server.url}/cameras//camera1/stats",
        headers={"Host": "evil.example"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 308
    assert response.headers["Location"] == "/cameras/camera1/stats"
    assert response.headers["Server"] == "dnn-dashboard"
    assert "dnn-dashboard" in server.get("/healthz").headers["Server"]


def test_a_flood_of_bad_requests_writes_a_few_log_lines(start_server, caplog):
    server = start_server()
    caplog.set_level(logging.INFO, logger="server")
    started = time.monotonic()
    for _ in range(200):
        assert status(exchange(server.port, b"GET / x HTTP/1.0\r\n\r\n")) == 400
    lines = [r for r in caplog.records if r.name == "server"]
    refilled = (time.monotonic() - started) / 10  # a line more every 10 s
    assert 1 <= len(lines) <= 10 + refilled + 1  # the burst, and those that came back


def test_a_rate_limited_log_says_how_many_lines_it_left_out(caplog):
    now = [0.0]
    limited = RateLimitedLog(
        logging.getLogger("flood"), burst=3, interval_s=10, clock=lambda: now[0]
    )
    caplog.set_level(logging.INFO, logger="flood")
    written = [limited.log(logging.WARNING, "bad request %d", n) for n in range(100)]
    assert written == [True] * 3 + [False] * 97
    now[0] = 10.0
    assert limited.log(logging.WARNING, "bad request %d", 100)
    assert [r.getMessage() for r in caplog.records][
        -1
    ] == "bad request 100 (97 more like it not logged)"


def test_out_of_file_descriptors_accept_backs_off_instead_of_spinning(monkeypatch):
    """socketserver calls accept() again at once while the listening socket is readable: out
    of file descriptors, that is a spinning core. The server waits longer at each failure,
    and from the start again once a connection is accepted."""
    http = make_http_server(Flask(__name__), "127.0.0.1", 0)
    pauses: list[float] = []
    monkeypatch.setattr(
        server_module, "time", SimpleNamespace(sleep=pauses.append, monotonic=time.monotonic)
    )
    listener = http.socket

    def out_of_fds() -> None:
        raise OSError(errno.EMFILE, "Too many open files")

    def accept_failing(times: int) -> None:
        monkeypatch.setattr(http, "socket", SimpleNamespace(accept=out_of_fds))
        for _ in range(times):
            with pytest.raises(OSError):
                http.get_request()
        monkeypatch.setattr(http, "socket", listener)

    try:
        accept_failing(6)
        assert pauses == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0]
        with connect(http.server_port):
            accepted, _ = http.get_request()
            accepted.close()
        accept_failing(1)
        assert pauses[-1] == 0.05
    finally:
        monkeypatch.undo()
        http.server_close()
