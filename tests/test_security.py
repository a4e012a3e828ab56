"""Who may ask what (security.py, auth.py): the Host and Origin checks against DNS rebinding
and other sites' pages, the security headers, logins, roles and the lockout after failed
logins; the page in Chromium under its Content-Security-Policy, logged in."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

import auth
from app import create_app, make_http_server
from auth import Authenticator, AuthError, read_users
from helpers import ROOT, free_port, run_app, start_app, wait_for
from sources import PatternSource
from stream import Pipeline

OPERATOR_PASSWORD, VIEWER_PASSWORD = "operator-secret", "viewer-secret"


@pytest.fixture(scope="module")
def users_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("auth") / "users"
    auth.add_user(path, "olga", "operator", OPERATOR_PASSWORD)
    auth.add_user(path, "victor", "viewer", VIEWER_PASSWORD)
    return path


@dataclass
class Guarded:
    url: str
    port: int
    pipeline: Pipeline

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, self.url + path, timeout=10, **kwargs)


@pytest.fixture
def serve() -> Iterator[Callable[..., Guarded]]:
    started = []

    def start(users: Path | None = None, hosts: set[str] | None = None) -> Guarded:
        source = PatternSource(160, 120, 30)
        pipeline = Pipeline(source, lambda: source)
        authenticator = Authenticator(read_users(users)) if users else None
        app = create_app(pipeline, allowed_hosts=hosts, authenticator=authenticator)
        http = make_http_server(app, "127.0.0.1", 0)
        pipeline.start()
        threading.Thread(target=http.serve_forever, daemon=True).start()
        started.append((pipeline, http))
        port = http.server_port
        return Guarded(f"http://127.0.0.1:{port}", port, pipeline)

    yield start
    for pipeline, http in started:
        http.shutdown()
        http.server_close()
        pipeline.stop()


LOCAL = {"127.0.0.1", "localhost"}


def test_another_host_name_gets_nothing(serve):
    """DNS rebinding: a page of rebound.example whose name now resolves to this machine."""
    guarded = serve(hosts=LOCAL)
    for method, path in (
        ("GET", "/snapshot.jpg"),
        ("GET", "/api/properties"),
        ("PUT", "/stream/jpeg_quality"),
    ):
        response = guarded.request(
            method, path, data="7", headers={"Host": f"rebound.example:{guarded.port}"}
        )
        assert response.status_code == 400 and "not allowed" in response.json()["error"]
    assert guarded.request("GET", "/stream/jpeg_quality").json() == 80
    assert guarded.request("GET", "/healthz", headers={"Host": f"localhost:{guarded.port}"}).ok


def test_another_sites_page_cannot_put_or_open_the_video_socket(serve):
    guarded = serve(hosts=LOCAL)
    foreign = {"Origin": "http://evil.example"}
    response = guarded.request("PUT", "/stream/jpeg_quality", data="7", headers=foreign)
    assert (
        response.status_code == 403 and guarded.request("GET", "/stream/jpeg_quality").json() == 80
    )
    own = {"Origin": guarded.url}
    assert guarded.request("PUT", "/stream/jpeg_quality", data="7", headers=own).json() == 7
    handshake = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode(),
        **foreign,
    }
    assert guarded.request("GET", "/video_ws", headers=handshake).status_code == 403


def test_every_answer_has_the_security_headers_and_the_page_no_inline_script(serve):
    guarded = serve(hosts=LOCAL)
    for path in ("/", "/stats", "/snapshot.jpg", "/nope"):
        headers = guarded.request("GET", path).headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
    page = guarded.request("GET", "/").text
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all("src=" in tag for tag in scripts), "no inline script"
    assert not re.search(r"\son[a-z]+=", page), "no inline event handler"


def test_without_a_user_only_the_login_page_and_the_probes_answer(serve, users_file):
    guarded = serve(users_file)
    for path in ("/stats", "/snapshot.jpg", "/video_feed", "/api/properties", "/cameras"):
        response = guarded.request("GET", path)
        assert response.status_code == 401 and "log in" in response.json()["error"]
    page = guarded.request("GET", "/", allow_redirects=False)
    assert page.status_code == 302 and page.headers["Location"] == "/login"
    assert guarded.request("GET", "/login").ok and guarded.request("GET", "/healthz").ok


def test_a_viewer_watches_and_an_operator_also_changes(serve, users_file):
    guarded = serve(users_file)
    viewer, operator = ("victor", VIEWER_PASSWORD), ("olga", OPERATOR_PASSWORD)
    assert guarded.request("GET", "/stream/jpeg_quality", auth=viewer).json() == 80
    refused = guarded.request("PUT", "/stream/jpeg_quality", data="9", auth=viewer)
    assert refused.status_code == 403 and "needs an operator" in refused.json()["error"]
    assert guarded.request("PUT", "/stream/jpeg_quality", data="9", auth=operator).json() == 9
    bearer = {"Authorization": f"Bearer olga:{OPERATOR_PASSWORD}"}
    assert guarded.request("PUT", "/stream/jpeg_quality", data="10", headers=bearer).json() == 10
    session = requests.Session()
    login = session.post(
        guarded.url + "/login", json={"name": "victor", "password": VIEWER_PASSWORD}
    )
    assert login.json() == {"user": "victor", "role": "viewer"}
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert session.get(guarded.url + "/whoami").json() == {"user": "victor", "role": "viewer"}
    assert session.get(guarded.url + "/snapshot.jpg").headers["Content-Type"] == "image/jpeg"
    session.post(guarded.url + "/logout")
    assert session.get(guarded.url + "/stats").status_code == 401


def test_failed_logins_lock_the_client_out(serve, users_file):
    guarded = serve(users_file)
    codes = [
        guarded.request("GET", "/stats", auth=("victor", f"guess-{n}")).status_code
        for n in range(auth.MAX_FAILURES + 3)
    ]
    assert codes == [401] * auth.MAX_FAILURES + [429] * 3
    locked = guarded.request("GET", "/stats", auth=("victor", VIEWER_PASSWORD))
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    form = guarded.request("POST", "/login", data={"name": "victor", "password": "x"})
    assert form.status_code == 429 and "too many failed logins" in form.text


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "no users"),
        ("ann:admin:scrypt$1$1$1$a$b\n", "role viewer or operator"),
        ("ann:viewer:plaintext\n", "not one `python -m auth` makes"),
    ],
)
def test_a_bad_users_file_is_one_line(tmp_path, text, problem):
    path = tmp_path / "users"
    path.write_text(text)
    with pytest.raises(AuthError, match=re.escape(problem)):
        read_users(path)


def test_the_auth_command_and_the_start_line(tmp_path):
    users = tmp_path / "users"
    made = run_app_module("auth", str(users), "ann", "--role", "operator", stdin="long-password\n")
    assert made.returncode == 0 and read_users(users)["ann"][0].role == "operator"
    assert "--password-stdin" in made.args
    assert run_app("--auth", str(tmp_path / "none")).stderr.startswith("error: --auth:")
    port = free_port()
    process = start_app(port, "--host", "0.0.0.0", merge_output=True)
    try:
        wait_for(lambda: reachable(port), timeout=60)
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "with no --auth: anyone who reaches this port" in output


def reachable(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok
    except requests.ConnectionError:
        return False


def run_app_module(module: str, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args, "--password-stdin"],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_page_logs_in_and_works_under_its_policy(serve, users_file, browser):
    guarded = serve(users_file, hosts=LOCAL)
    context = browser.new_context()
    try:
        page = context.new_page()
        refused: list[str] = []
        page.on("console", lambda message: refused.append(message.text))
        page.goto(guarded.url + "/", wait_until="load")
        assert page.url.endswith("/login")
        page.fill("#login-name", "olga")
        page.fill("#login-password", "wrong password")
        page.click("button[type=submit]")
        assert "wrong user name or password" in page.locator(".alert-danger").text_content()
        page.fill("#login-name", "olga")
        page.fill("#login-password", OPERATOR_PASSWORD)
        page.click("button[type=submit]")
        # polled from here: the page's policy forbids the eval that wait_for_function uses
        wait_for(lambda: int(page.locator("#video").get_attribute("data-frames") or 0) > 0)
        assert page.locator("#video").get_attribute("data-transport") == "websocket"
        page.locator("#ctl-stream-overlay_stats").check()
        wait_for(
            lambda: (
                guarded.request(
                    "GET", "/stream/overlay_stats", auth=("olga", OPERATOR_PASSWORD)
                ).json()
                is True
            )
        )
        assert not [text for text in refused if "Content Security Policy" in text], refused
    finally:
        context.close()
