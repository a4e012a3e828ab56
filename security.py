"""Who may ask what: the Host and Origin checks, logins and roles, and the page's security
headers, installed on the Flask app as request hooks.

- Host: a request whose Host is not one of `allowed_hosts` is refused (400), so a page of
  another site whose name was made to resolve to this machine (DNS rebinding) gets nothing.
- Origin: a PUT or POST, and a WebSocket handshake, that a page of another origin sends is
  refused (403); the browser sets Origin and the page cannot forge it.
- With an Authenticator (--auth FILE, auth.py), every path but the login page, its static
  files and the health probes needs a user: a viewer for GET (and POST /webrtc/output, which
  only plays the video), an operator for every other PUT and POST. A missing user is a 401, a
  viewer's PUT a 403, both in JSON; the page itself sends a browser to /login.
- Every answer carries a Content-Security-Policy without inline script, frame-ancestors
  'self', X-Content-Type-Options and a Referrer-Policy.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import ipaddress
import socket
import struct
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Response, abort, g, jsonify, redirect, render_template, request, session
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from auth import OPERATOR, VIEWER, Authenticator, User

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
}
OPEN_PATHS = ("/login", "/healthz", "/readyz")  # no user needed
OPEN_PREFIXES = ("/static/", "/bootstrap/")  # the login page's own files
VIEWER_POSTS = ("/webrtc/output", "/logout")  # POSTs that change no setting
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
SIOCGIFADDR = 0x8915  # linux/sockios.h


def local_addresses() -> set[str]:
    """This machine's IP addresses: every interface's IPv4 address and every IPv6 address."""
    found = {"127.0.0.1", "::1"}
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with probe:
        for _, name in socket.if_nameindex():
            request_ = struct.pack("256s", name.encode()[:15])
            with contextlib.suppress(OSError):
                answer = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request_)
                found.add(socket.inet_ntoa(answer[20:24]))
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            found.add(str(ipaddress.IPv6Address(bytes.fromhex(line.split()[0]))))
    return found


def default_allowed_hosts() -> set[str]:
    """Localhost's names, this machine's addresses, and its host name (with .local)."""
    hostname = socket.gethostname()
    return {*LOCAL_NAMES, *local_addresses(), hostname, f"{hostname}.local", socket.getfqdn()}


def host_name(host: str) -> str:
    """The name or address of a Host header, without its port and brackets, lower-case."""
    return (urlsplit(f"//{host}").hostname or "").lower()


def install(
    app: Flask, allowed_hosts: Iterable[str] | None, authenticator: Authenticator | None
) -> None:
    """Add the checks and headers to `app`. `allowed_hosts` None allows any Host ("*")."""
    allowed = None if allowed_hosts is None else {host.lower() for host in allowed_hosts}

    @app.before_request
    def check_request() -> BaseResponse | None:
        if allowed is not None and host_name(request.host) not in allowed:
            abort(400, f"host {host_name(request.host)!r} is not allowed here (--allowed-hosts)")
        websocket = request.headers.get("Upgrade", "").lower() == "websocket"
        if (request.method not in ("GET", "HEAD") or websocket) and not same_origin():
            abort(403, "a request from another site's page is refused")
        if authenticator is not None:
            return check_user(authenticator)
        return None

    @app.after_request
    def add_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.get("/whoami")
    def whoami() -> Response:
        """Who the page's user is; without --auth, everyone is an operator."""
        if authenticator is None:
            return jsonify({"user": None, "role": OPERATOR})
        user: User | None = g.get("user")
        return jsonify({"user": user.name, "role": user.role} if user else {"user": None})

    if authenticator is not None:
        add_login(app, authenticator)


def same_origin() -> bool:
    """Whether the request's Origin, if it has one, is this server as the client named it."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not sent by a browser's page (curl, scripts): the Host check covers it
    parts = urlsplit(origin)
    return parts.netloc.lower() == request.host.lower() and parts.scheme in ("http", "https")


def check_user(authenticator: Authenticator) -> BaseResponse | None:
    """Who is asking, and whether they may; None to go on, or the answer that refuses."""
    path = request.path
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return None
    user = session_user(authenticator) or credentials_user(authenticator)
    if user is None:
        if request.method == "GET" and path == "/":
            return redirect("/login")  # a relative Location: no Host is echoed
        abort(401, "log in first: the page's /login, or basic auth (curl -u NAME:PASSWORD)")
    needed = VIEWER if request.method in ("GET", "HEAD") or path in VIEWER_POSTS else OPERATOR
    if not user.may(needed):
        abort(403, f"{user.name} is a {user.role}; this needs an {needed}")
    g.user = user
    return None


def session_user(authenticator: Authenticator) -> User | None:
    name = session.get("user")
    return authenticator.user(name) if isinstance(name, str) else None


def credentials_user(authenticator: Authenticator) -> User | None:
    """The user of a basic or bearer Authorization header; a 429 while the client is
    locked out, a 401 for wrong credentials."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            value = base64.b64decode(value, validate=True).decode()
        except ValueError:
            abort(400, "Authorization: Basic needs base64 of NAME:PASSWORD")
    elif scheme.lower() != "bearer":
        return None
    name, _, password = value.partition(":")
    return login(authenticator, name, password)


def login(authenticator: Authenticator, name: str, password: str) -> User:
    """The user, or a 429 (locked out) or 401 (wrong credentials)."""
    client = request.remote_addr or ""
    wait = authenticator.retry_after(client)
    if wait:
        response = jsonify({"error": f"too many failed logins; try again in {wait} s"})
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        abort(response)
    user = authenticator.check(client, name, password)
    if user is None:
        abort(401, "wrong user name or password")
    return user


def add_login(app: Flask, authenticator: Authenticator) -> None:
    """GET /login (the form), POST /login (form or JSON; sets the session cookie), POST
    /logout."""

    @app.get("/login")
    def login_page() -> str:
        return render_template("login.html", title=title())

    def title() -> str:
        return str(app.config.get("TITLE", "DNN Dashboard"))

    @app.post("/login")
    def login_post() -> BaseResponse | tuple[str, int]:
        data = request.get_json(silent=True) if request.is_json else request.form
        data = data if isinstance(data, dict) else {}
        try:
            user = login(authenticator, str(data.get("name", "")), str(data.get("password", "")))
        except HTTPException as refused:
            if request.is_json:
                raise
            locked = refused.response is not None  # the 429 of login()
            message = "too many failed logins; try again later" if locked else refused.description
            page = render_template("login.html", title=title(), error=message)
            return page, 429 if locked else refused.code or 401
        session.clear()
        session["user"] = user.name
        if request.is_json:
            return jsonify({"user": user.name, "role": user.role})
        return redirect("/")

    @app.post("/logout")
    def logout() -> Response:
        session.clear()
        return jsonify({"user": None})
