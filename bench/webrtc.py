"""WebRTC benchmark: what a peer costs and receives, against an MJPEG viewer, and how late the
page shows a frame.

    .venv/bin/python -m bench.webrtc [--peers 1,5,10] [--seconds 8] [--warmup 3]

1. Encoders, in this process: ms to encode a 640x480 frame of the test pattern (from BGR,
   the colour conversion included), with the output's one encoder for all peers
   (webrtc/encoding.py) and with aiortc's own, which aiortc would run once per peer.
2. `python app.py --output webrtc://@:8554/output` (the 640x480 30 fps test pattern, JPEG
   q80, H.264 at 4 Mbit/s): the server's CPU with no viewer, then with N MJPEG viewers
   (bench/fanout.py's) and with N WebRTC peers (aiortc, in this process; they count each
   frame's bytes and decode nothing, which would take the cores the server is measured on).
   Per viewer: fps and video kbit/s (the JPEGs', the H.264 stream's; without HTTP, RTP,
   SRTP, UDP or TCP overheads); the server's CPU and that per viewer above none.
3. Latency in Chromium, of a time-coded test pattern (bench/timecode.py) served from this
   process: glass to glass of the page's WebRTC <video>, and for comparison capture to canvas
   of its WebSocket video (?video=websocket); over --frames frames each.

Prints figures, never passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import aiortc.rtcrtpreceiver
import av
import numpy as np
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterFrame
from playwright.sync_api import sync_playwright

from app import create_app, make_http_server
from bench.fanout import HOST, Server, Window, measure_window, observe, running_server
from bench.timecode import CAPTURE_TO_CANVAS, GLASS_TO_GLASS, TimeCodeSource
from bench.webrtc_peers import Receiver
from sources import PatternSource
from stream import Pipeline
from tools.chromium import CHROMIUM, CHROMIUM_ARGS
from webrtc import open_webrtc
from webrtc.encoding import TIME_BASE, SharedEncoder

OUTPUT = "webrtc://@:8554/output"
FRAME_PTS = 3000  # a 30 fps frame in TIME_BASE


class CountingDecoder:
    """Stands in for aiortc's decoder in this process's peers: notes when each frame came and
    its size, and decodes nothing."""

    made: list[CountingDecoder] = []

    def __init__(self) -> None:
        self.frames: list[tuple[float, int]] = []
        CountingDecoder.made.append(self)

    def decode(self, encoded_frame: JitterFrame) -> list[av.VideoFrame]:
        self.frames.append((time.time(), len(encoded_frame.data)))
        return []


def counting_decoder(codec: object) -> Any:
    return CountingDecoder()


def median_ms(encode: Callable[[np.ndarray, int], object], frames: list[np.ndarray]) -> float:
    took = []
    for number, image in enumerate(frames):
        started = time.perf_counter()
        encode(image, number * FRAME_PTS)
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took[5:])  # after the first keyframes


def aiortc_encode(encoder: H264Encoder | Vp8Encoder) -> Callable[[np.ndarray, int], object]:
    def encode(image: np.ndarray, pts: int) -> object:
        frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
        frame.pts, frame.time_base = pts, TIME_BASE
        return encoder.encode(frame)

    return encode


def compare_encoders(count: int = 90) -> None:
    pattern = PatternSource(640, 480, 30)
    frames = [pattern.read() for _ in range(count)]
    print("\n1. Encoding one 640x480 frame, ms (median of", count - 5, "frames)")
    print("| codec | the output's encoder, once for all peers | aiortc's, once per peer |")
    print("|---|---:|---:|")
    for codec, theirs in (("H264", H264Encoder()), ("VP8", Vp8Encoder())):
        ours = median_ms(SharedEncoder(codec, 4_000_000).encode, frames)
        print(f"| {codec} | {ours:.1f} | {median_ms(aiortc_encode(theirs), frames):.1f} |")


def per_viewer(frames: list[list[tuple[float, int]]], window: Window) -> tuple[list, list]:
    """Each viewer's fps and kbit/s in the window, from its (arrival time, bytes)."""
    seconds = window.end - window.start
    inside = [[size for at, size in got if window.start <= at < window.end] for got in frames]
    return (
        [len(sizes) / seconds for sizes in inside],
        [sum(sizes) * 8 / seconds / 1000 for sizes in inside],
    )


async def webrtc_peers(server: Server, count: int, warmup: float, seconds: float) -> tuple:
    CountingDecoder.made.clear()
    receivers = [Receiver(("H264",)) for _ in range(count)]
    try:
        for receiver in receivers:
            await receiver.connect(f"http://{HOST}:{server.port}")
        await asyncio.sleep(warmup)
        window = await measure_window(server, seconds)
    finally:
        for receiver in receivers:
            await receiver.close()
    await asyncio.sleep(1.0)  # the server lets the peers go
    return [decoder.frames for decoder in CountingDecoder.made], window


def row(name: str, count: int, fps: list, kbps: list, window: Window, idle: Window) -> str:
    extra = (window.cpu_percent - idle.cpu_percent) / count
    return (
        f"| {name} | {count} | {min(fps):.1f} | {statistics.median(fps):.1f} | "
        f"{statistics.median(kbps):.0f} | {window.cpu_percent:.1f} | {extra:+.2f} | "
        f"{window.client_cpu_percent:.0f} |"
    )


async def compare_transports(peers: list[int], warmup: float, seconds: float) -> None:
    print(f"\n2. Per viewer, {seconds:g} s windows after {warmup:g} s (server: {OUTPUT})")
    print(
        "| transport | viewers | fps min | fps median | video kbit/s per viewer (median) | "
        "server CPU % | server CPU % per viewer above none | bench client CPU % |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    with running_server("app", f"app.py --output {OUTPUT}") as server:
        await asyncio.sleep(warmup)
        idle = await measure_window(server, seconds)
        print(f"| none | 0 | | | | {idle.cpu_percent:.1f} | | {idle.client_cpu_percent:.0f} |")
        for count in peers:
            viewers, _, window, _ = await observe(server, count, warmup, seconds)
            fps, kbps = per_viewer(
                [[(at, size) for at, _, size in viewer.arrivals] for viewer in viewers], window
            )
            print(row("MJPEG", count, fps, kbps, window, idle))
        for count in peers:
            frames, window = await webrtc_peers(server, count, warmup, seconds)
            fps, kbps = per_viewer(frames, window)
            print(row("WebRTC H.264", count, fps, kbps, window, idle))


def glass_to_glass(count: int) -> None:
    webrtc = open_webrtc(OUTPUT, None)
    assert webrtc is not None and webrtc.output is not None
    source = TimeCodeSource()
    pipeline = Pipeline(source, lambda: source, outputs=[webrtc.output])
    http = make_http_server(create_app(pipeline, webrtc=webrtc), HOST, 0)
    pipeline.start()
    threading.Thread(target=http.serve_forever, daemon=True).start()
    args = [*CHROMIUM_ARGS, "--allow-loopback-in-peer-connection"]
    measured = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
            for name, query, script in (
                ("WebRTC, capture to shown in the <video>", "", GLASS_TO_GLASS),
                (
                    "WebSocket, capture to drawn on the canvas",
                    "?video=websocket",
                    CAPTURE_TO_CANVAS,
                ),
            ):
                page = browser.new_page()
                page.goto(f"http://{HOST}:{http.server_port}/{query}")
                page.wait_for_function(
                    "Number(document.getElementById('video').dataset.frames) > 60"
                )
                measured[name] = page.evaluate(script, count)
                page.close()
            browser.close()
    finally:
        webrtc.close()
        pipeline.stop()
        http.shutdown()
    print(f"\n3. Latency in Chromium, {count} frames of 640x480 at 30 fps, ms")
    print("| path | median | p10 | p90 | max |")
    print("|---|---:|---:|---:|---:|")
    for name, delays in measured.items():
        deciles = statistics.quantiles(delays, n=10)
        print(
            f"| {name} | {statistics.median(delays):.0f} | {deciles[0]:.0f} | "
            f"{deciles[-1]:.0f} | {max(delays):.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peers", default="1,5,10", help="viewer counts (default 1,5,10)")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=3.0, help="before each window")
    parser.add_argument("--frames", type=int, default=300, help="glass to glass: frames")
    args = parser.parse_args()
    aiortc.rtcrtpreceiver.get_decoder = counting_decoder
    compare_encoders()
    asyncio.run(
        compare_transports([int(n) for n in args.peers.split(",")], args.warmup, args.seconds)
    )
    glass_to_glass(args.frames)


if __name__ == "__main__":
    main()
