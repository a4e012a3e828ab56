"""The HTTP server and its limits: werkzeug's thread-per-connection server, made to hold up
under abuse (README, "Hold up under abuse").

- A request head (request line and headers) has a budget of bytes and of header fields: past
  it, a 431 (414 for a request line alone over it), so that a client cannot make the server
  hold megabytes of headers.
- The whole request must have come within a deadline of the connection's start: one watchdog
  thread shuts the connections that are late (slowloris), however slowly they trickle.
- Connections are capped, in all and per client address: past a cap, the accepting thread
  answers 503 itself and closes, without starting a thread. When the process is out of file
  descriptors, accepting backs off instead of spinning.
- A body the app refuses (`read_body`) is not read: the connection is closed instead. Once the
  response has begun, at most `drain_bytes` more of the request are read.
- The lines a client can cause are rate-limited (log_limit.py). The Server header names no
  versions.
- `StreamingServer.head_checks` is where checks of a request's head go (`check_framing`
  refuses an ambiguous body length); a check answers with the status and reason to refuse.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import io
import json
import logging
import re
import resource
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, abort, request
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from log_limit import RateLimitedLog
from stream import Backoff

log = logging.getLogger(__name__)

SERVER_NAME = "dnn-dashboard"  # the Server header: no versions
FD_RESERVE = 64  # file descriptors kept for the app's own files, sockets and pipes, at least
MAX_CONNECTIONS_CEILING = 2048  # however many file descriptors: a thread each
REFUSE_BODY = "dashboard.refuse_body"  # environ: call it to have the body left unread
# accept() errors that say the process or the machine is out of something, not the client
OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
DIGITS = re.compile(r"[0-9]+")
# what the page polls every second (dashboard.js): --verbose leaves it out unless --log-polls
POLLED = re.compile(r"(/cameras/[^/]+)?/(stats|results)|/api/properties|/cameras")
CONTROL_CHARACTERS = {code: f"\\x{code:02x}" for code in (*range(32), 127)}

HeadCheck = Callable[[Message], tuple[HTTPStatus, str] | None]


def default_max_connections() -> int:
    """The connections the server takes at once: what the file descriptor limit (RLIMIT_NOFILE)
    leaves after a reserve of an eighth (at least FD_RESERVE), at most
    MAX_CONNECTIONS_CEILING."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS_CEILING
    return max(1, min(MAX_CONNECTIONS_CEILING, soft - max(FD_RESERVE, soft // 8)))


@dataclass(frozen=True)
class ServerLimits:
    """What one client may make the server hold (README, "Hold up under abuse")."""

    head_bytes: int = 16 * 1024  # request line and headers
    head_fields: int = 64  # header lines
    request_timeout_s: float = 10.0  # from the connection's start to the head and body read
    max_connections: int = field(default_factory=default_max_connections)
    max_connections_per_client: int = 256
    drain_bytes: int = 64 * 1024  # read of a request once its response has begun


class HeadTooLarge(http.client.LineTooLong):
    """A request head over its budget of bytes (http.server answers a LineTooLong with 431)."""

    def __init__(self, limit: int) -> None:
        http.client.HTTPException.__init__(self, f"the request head is over {limit} bytes")


class TooManyFields(http.client.HTTPException):
    """A request head with more header lines than allowed (http.server answers 431)."""


class RequestInput(io.BufferedIOBase):
    """A connection's input as its handler reads it: the head within its budget and, until
    the deadline watchdog expires it, the body; once the response has begun, at most
    `drain_bytes` more (werkzeug reads what is left of a request, up to 10 GB, before it
    closes), and nothing at all once the app has refused the body."""

    def __init__(self, raw: io.BufferedIOBase, sock: socket.socket, limits: ServerLimits) -> None:
        super().__init__()
        self._raw, self._sock = raw, sock
        self._head_limit = limits.head_bytes
        self._head_left = limits.head_bytes
        self._fields = limits.head_fields
        self._lines = 0
        self._drain_bytes = limits.drain_bytes
        self._left: int | None = None  # bytes that may still be read; None: the body's own
        self._expired = False
        self.in_head = True
        self.request_line_too_long = False

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> bytes:
        self._check_deadline()
        if not self.in_head:
            return self._count(self._raw.readline(self._allowed(size)))
        allowed = (
            self._head_left + 1 if size is None or size < 0 else min(size, self._head_left + 1)
        )
        line = self._raw.readline(allowed)
        self._check_deadline()  # the watchdog's shutdown ends a read early
        self._head_left -= len(line)
        self._lines += 1
        if self._head_left < 0 and self._lines == 1:
            self.request_line_too_long = True  # the handler answers 414 (see parse_request)
        elif self._head_left < 0:
            raise HeadTooLarge(self._head_limit)
        elif self._lines > 2 + self._fields:  # the request line, the fields, the blank
            raise TooManyFields(f"the request has over {self._fields} header fields")
        return line

    def read(self, size: int | None = -1) -> bytes:
        self._check_deadline()
        if self._left is None:
            return self._raw.read(size)
        allowed = self._allowed(size)
        return self._count(self._raw.read1(allowed) if allowed else b"")

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()

    def end_head(self) -> None:
        self.in_head = False

    def response_begun(self) -> None:
        """From now on, reads take at most `drain_bytes` in all (none if refused)."""
        if self._left is None:
            self._left = self._drain_bytes

    def refuse(self) -> None:
        """The app will not take the body: read none of it."""
        self._left = 0

    def expire(self) -> None:
        """The deadline has passed: end the connection (the blocked read returns at once)."""
        self._expired = True
        with contextlib.suppress(OSError):  # the plain socket's: an SSLSocket's would tear
            socket.socket.shutdown(self._sock, socket.SHUT_RDWR)  # down its TLS state

    def _allowed(self, size: int | None) -> int:
        if self._left is None:
            return -1 if size is None else size
        return self._left if size is None or size < 0 else min(size, self._left)

    def _count(self, data: bytes) -> bytes:
        if self._left is not None:
            self._left -= len(data)
        return data

    def _check_deadline(self) -> None:
        if self._expired:
            raise TimeoutError("the request did not come within its deadline")


class RequestDeadlines:
    """One watchdog thread that expires the connections whose request has not all come
    within `timeout_s` of their start. A per-read timeout cannot do it: a client that sends
    a byte every few seconds resets it for ever."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout = timeout_s
        self._condition = threading.Condition()
        self._pending: dict[RequestInput, float] = {}  # in the order of their deadlines
        self._closed = False
        self._thread: threading.Thread | None = None

    def start(self, request_input: RequestInput) -> None:
        with self._condition:
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="deadlines", daemon=True)
                self._thread.start()
            self._pending[request_input] = time.monotonic() + self._timeout
            if len(self._pending) == 1:
                self._condition.notify()

    def end(self, request_input: RequestInput) -> None:
        """The request has all come, or its connection is over. Before the socket closes:
        the watchdog shuts sockets down under the same lock, never a closed one's number."""
        with self._condition:
            self._pending.pop(request_input, None)

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify()

    def __len__(self) -> int:
        return len(self._pending)

    def _watch(self) -> None:
        with self._condition:
            while not self._closed:
                now = time.monotonic()
                expired = []
                for request_input, due in self._pending.items():
                    if due > now:
                        break
                    expired.append(request_input)
                for request_input in expired:
                    del self._pending[request_input]
                    request_input.expire()
                next_due = next(iter(self._pending.values()), None)
                self._condition.wait(None if next_due is None else next_due - now)


class ConnectionCounts:
    """The connections held, in all and per client address, against their caps."""

    def __init__(self, most: int, most_per_client: int) -> None:
        self._most, self._most_per_client = most, most_per_client
        self._lock = threading.Lock()
        self._total = 0
        self._per_client: dict[str, int] = {}

    def admit(self, client: str) -> str | None:
        """Count a new connection from `client`; or, past a cap, why not (it is not counted)."""
        with self._lock:
            if self._total >= self._most:
                return f"the server holds its most connections ({self._most})"
            held = self._per_client.get(client, 0)
            if held >= self._most_per_client:
                return f"{client} holds its most connections ({self._most_per_client})"
            self._total += 1
            self._per_client[client] = held + 1
            return None

    def release(self, client: str) -> None:
        with self._lock:
            self._total -= 1
            held = self._per_client.pop(client) - 1
            if held:
                self._per_client[client] = held

    @property
    def total(self) -> int:
        return self._total


def check_framing(headers: Message) -> tuple[HTTPStatus, str] | None:
    """Refuse a body whose length two parties could read differently (request smuggling):
    two different Content-Length headers, one that is not a number, or one with
    Transfer-Encoding."""
    lengths = {value.strip() for value in headers.get_all("Content-Length") or ()}
    if len(lengths) > 1:
        return HTTPStatus.BAD_REQUEST, "two different Content-Length headers"
    if lengths and not DIGITS.fullmatch(next(iter(lengths))):
        return HTTPStatus.BAD_REQUEST, "Content-Length must be a number of bytes"
    if lengths and "Transfer-Encoding" in headers:
        return HTTPStatus.BAD_REQUEST, "Content-Length and Transfer-Encoding together"
    return None


def expects_body(headers: Message) -> bool:
    length = headers.get("Content-Length", "").strip()
    return length not in ("", "0") or "Transfer-Encoding" in headers


def unavailable_response(reason: str) -> bytes:
    """The whole 503 response the accepting thread sends a connection past a cap."""
    body = json.dumps({"error": f"too many connections: {reason}"}).encode()
    head = (
        "HTTP/1.0 503 Service Unavailable\r\n"
        f"Server: {SERVER_NAME}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Retry-After: 5\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class StreamingRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, answering in HTTP/1.0, with the limits of the module's docstring.

    Werkzeug closes every connection after one response anyway, so HTTP/1.1 buys nothing
    here; HTTP/1.0 spares each MJPEG part the chunked framing (three extra writes).
    """

    protocol_version = "HTTP/1.0"
    timeout = 30  # seconds one read or write may take; the deadline bounds the request
    server_version = SERVER_NAME
    # The errors http.server answers itself (400, 414, 431...) in the app's JSON; `explain`
    # is http.server's own text or this module's, never the client's.
    error_content_type = "application/json"
    error_message_format = '{"error": "%(explain)s"}'
    server: StreamingServer
    rfile: RequestInput

    def version_string(self) -> str:
        return SERVER_NAME

    def setup(self) -> None:
        super().setup()
        self.rfile = RequestInput(self.rfile, self.connection, self.server.limits)
        self.server.deadlines.start(self.rfile)

    def parse_request(self) -> bool:
        if self.rfile.request_line_too_long:
            self.requestline = self.request_version = self.command = ""
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return False
        parsed = super().parse_request() and self._passes_head_checks()
        self.rfile.end_head()
        if parsed and not expects_body(self.headers):
            self.server.deadlines.end(self.rfile)
        return parsed

    def _passes_head_checks(self) -> bool:
        for check in self.server.head_checks:
            refusal = check(self.headers)
            if refusal is not None:
                self.send_error(refusal[0], explain=refusal[1])
                return False
        return True

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        environ[REFUSE_BODY] = self.rfile.refuse
        return environ

    def send_response(self, code: int, message: str | None = None) -> None:
        self.server.deadlines.end(self.rfile)
        self.rfile.response_begun()
        super().send_response(code, message)

    def finish(self) -> None:
        self.server.deadlines.end(self.rfile)  # before the socket closes
        super().finish()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per request (--verbose), timestamped by the log's format only; the page's
        polls, answered, only if the server logs polls (--log-polls)."""
        access = logging.getLogger("werkzeug")
        if not access.isEnabledFor(logging.DEBUG):
            return
        path = getattr(self, "path", "")
        polled = self.command == "GET" and POLLED.fullmatch(path.split("?")[0]) is not None
        if polled and str(code) in ("200", "304") and not self.server.log_polls:
            return
        line = self.requestline.translate(CONTROL_CHARACTERS)
        access.info('%s "%s" %s %s', self.address_string(), line, code, size)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        self.server.bad_requests.log(
            logging.WARNING, "%s: " + format, client_key(self.client_address), *args
        )


class StreamingServer(ThreadedWSGIServer):
    """Werkzeug's thread-per-connection server (a viewer never waits for a slot in a fixed
    pool), with a listen queue long enough for a burst of hundreds of viewers, and the limits
    of the module's docstring."""

    request_queue_size = 1024
    log_polls = False  # --verbose logs the page's polls (POLLED) too

    def __init__(
        self,
        host: str,
        port: int,
        app: Flask,
        limits: ServerLimits | None = None,
        ssl_context: ssl.SSLContext | None = None,
        listen_now: bool = True,
    ) -> None:
        self._listen_now = listen_now  # False: bound now, connections refused until listen()
        self.limits = limits or ServerLimits()
        self.connections = ConnectionCounts(
            self.limits.max_connections, self.limits.max_connections_per_client
        )
        self.deadlines = RequestDeadlines(self.limits.request_timeout_s)
        self.head_checks: list[HeadCheck] = [check_framing]
        self.bad_requests = RateLimitedLog(log)
        self.refusals = RateLimitedLog(log)
        self.errors = RateLimitedLog(log)
        self._accept_pause = Backoff(0.05, 1.0)
        super().__init__(host, port, app, StreamingRequestHandler, ssl_context=ssl_context)

    def server_activate(self) -> None:
        if self._listen_now:
            super().server_activate()

    def listen(self) -> None:
        """Take connections on the port bound at start (listen_now=False): until now a client
        was refused at once, as by a server not started yet, rather than left waiting."""
        super().server_activate()

    def get_request(self) -> tuple[socket.socket, Any]:
        """accept(); out of file descriptors (or memory), wait before the next try: the
        listening socket stays readable, and socketserver would call accept() again at once."""
        try:
            connection = super().get_request()
        except OSError as error:
            if error.errno in OUT_OF_RESOURCES:
                delay = self._accept_pause.next_delay()
                self.refusals.log(
                    logging.WARNING,
                    "cannot accept connections (%s); trying again in %.2f s",
                    error.strerror,
                    delay,
                )
                time.sleep(delay)
            raise
        self._accept_pause.reset()
        return connection

    def process_request(self, request: Any, client_address: Any) -> None:
        client = client_key(client_address)
        refusal = self.connections.admit(client)
        if refusal is None:
            try:
                super().process_request(request, client_address)
                return
            except RuntimeError:  # no thread can be started
                self.connections.release(client)
                refusal = "the server cannot start another thread"
        self.refusals.log(logging.WARNING, "503 to %s: %s", client, refusal)
        self.refuse(request, refusal)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.connections.release(client_key(client_address))

    def refuse(self, sock: socket.socket, reason: str) -> None:
        """Answer 503 and close, on the accepting thread: a fresh socket's send buffer takes
        the few bytes at once. What the client has sent already is read first, so that the
        close does not reset the connection before the client reads the answer. A TLS
        connection is closed with no answer (its handshake would need a thread)."""
        if not isinstance(sock, ssl.SSLSocket):
            with contextlib.suppress(OSError):
                sock.setblocking(False)
                sock.send(unavailable_response(reason))
                sock.recv(self.limits.head_bytes)
        self.shutdown_request(sock)

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.errors.log(logging.ERROR, "error on a request from %s", client_address, exc_info=True)

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 (werkzeug's)
        self.errors.log(logging.getLevelName(type.upper()), message, *args)

    def server_close(self) -> None:
        self.deadlines.close()
        super().server_close()


def server_ssl_context(cert: str, key: str) -> ssl.SSLContext:
    """A TLS server context with this certificate and key; OSError (ssl.SSLError) if bad."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def make_http_server(
    app: Flask,
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None = None,
    limits: ServerLimits | None = None,
    listen_now: bool = True,
) -> StreamingServer:
    """The server on host:port; with listen_now False, bound but refusing connections until
    its listen() (a port in use is found at once, before a slow start)."""
    server = StreamingServer(host, port, app, limits, ssl_context, listen_now)
    if ssl_context:
        # The TLS handshake would otherwise run in accept(), on the one thread that accepts
        # every connection: a client that connects and says nothing would stop the server.
        # It runs in the connection's own thread instead, within the request's deadline.
        # An attribute of ssl.SSLSocket that typeshed does not declare.
        server.socket.do_handshake_on_connect = False  # type: ignore[attr-defined]
    return server


def redirect_on_this_host(response: Response) -> Response:
    """A redirect's Location as a path and query only (Flask's after_request): werkzeug
    builds the URL of its redirects (a doubled slash...) from the request's Host header."""
    if response.location:
        parts = urlsplit(response.location)
        path = "/" + parts.path.lstrip("/")  # never //host: a browser would go to that host
        response.location = urlunsplit(("", "", path, parts.query, ""))
    return response


def read_body(limit: int) -> bytes:
    """The request body, or a 400 if it is larger than `limit` bytes or cannot be read (a
    bad chunk). A body refused is not read on: the server closes the connection."""
    if (request.content_length or 0) > limit:
        refuse_body(f"the body is over {limit} bytes")
    try:
        body = request.stream.read(limit + 1)
    except ConnectionError:
        raise  # the client has gone: werkzeug drops the connection
    except OSError as error:  # werkzeug's DechunkedInput on a bad chunk; a read timed out
        refuse_body(f"the body cannot be read: {error}")
    if len(body) > limit:
        refuse_body(f"the body is over {limit} bytes")
    return body


def refuse_body(reason: str) -> NoReturn:
    """Answer 400 with `reason`, and have the server leave the rest of the body unread."""
    refuse = request.environ.get(REFUSE_BODY)
    if refuse is not None:
        refuse()
    abort(400, reason)


def client_key(client_address: Any) -> str:
    """The address a client's connections are counted under: its IP address, or "unix" for
    every peer of a UNIX socket (whose address is an empty string): a proxy in front."""
    if isinstance(client_address, tuple | list) and client_address:
        return str(client_address[0])
    return "unix"
