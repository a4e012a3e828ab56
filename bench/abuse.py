"""Attack benchmark: the attacks of issue 13 against `python app.py`, with the figures that
say whether the server holds up (README, "Hold up under abuse").

Starts the app (the 640x480 30 fps test pattern) as a subprocess with its default limits,
watches its video with one viewer, and runs, one after the other:
- a flood of bad requests (bad request lines, heads over the budget, 980 '['), and the log
  lines it wrote;
- a header bomb: 200 connections at once, each sending 95 headers of 64 KB that never end,
  reconnecting when closed;
- slowloris: 1,000 connections that send a header line every 2 s, from 4 client addresses
  (127.0.0.2-5: the loopback is a /8) and then from one;
- bodies over the limit: 50 PUTs at once declaring 20 MB and sending up to 11 MB, again and
  again;
- the malformed requests: 980 '[', a bad chunk size, two Content-Length headers;
- out of file descriptors: the app under `ulimit -n 1024` (a shell), 1,100 idle connections
  from 5 addresses, with its default cap, then with a cap above what the limit allows.
For each: the server's RSS (peak, and after), the viewer's fps during it, /healthz.
It prints figures, never pass/fail.

    python -m bench.abuse [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench.fanout import busy_seconds, cpu_model, free_port, stop_process, wait_healthy
from mjpeg import MjpegParser

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CLIENTS = [f"127.0.0.{n}" for n in range(2, 7)]  # source addresses: several clients
SETTING = "/stream/jpeg_quality"


@dataclass
class App:
    """A running app: its port, process and log file."""

    port: int
    process: psutil.Process
    log: Path

    def log_lines(self) -> int:
        return len(self.log.read_text(errors="replace").splitlines())


@contextmanager
def running_app(*flags: str, nofile: int | None = None) -> Iterator[App]:
    """`python app.py` on a free port, logging to a file; under `ulimit -n nofile` in a shell
    if asked."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "app.log"
        command = [sys.executable, "app.py", "--host", HOST, "--port", str(port)]
        command += ["--log-file", str(log), *flags]
        if nofile is not None:
            command = ["bash", "-c", f"ulimit -n {nofile} && exec {shlex.join(command)}"]
        with tempfile.TemporaryFile() as output:
            popen = subprocess.Popen(
                command, cwd=REPO, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
            try:
                wait_healthy(popen, port, output)
                yield App(port, psutil.Process(popen.pid), log)
            finally:
                stop_process(popen)


class Probe(threading.Thread):
    """Samples the app's RSS and threads, and GETs /healthz, until stopped."""

    def __init__(self, app: App, interval_s: float = 0.1) -> None:
        super().__init__(daemon=True)
        self._app, self._interval = app, interval_s
        self._done = threading.Event()
        self.rss_mb: list[float] = []
        self.threads: list[int] = []
        self.health: list[tuple[int, float]] = []  # status (0: no answer), seconds

    def run(self) -> None:
        while not self._done.wait(self._interval):
            with_memory = self._app.process.memory_info()
            self.rss_mb.append(with_memory.rss / 2**20)
            self.threads.append(self._app.process.num_threads())
            if len(self.rss_mb) % 5 == 0:
                self.health.append(health(self._app.port))

    def stop(self) -> None:
        self._done.set()
        self.join()


def health(port: int) -> tuple[int, float]:
    """GET /healthz: its status (0 if no answer within 5 s) and how long it took."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=5) as response:
            code = response.status
    except urllib.error.HTTPError as error:
        code = error.code
    except OSError:
        code = 0
    return code, time.monotonic() - started


class Watcher(threading.Thread):
    """One viewer of /video_feed, on a thread of its own: the times its frames arrive."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self._port = port
        self.arrivals: list[float] = []
        self._closed = False

    def run(self) -> None:
        parser = MjpegParser(keep_body=False)
        with socket.create_connection((HOST, self._port), timeout=30) as sock:
            sock.sendall(b"GET /video_feed HTTP/1.0\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(4096)
            parser.feed(head.split(b"\r\n\r\n", 1)[1])
            while not self._closed and (data := sock.recv(262144)):
                self.arrivals += [time.monotonic()] * len(parser.feed(data))

    def fps(self, start: float, end: float) -> float:
        return sum(start <= t < end for t in self.arrivals) / (end - start)

    def close(self) -> None:
        self._closed = True


@dataclass
class Figures:
    """What one attack did to the app."""

    attack: str
    rss_before_mb: float
    rss_peak_mb: float
    rss_after_mb: float
    threads_peak: int
    viewer_fps_before: float
    viewer_fps_during: float
    health: str  # /healthz during the attack: statuses and the slowest answer
    log_lines: int = 0  # written during the attack
    app_cpu_percent: float = 0.0  # the app's, during the attack, in % of one core
    details: dict[str, Any] = field(default_factory=dict)


@contextmanager
def measured(app: App, watcher: Watcher, attack: str, settle_s: float = 5.0) -> Iterator[Figures]:
    """Measure the app around the block: RSS, threads, the viewer's fps, /healthz."""
    rss_before = app.process.memory_info().rss / 2**20
    fps_before = watcher.fps(time.monotonic() - 3, time.monotonic())
    probe = Probe(app)
    probe.start()
    started = time.monotonic()
    figures = Figures(attack, rss_before, 0, 0, 0, fps_before, 0, "")
    lines_before = app.log_lines()
    cpu_before = busy_seconds(app.process)
    try:
        yield figures
    finally:
        ended = time.monotonic()
        cpu = busy_seconds(app.process) - cpu_before
        figures.app_cpu_percent = cpu / (ended - started) * 100
        time.sleep(settle_s)
        probe.stop()
        figures.rss_peak_mb = max(probe.rss_mb, default=rss_before)
        figures.rss_after_mb = app.process.memory_info().rss / 2**20
        figures.threads_peak = max(probe.threads, default=0)
        figures.log_lines = app.log_lines() - lines_before
        figures.viewer_fps_during = watcher.fps(started, ended)
        codes = sorted({code for code, _ in probe.health})
        slowest = max((seconds for _, seconds in probe.health), default=0.0)
        figures.health = f"{'/'.join(map(str, codes))} in <= {slowest:.2f} s"


async def open_from(client: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(HOST, port, local_addr=(client, 0))


async def status_of(reader: asyncio.StreamReader, timeout: float = 10.0) -> int:
    """The status of the answer (0 if none: closed or reset)."""
    try:
        line = await asyncio.wait_for(reader.readline(), timeout)
        return int(line.split(b" ")[1]) if line.startswith(b"HTTP/") else 0
    except (TimeoutError, OSError, ValueError, IndexError):
        return 0


async def repeatedly(
    connections: int, seconds: float, attempt: Callable[[int], Awaitable[int]]
) -> dict[str, int]:
    """`connections` attackers at once, each making `attempt` again as soon as the last one
    is over, for `seconds`: how often each status was answered (0: closed with no answer,
    or reset before the answer was read)."""
    answers: dict[str, int] = {}
    stop_at = time.monotonic() + seconds

    async def attacker(number: int) -> None:
        while time.monotonic() < stop_at:
            try:
                code = await attempt(number)
            except OSError:
                code = 0
            answers[str(code)] = answers.get(str(code), 0) + 1
            await asyncio.sleep(0.05)

    await asyncio.gather(*(attacker(n) for n in range(connections)))
    return answers


async def send_then_answer(number: int, port: int, head: bytes, chunks: Iterable[bytes]) -> int:
    """Send `head` then `chunks` (until the server closes), from one of CLIENTS; the status
    the server answered."""
    reader, writer = await open_from(CLIENTS[number % len(CLIENTS)], port)
    try:
        writer.write(head)
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
    except OSError:
        pass
    code = await status_of(reader, 1.0)
    writer.close()
    return code


async def header_bomb(port: int, connections: int, seconds: float) -> dict[str, Any]:
    """`connections` at once, each sending 95 headers of 64 KB and never the end of its
    head, again whenever the server closes it."""
    header = b"X-Bomb: " + b"a" * 65536 + b"\r\n"
    head = b"GET / HTTP/1.1\r\nHost: bench\r\n"
    answers = await repeatedly(
        connections, seconds, lambda n: send_then_answer(n, port, head, [header] * 95)
    )
    return {"answers": answers}


async def big_bodies(
    port: int, count: int, declared: int, sent: int, seconds: float
) -> dict[str, Any]:
    """`count` PUTs at once, each declaring `declared` bytes and sending up to `sent`, again
    whenever the server closes it."""
    head = put_request(b"", f"Content-Length: {declared}")
    chunks = [b"0" * 65536] * (sent // 65536)
    answers = await repeatedly(count, seconds, lambda n: send_then_answer(n, port, head, chunks))
    return {"answers": answers}


async def slowloris(port: int, connections: int, clients: list[str]) -> dict[str, Any]:
    """`connections` that send a header line every 2 s, from `clients` in turn: when each
    was closed, from its start."""
    closed_after: list[float] = []
    refused = 0

    async def slow(number: int) -> None:
        nonlocal refused
        started = time.monotonic()
        reader, writer = await open_from(clients[number % len(clients)], port)
        writer.write(b"GET / HTTP/1.1\r\nHost: bench\r\n")
        while time.monotonic() - started < 60:
            try:
                data = await asyncio.wait_for(reader.read(4096), 2.0)
            except TimeoutError:
                writer.write(b"X-Slow: 1\r\n")
                continue
            except OSError:
                break
            refused += data.startswith(b"HTTP/1.0 503")
            break  # closed, or answered
        closed_after.append(time.monotonic() - started)
        writer.close()

    await asyncio.gather(*(slow(n) for n in range(connections)))
    return {
        "connections": connections,
        "clients": len(clients),
        "refused_503_at_once": refused,
        "all_closed_within_s": round(max(closed_after), 1),
        "still_open_after_60_s": sum(t >= 60 for t in closed_after),
    }


def exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def put_request(body: bytes, *headers: str) -> bytes:
    head = "".join(f"{header}\r\n" for header in headers)
    return f"PUT {SETTING} HTTP/1.1\r\nHost: b\r\n{head}\r\n".encode() + body


def malformed(port: int) -> dict[str, str]:
    """The status line of each malformed request of the issue."""
    nested = b"[" * 980
    requests = {
        "980 '['": put_request(nested, f"Content-Length: {len(nested)}"),
        "bad chunk size": put_request(b"zz\r\n80\r\n0\r\n\r\n", "Transfer-Encoding: chunked"),
        "two Content-Length": put_request(b"80", "Content-Length: 2", "Content-Length: 3"),
    }
    return {
        name: exchange(port, request).split(b"\r\n", 1)[0].decode("latin-1")
        for name, request in requests.items()
    }


async def bad_request_flood(port: int, connections: int, seconds: float) -> dict[str, Any]:
    """Bad requests from `connections` attackers at once: a bad request line, a head over its
    budget, 980 '[' in turn."""
    kinds = [
        b"GET / x HTTP/1.0\r\n\r\n",
        b"GET / HTTP/1.0\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n",
        put_request(b"[" * 980, "Content-Length: 980"),
    ]
    answers = await repeatedly(
        connections, seconds, lambda n: send_then_answer(n, port, kinds[n % len(kinds)], [])
    )
    return {"answers": answers}


async def idle_connections(port: int, count: int, seconds: float, app: App) -> dict[str, Any]:
    """`count` idle connections from CLIENTS in turn, held `seconds` (less than the request
    deadline): how many were answered 503 at once, the app's CPU before and while they are
    held, and /healthz meanwhile."""
    cpu_before, started = busy_seconds(app.process), time.monotonic()
    await asyncio.sleep(3)
    cpu_alone = (busy_seconds(app.process) - cpu_before) / (time.monotonic() - started) * 100
    opened = []
    for number in range(count):
        with suppress(OSError):
            opened.append(await open_from(CLIENTS[number % len(CLIENTS)], port))
    cpu_before, started = busy_seconds(app.process), time.monotonic()
    answers = await asyncio.gather(*(status_of(reader, 1.0) for reader, _ in opened))
    health_during = []
    while time.monotonic() - started < seconds:
        health_during.append(await asyncio.to_thread(health, port))
        await asyncio.sleep(0.5)
    cpu = (busy_seconds(app.process) - cpu_before) / (time.monotonic() - started) * 100
    for _, writer in opened:
        writer.close()
    codes = sorted({code for code, _ in health_during})
    return {
        "connections": count,
        "refused_503_at_once": answers.count(503),
        "app_cpu_percent_before": round(cpu_alone, 1),
        "app_cpu_percent_while_held": round(cpu, 1),
        "healthz": f"{'/'.join(map(str, codes))} in <= "
        f"{max(seconds for _, seconds in health_during):.2f} s",
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # this process holds 1,100+
    results: dict[str, Any] = {
        "machine": {
            "cpu": cpu_model(),
            "cores": psutil.cpu_count(),
            "python": platform.python_version(),
        },
        "attacks": [],
    }
    with running_app() as app:
        watcher = Watcher(app.port)
        watcher.start()
        time.sleep(4)
        for name, attack in (
            ("bad requests from 30 clients at once", lambda: bad_request_flood(app.port, 30, 10)),
            ("header bomb: 200 x 95 headers of 64 KB", lambda: header_bomb(app.port, 200, 15)),
            ("slowloris: 1,000 from 4 addresses", lambda: slowloris(app.port, 1000, CLIENTS[:4])),
            ("slowloris: 1,000 from 1 address", lambda: slowloris(app.port, 1000, CLIENTS[:1])),
            (
                "50 PUTs declaring 20 MB, sending 11 MB",
                lambda: big_bodies(app.port, 50, 20_000_000, 11_000_000, 10),
            ),
        ):
            progress(name)
            with measured(app, watcher, name) as figures:
                figures.details = asyncio.run(attack())
            results["attacks"].append(asdict(figures))
        progress("malformed requests")
        results["malformed"] = malformed(app.port)
        watcher.close()
    for name, flags in (
        ("ulimit -n 1024, default cap", ()),
        ("ulimit -n 1024, --max-connections 4000", ("--max-connections", "4000")),
    ):
        progress(name)
        with running_app(*flags, nofile=1024) as app:
            time.sleep(2)
            lines_before = app.log_lines()
            held = asyncio.run(idle_connections(app.port, 1100, 8.0, app))
            held["log_lines_written"] = app.log_lines() - lines_before
            results[name] = held
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return results


def progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def report(results: dict[str, Any]) -> None:
    print(f"machine: {results['machine']}")
    print()
    print(
        "| attack | RSS before / peak / after (MB) | threads peak | app CPU % | viewer fps "
        "before / during | /healthz during | log lines | what happened |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in results["attacks"]:
        print(
            f"| {row['attack']} | {row['rss_before_mb']:.0f} / {row['rss_peak_mb']:.0f} / "
            f"{row['rss_after_mb']:.0f} | {row['threads_peak']} | {row['app_cpu_percent']:.0f} | "
            f"{row['viewer_fps_before']:.1f} / {row['viewer_fps_during']:.1f} | {row['health']} | "
            f"{row['log_lines']} | {json.dumps(row['details'])} |"
        )
    print()
    for name, line in results["malformed"].items():
        print(f"{name}: {line}")
    for name in ("ulimit -n 1024, default cap", "ulimit -n 1024, --max-connections 4000"):
        print(f"{name}: {json.dumps(results[name])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    results = run(args)
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
