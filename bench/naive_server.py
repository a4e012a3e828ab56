"""The classic Flask MJPEG tutorial pattern, as the baseline for bench/fanout.py.

Every /video_feed request opens its own capture (here its own test pattern, paced at its frame
rate by sleeping, as a camera's blocking read would be) and encodes every frame itself. It is
served by server.make_http_server and encodes with the same JPEG settings as the dashboard, so
only the pattern differs from ours: per-viewer capture and encode instead of encode-once.

    python -m bench.naive_server --host 127.0.0.1 --port 8051
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator

import cv2
from flask import Flask, Response, jsonify

from mjpeg import CONTENT_TYPE, encode_part
from server import make_http_server
from sources import PatternSource

WIDTH, HEIGHT, RATE = 640, 480, 30.0
JPEG_PARAMS = [
    cv2.IMWRITE_JPEG_QUALITY,
    80,  # the dashboard's default --jpeg-quality, 4:2:0
    cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
    cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420,
]


def generate_parts() -> Iterator[bytes]:
    """One viewer's stream: its own capture, paced at RATE, every frame encoded here."""
    camera = PatternSource(WIDTH, HEIGHT, RATE)  # the tutorials' cv2.VideoCapture(0)
    period = 1.0 / RATE
    due = time.monotonic()
    index = 0
    while True:
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        due = max(due + period, time.monotonic())
        frame = camera.read()
        timestamp = time.time()
        ok, jpeg = cv2.imencode(".jpg", frame, JPEG_PARAMS)
        if ok:
            yield encode_part(jpeg.tobytes(), index, timestamp)
        index += 1


def create_app() -> Flask:
    """/video_feed as in the tutorials, plus /healthz for the benchmark to wait on."""
    app = Flask(__name__)

    @app.get("/video_feed")
    def video_feed() -> Response:
        return Response(generate_parts(), content_type=CONTENT_TYPE)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8051)
    args = parser.parse_args()
    make_http_server(create_app(), args.host, args.port).serve_forever()


if __name__ == "__main__":
    main()
