"""Fan-out benchmark: the dashboard's MJPEG stream to N viewers, against the naive pattern,
and its WebSocket video (/video_ws, the page's) to the same N.

Starts `python app.py` (the 640x480 30 fps test pattern) as a subprocess, connects N viewers
from this process (asyncio, raw sockets, parsed with mjpeg.MjpegParser or
websocket_video.VideoMessages) and measures, over a window after a warm-up: per-viewer fps,
latency (arrival minus the frame's capture time), the server's CPU and RSS, and the time to
the first frame. Then one slow viewer among ten normal ones, the same N over WebSockets, and
the same N against bench/naive_server.py (one capture and encoder per viewer).
It prints figures, never pass/fail.

    python -m bench.fanout [--viewers 1,10,50,100,200] [--seconds 8] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import psutil

from mjpeg import MjpegParser
from websocket_video import VideoMessages

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REQUEST = b"GET /video_feed HTTP/1.0\r\nHost: bench\r\n\r\n"
WEBSOCKET_REQUEST = (
    b"GET /video_ws HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: YmVuY2gtZmFub3V0LWtleQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
READ_BUFFER = 256 * 1024
SLOW_CHUNK = 2048
STARTUP_TIMEOUT_S = 30.0
IDLE_TIMEOUT_S = 15.0


@dataclass
class Server:
    """A running server subprocess."""

    name: str
    port: int
    process: psutil.Process
    idle_threads: int  # its thread count with no viewer: one thread per connection on top


@dataclass
class Window:
    """The measurement window and what the processes used during it."""

    start: float  # time.time()
    end: float
    cpu_percent: float  # the server's, in % of one core
    rss_mb: float  # the server's, at the end
    client_cpu_percent: float  # this process's (all the viewers)
    server_stats: dict | None  # the server's /stats at the end, if it has one


@dataclass
class Viewer:
    """One viewer's bookkeeping: skips the HTTP response head, parses parts (or WebSocket
    messages), records arrivals."""

    websocket: bool = False
    camera: str = ""  # a camera's name: its /cameras/<name>/ stream; "": the first camera's
    connect_start: float = 0.0
    first_part: float | None = None
    arrivals: list[tuple[float, float, int]] = field(default_factory=list)  # time, lag, bytes
    error: str | None = None
    _head: bytearray | None = field(default_factory=bytearray)
    _parser: MjpegParser = field(default_factory=lambda: MjpegParser(keep_body=False))
    _messages: VideoMessages = field(default_factory=VideoMessages)

    @property
    def request(self) -> bytes:
        request = WEBSOCKET_REQUEST if self.websocket else REQUEST
        if self.camera:
            path = b"/video_ws" if self.websocket else b"/video_feed"
            request = request.replace(path, b"/cameras/" + self.camera.encode() + path, 1)
        return request

    def feed(self, data: memoryview) -> None:
        """Take bytes as received; ValueError on a response that is not a 200 stream (101
        for a WebSocket)."""
        if self._head is not None:
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self._head[: self._head.find(b"\r\n")])
            if status.split(b" ")[1:2] != [b"101" if self.websocket else b"200"]:
                raise ValueError(f"response {status.decode('latin-1')!r}")
            data, self._head = memoryview(bytes(self._head[end + 4 :])), None
        now = time.time()
        if self.websocket:
            frames = [(stamp, len(jpeg)) for _, stamp, jpeg in self._messages.feed(data)]
        else:
            parts = self._parser.feed(data)
            frames = [(part.timestamp, int(part.headers["content-length"])) for part in parts]
        for timestamp, size in frames:
            self.arrivals.append((now, now - timestamp, size))
            if self.first_part is None:
                self.first_part = now

    def in_window(self, start: float, end: float) -> list[tuple[float, float, int]]:
        return [arrival for arrival in self.arrivals if start <= arrival[0] < end]

    def fps(self, window: Window) -> float:
        return len(self.in_window(window.start, window.end)) / (window.end - window.start)


class ViewerProtocol(asyncio.BufferedProtocol):
    """Sends the request, then feeds everything received to its Viewer, as fast as it comes."""

    def __init__(self, viewer: Viewer) -> None:
        self._viewer = viewer
        self._buffer = bytearray(READ_BUFFER)
        self._transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(self._viewer.request)

    def get_buffer(self, sizehint: int) -> bytearray:
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        try:
            self._viewer.feed(memoryview(self._buffer)[:nbytes])
        except ValueError as error:
            self._viewer.error = str(error)
            assert self._transport is not None
            self._transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class TokenBucket:
    """Allows `rate` bytes per second, in bursts of at most `capacity` bytes."""

    def __init__(self, rate: float, capacity: int) -> None:
        self._rate, self._capacity = rate, capacity
        self._tokens = float(capacity)
        self._stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    async def wait_for(self, amount: int) -> None:
        """Wait until `amount` bytes may be taken."""
        self._refill()
        if self._tokens < amount:
            await asyncio.sleep((amount - self._tokens) / self._rate)
            self._refill()

    def spend(self, amount: int) -> None:
        self._tokens -= amount


async def watch(port: int, viewer: Viewer) -> None:
    """A normal viewer: reads the stream as fast as the server sends it, until cancelled."""
    loop = asyncio.get_running_loop()
    viewer.connect_start = time.time()
    try:
        transport, protocol = await loop.create_connection(
            lambda: ViewerProtocol(viewer), HOST, port
        )
    except OSError as error:
        viewer.error = f"connect: {error}"
        return
    try:
        await protocol.closed
        viewer.error = viewer.error or "the server closed the connection"
    finally:
        transport.abort()


async def watch_slow(port: int, viewer: Viewer, rate: float, rcvbuf: int) -> None:
    """A viewer behind a slow link: token-bucket paced reads of small chunks."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A slow link holds few bytes in flight. With the default receive buffer (autotuned up to
    # tcp_rmem's max, MBs) the kernel would accept frames on this viewer's behalf at loopback
    # speed: a queue at the receiver that the server can neither see nor drain-wait on, so the
    # lag measured would be this client's, not the server's. The size must be set before
    # connect(): the TCP window scale is fixed in the handshake.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    bucket = TokenBucket(rate, SLOW_CHUNK)
    viewer.connect_start = time.time()
    try:
        await loop.sock_connect(sock, (HOST, port))
        await loop.sock_sendall(sock, REQUEST)
        while True:
            await bucket.wait_for(SLOW_CHUNK)
            data = await loop.sock_recv(sock, SLOW_CHUNK)
            if not data:
                viewer.error = "the server closed the connection"
                return
            bucket.spend(len(data))
            viewer.feed(memoryview(data))
    except (OSError, ValueError) as error:
        viewer.error = str(error)
    finally:
        sock.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def get_json(port: int, path: str, timeout: float = 2.0) -> dict | None:
    """GET a JSON document from the server; None if it does not answer one."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=timeout) as response:
            return json.load(response)
    except (OSError, ValueError):
        return None


def wait_healthy(popen: subprocess.Popen, port: int, log: IO[bytes]) -> None:
    """Wait for /healthz to answer; RuntimeError with the server's output if it never does."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline and popen.poll() is None:
        if get_json(port, "/healthz", timeout=1.0) is not None:
            return
        time.sleep(0.1)
    log.seek(0)
    output = log.read().decode(errors="replace")[-2000:]
    raise RuntimeError(f"server did not become healthy (exit code {popen.poll()}):\n{output}")


def stop_process(popen: subprocess.Popen) -> None:
    if popen.poll() is None:
        popen.terminate()
        try:
            popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()


@contextmanager
def running_server(name: str, script: str) -> Iterator[Server]:
    """Run `python <script> --host HOST --port <free>` from the repo root; always stop it."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        # Own session: a Ctrl-C reaches only us, and the finally below stops the server.
        popen = subprocess.Popen(
            [sys.executable, *script.split(), "--host", HOST, "--port", str(port)],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_healthy(popen, port, log)
            time.sleep(0.5)  # let the /healthz request's thread end
            process = psutil.Process(popen.pid)
            yield Server(name, port, process, process.num_threads())
        finally:
            stop_process(popen)


def busy_seconds(process: psutil.Process) -> float:
    """CPU seconds used by all of the process's threads."""
    times = process.cpu_times()
    return times.user + times.system


async def measure_window(server: Server, seconds: float) -> Window:
    """The server's CPU (in % of one core) and RSS, and this process's CPU, over `seconds`."""
    me = psutil.Process()
    server_before, me_before, start = busy_seconds(server.process), busy_seconds(me), time.time()
    await asyncio.sleep(seconds)
    server_after, me_after, end = busy_seconds(server.process), busy_seconds(me), time.time()
    elapsed = end - start
    stats = await asyncio.to_thread(get_json, server.port, "/stats")
    return Window(
        start,
        end,
        100 * (server_after - server_before) / elapsed,
        server.process.memory_info().rss / 2**20,
        100 * (me_after - me_before) / elapsed,
        stats,
    )


async def wait_idle(server: Server) -> None:
    """Wait until the server has ended every viewer's thread, so runs do not overlap."""
    deadline = time.monotonic() + IDLE_TIMEOUT_S
    while server.process.num_threads() > server.idle_threads:
        if time.monotonic() > deadline:
            print(
                f"  warning: {server.name} still has {server.process.num_threads()} threads "
                f"(idle: {server.idle_threads})",
                file=sys.stderr,
            )
            return
        await asyncio.sleep(0.1)


async def late_joiners(port: int, websocket: bool, count: int = 5) -> list[float]:
    """Seconds to the first frame of viewers joining one at a time while the others watch."""
    times = []
    for _ in range(count):
        viewer = Viewer(websocket)
        task = asyncio.create_task(watch(port, viewer))
        while viewer.first_part is None and viewer.error is None and not task.done():
            await asyncio.sleep(0.0005)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if viewer.first_part is not None:
            times.append(viewer.first_part - viewer.connect_start)
    return times


async def observe(
    server: Server,
    count: int,
    warmup: float,
    seconds: float,
    slow: tuple[float, int] | None = None,
    websocket: bool = False,
) -> tuple[list[Viewer], Viewer | None, Window, list[float]]:
    """Connect `count` viewers (MJPEG, or WebSocket ones; and a slow MJPEG one, given its
    rate and rcvbuf) all at once, warm up, measure one window, time a few late joiners,
    disconnect everyone and wait for the server to be idle again."""
    viewers = [Viewer(websocket) for _ in range(count)]
    tasks = [asyncio.create_task(watch(server.port, viewer)) for viewer in viewers]
    slow_viewer: Viewer | None = None
    if slow:
        slow_viewer = Viewer()
        tasks.append(asyncio.create_task(watch_slow(server.port, slow_viewer, *slow)))
    try:
        await asyncio.sleep(warmup)
        window = await measure_window(server, seconds)
        joins = await late_joiners(server.port, websocket)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await wait_idle(server)
    return viewers, slow_viewer, window, joins


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


@dataclass
class Figures:
    """What one run of N viewers measured."""

    viewers: int
    failed: int  # viewers with an error or no part in the window
    fps_min: float
    fps_median: float
    fps_total: float  # frames delivered per second, all viewers together
    latency_median_ms: float | None
    latency_p95_ms: float | None
    first_frame_median_ms: float | None
    first_frame_max_ms: float | None
    join_first_frame_median_ms: float | None  # one viewer joining N that are watching
    join_first_frame_max_ms: float | None
    cpu_percent: float
    rss_mb: float
    client_cpu_percent: float
    server_stats: dict | None


def figures(viewers: list[Viewer], window: Window, joins: list[float]) -> Figures:
    fps = [viewer.fps(window) for viewer in viewers]
    lags = [lag for viewer in viewers for _, lag, _ in viewer.in_window(window.start, window.end)]
    firsts = [
        viewer.first_part - viewer.connect_start
        for viewer in viewers
        if viewer.first_part is not None
    ]
    failed = sum(1 for viewer, rate in zip(viewers, fps) if viewer.error or rate == 0)
    return Figures(
        viewers=len(viewers),
        failed=failed,
        fps_min=round(min(fps), 2),
        fps_median=round(float(np.median(fps)), 2),
        fps_total=round(sum(fps), 1),
        latency_median_ms=ms(float(np.median(lags))) if lags else None,
        latency_p95_ms=ms(float(np.percentile(lags, 95))) if lags else None,
        first_frame_median_ms=ms(float(np.median(firsts))) if firsts else None,
        first_frame_max_ms=ms(max(firsts)) if firsts else None,
        join_first_frame_median_ms=ms(float(np.median(joins))) if joins else None,
        join_first_frame_max_ms=ms(max(joins)) if joins else None,
        cpu_percent=round(window.cpu_percent, 1),
        rss_mb=round(window.rss_mb, 1),
        client_cpu_percent=round(window.client_cpu_percent, 1),
        server_stats=window.server_stats,
    )


@dataclass
class SlowFigures:
    """The slow viewer among normal ones."""

    rate_kbps: float  # its read rate, kB/s
    rcvbuf: int  # the SO_RCVBUF it asked for
    rcvbuf_effective: int  # what the kernel gave (Linux doubles it)
    lag_first_second_max_s: float | None
    lag_last_second_max_s: float | None
    fps: float
    throughput_kbps: float  # JPEG bytes of the parts it completed in the window, kB/s
    error: str | None
    normal: Figures


def slow_figures(
    slow: Viewer, normal: list[Viewer], window: Window, rate: float, rcvbuf: int
) -> SlowFigures:
    def max_lag(start: float, end: float) -> float | None:
        lags = [lag for _, lag, _ in slow.in_window(start, end)]
        return round(max(lags), 3) if lags else None

    parts = slow.in_window(window.start, window.end)
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        effective = probe.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    return SlowFigures(
        rate_kbps=rate / 1000,
        rcvbuf=rcvbuf,
        rcvbuf_effective=effective,
        lag_first_second_max_s=max_lag(window.start, window.start + 1),
        lag_last_second_max_s=max_lag(window.end - 1, window.end),
        fps=round(slow.fps(window), 2),
        throughput_kbps=round(
            sum(size for *_, size in parts) / (window.end - window.start) / 1000, 1
        ),
        error=slow.error,
        normal=figures(normal, window, []),
    )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, str | int | None]:
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def each_count(
    server: Server, counts: list[int], args: argparse.Namespace, websocket: bool = False
) -> dict[int, Figures]:
    """The figures of one window for each number of viewers."""
    results = {}
    for count in counts:
        kind = "WebSocket" if websocket else "MJPEG"
        progress(f"{server.name}: {count} {kind} viewers ...")
        viewers, _, window, joins = await observe(
            server, count, args.warmup, args.seconds, websocket=websocket
        )
        results[count] = figures(viewers, window, joins)
    return results


async def bench_ours(
    counts: list[int], args: argparse.Namespace
) -> tuple[dict[int, Figures], SlowFigures, dict[int, Figures]]:
    """MJPEG for each count, the slow viewer, then WebSockets for each count."""
    slow = (args.slow_rate * 1000, args.slow_rcvbuf)
    with running_server("ours", "app.py") as server:
        results = await each_count(server, counts, args)
        progress(f"ours: {args.slow_normal} viewers + 1 slow viewer ...")
        normal, slow_viewer, window, _ = await observe(
            server, args.slow_normal, args.warmup, args.seconds, slow
        )
        assert slow_viewer is not None
        websockets = await each_count(server, counts, args, websocket=True)
        return results, slow_figures(slow_viewer, normal, window, *slow), websockets


async def bench_naive(counts: list[int], args: argparse.Namespace) -> dict[int, Figures]:
    with running_server("naive", "-m bench.naive_server") as server:
        return await each_count(server, counts, args)


def cell(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def ratio(naive: Figures | None, ours: Figures) -> str:
    if naive is None or ours.cpu_percent <= 0:
        return "–"
    return f"{naive.cpu_percent / ours.cpu_percent:.1f}x"


def report_table(ours: dict[int, Figures], naive: dict[int, Figures]) -> list[str]:
    lines = [
        "| viewers | fps min | fps median | latency median ms | latency p95 ms | CPU % ours "
        "| RSS MB | first frame, all connecting at once, median / max ms "
        "| first frame, one joining, median / max ms | naive CPU % | naive fps min "
        "| CPU naive/ours | bench client CPU % (ours / naive) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for count, row in ours.items():
        other = naive.get(count)
        lines.append(
            f"| {count} | {cell(row.fps_min)} | {cell(row.fps_median)} "
            f"| {cell(row.latency_median_ms)} | {cell(row.latency_p95_ms)} "
            f"| {cell(row.cpu_percent)} | {cell(row.rss_mb)} "
            f"| {cell(row.first_frame_median_ms)} / {cell(row.first_frame_max_ms)} "
            f"| {cell(row.join_first_frame_median_ms)} / {cell(row.join_first_frame_max_ms)} "
            f"| {cell(other.cpu_percent) if other else '–'} "
            f"| {cell(other.fps_min) if other else '–'} | {ratio(other, row)} "
            f"| {cell(row.client_cpu_percent, 0)} / "
            f"{cell(other.client_cpu_percent, 0) if other else '–'} |"
        )
    return lines


def cpu_ms_per_frame(row: Figures) -> float | None:
    return 10 * row.cpu_percent / row.fps_total if row.fps_total else None


def per_frame_line(count: int, ours: Figures, naive: Figures | None) -> str:
    mine = cpu_ms_per_frame(ours)
    theirs = cpu_ms_per_frame(naive) if naive else None
    line = f"- N={count}: ours {cell(mine, 3)}, naive {cell(theirs, 3)}"
    return line + (f", naive/ours {theirs / mine:.1f}x" if mine and theirs else "")


def report_fanout_cost(ours: dict[int, Figures]) -> list[str]:
    base = min(ours)
    if len(ours) == 1:
        return [f"Fan-out cost: needs more than one viewer count (only N={base} ran)."]
    return [
        f"Fan-out cost above N={base} (CPU % at N minus CPU % at N={base}, in % of one core):",
        *(
            f"- N={count}: {row.cpu_percent - ours[base].cpu_percent:+.1f}"
            for count, row in ours.items()
            if count != base
        ),
    ]


def report_notes(ours: dict[int, Figures], naive: dict[int, Figures]) -> list[str]:
    lines = []
    for name, results in (("ours", ours), ("naive", naive)):
        for count, row in results.items():
            if row.failed:
                lines.append(
                    f"- {name}, {count} viewers: {row.failed} viewer(s) failed or got "
                    "no part in the window"
                )
    lines += [""] if lines else []
    lines += report_fanout_cost(ours)
    lines += [
        "",
        "CPU per delivered frame (ms of CPU per frame a viewer received; fairer than "
        "the CPU ratio once the naive server saturates and delivers fewer frames):",
    ]
    lines += [per_frame_line(count, row, naive.get(count)) for count, row in ours.items()]
    lines += ["", "Our server's /stats at the end of each window:"]
    for count, row in ours.items():
        stats = row.server_stats or {}
        lines.append(
            f"- N={count}: fps_in {stats.get('fps_in')}, fps_out {stats.get('fps_out')}"
            f", encode_ms {stats.get('encode_ms')}, viewers {stats.get('viewers')}, "
            "frames_skipped_for_slow_viewers (cumulative) "
            f"{stats.get('frames_skipped_for_slow_viewers')}"
        )
    return lines


def report_slow(slow: SlowFigures) -> list[str]:
    return [
        f"## Slow viewer: {slow.normal.viewers} normal viewers + 1 reading at "
        f"{slow.rate_kbps:g} kB/s",
        "",
        f"The slow viewer sets SO_RCVBUF={slow.rcvbuf} (the kernel gives "
        f"{slow.rcvbuf_effective}) before connecting, as a slow link holds few bytes in "
        "flight; a default, autotuned receive buffer would be a queue in the client that the "
        "server cannot see, and its lag would be the client's own.",
        "",
        f"- lag (arrival minus X-Timestamp), max in the window's first second: "
        f"{cell(slow.lag_first_second_max_s, 3)} s",
        f"- lag, max in the window's last second: {cell(slow.lag_last_second_max_s, 3)} s",
        f"- slow viewer: {cell(slow.fps, 2)} fps, {cell(slow.throughput_kbps)} kB/s of parts "
        f"completed" + (f", error: {slow.error}" if slow.error else ""),
        f"- normal viewers meanwhile: fps min {cell(slow.normal.fps_min, 2)}, median "
        f"{cell(slow.normal.fps_median, 2)}, latency median / p95 "
        f"{cell(slow.normal.latency_median_ms)} / {cell(slow.normal.latency_p95_ms)} ms, "
        f"server CPU {cell(slow.normal.cpu_percent)} %",
    ]


def report_websocket(mjpeg: dict[int, Figures], websocket: dict[int, Figures]) -> list[str]:
    lines = [
        "## The page's WebSocket video (/video_ws) against MJPEG (/video_feed), same server",
        "",
        "| viewers | MJPEG CPU % | WebSocket CPU % | MJPEG fps min | WebSocket fps min "
        "| WebSocket latency median / p95 ms | CPU ms per delivered frame, MJPEG / WebSocket "
        "| WebSocket failed |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for count, row in websocket.items():
        other = mjpeg[count]
        lines.append(
            f"| {count} | {cell(other.cpu_percent)} | {cell(row.cpu_percent)} "
            f"| {cell(other.fps_min)} | {cell(row.fps_min)} "
            f"| {cell(row.latency_median_ms)} / {cell(row.latency_p95_ms)} "
            f"| {cell(cpu_ms_per_frame(other), 3)} / {cell(cpu_ms_per_frame(row), 3)} "
            f"| {row.failed} |"
        )
    return lines


def report(
    info: dict,
    args: argparse.Namespace,
    ours: dict[int, Figures],
    naive: dict[int, Figures],
    slow: SlowFigures,
    websocket: dict[int, Figures],
) -> str:
    lines = [
        "# MJPEG fan-out benchmark",
        "",
        f"Machine: {info['nproc']} CPUs, {info['cpu_model']}, Linux {info['kernel']}, "
        f"Python {info['python']}",
        f"Input: test pattern 640x480 @ 30 fps. Window {args.seconds:g} s after "
        f"{args.warmup:g} s warm-up; all viewers connect at once. CPU % is of one core; the "
        "viewers run in this benchmark process on the same cores (its CPU is the last column).",
        "",
        *report_table(ours, naive),
        "",
        *report_notes(ours, naive),
        "",
        *report_slow(slow),
        "",
        *report_websocket(ours, websocket),
    ]
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="MJPEG fan-out benchmark (prints figures).")
    parser.add_argument(
        "--viewers",
        default="1,10,50,100,200",
        help="comma-separated viewer counts (default 1,10,50,100,200)",
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="measurement window, s")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up before it, s")
    parser.add_argument(
        "--slow-rate",
        type=float,
        default=150.0,
        help="the slow viewer's read rate, kB/s (default 150)",
    )
    parser.add_argument(
        "--slow-rcvbuf",
        type=int,
        default=16384,
        help="the slow viewer's SO_RCVBUF, bytes (default 16384)",
    )
    parser.add_argument(
        "--slow-normal",
        type=int,
        default=10,
        help="normal viewers alongside the slow one (default 10)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results to this file")
    args = parser.parse_args()
    try:
        args.counts = sorted({int(n) for n in args.viewers.split(",") if n.strip()})
    except ValueError:
        parser.error("--viewers takes comma-separated integers")
    if not args.counts or min(args.counts) < 1:
        parser.error("--viewers needs at least one count, all >= 1")
    return args


async def bench(args: argparse.Namespace) -> None:
    ours, slow, websocket = await bench_ours(args.counts, args)
    naive = await bench_naive(args.counts, args)
    info = machine()
    print(report(info, args, ours, naive, slow, websocket))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "machine": info,
                    "seconds": args.seconds,
                    "warmup": args.warmup,
                    "ours": {n: asdict(row) for n, row in ours.items()},
                    "naive": {n: asdict(row) for n, row in naive.items()},
                    "slow_viewer": asdict(slow),
                    "websocket": {n: asdict(row) for n, row in websocket.items()},
                },
                indent=2,
            )
        )


def main() -> int:
    args = parse_args()
    try:
        asyncio.run(bench(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
