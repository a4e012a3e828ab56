"""/metrics: Prometheus' text format, parsed with prometheus-client's own parser, each figure
per camera, against what the cameras really did (viewers, frames, failures, states)."""

from __future__ import annotations

from urllib.parse import urlparse

import numpy as np
from prometheus_client.parser import text_string_to_metric_families
from test_cameras import constant_classifier, specs

from helpers import wait_for
from mjpeg_client import MjpegViewer
from model import FAILURES_BEFORE_DISABLE, ModelSlot
from networks.detection import DetectionModel
from results import Detection

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class BrokenDetector:
    """A detector backend that fails on every frame."""

    labels = ["person"]

    def detect(self, image: np.ndarray, confidence: float, nms: float) -> list[Detection]:
        raise RuntimeError("no detections today")


def broken_detection() -> ModelSlot:
    def load(name: str) -> DetectionModel:
        return DetectionModel(name, BrokenDetector())

    return ModelSlot(load("broken"), load, ("broken",))


def scrape(cameras) -> Samples:
    """Every sample of /metrics: (name, labels) -> value."""
    response = cameras.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def test_every_figure_is_given_per_camera(serve_cameras):  # noqa: F811
    cameras = serve_cameras(specs("door", "lab"), [constant_classifier(), broken_detection()])
    url = urlparse(cameras.url)
    with MjpegViewer(url.hostname or "", url.port or 0, "/cameras/lab/video_feed") as viewer:
        viewer.parts(5)

        def both_classified() -> Samples | None:
            samples = scrape(cameras)
            counts = [
                value(
                    samples, "dashboard_network_seconds_count", camera=c, network="classification"
                )
                for c in ("door", "lab")
            ]
            return samples if min(counts) >= 3 else None

        samples = wait_for(both_classified)
    assert value(samples, "dashboard_viewers", camera="lab", transport="mjpeg") == 1
    assert value(samples, "dashboard_viewers", camera="door", transport="mjpeg") == 0
    assert value(samples, "dashboard_viewers", camera="door", transport="websocket") == 0
    for camera in ("door", "lab"):
        assert value(samples, "dashboard_input_fps", camera=camera) > 0
        assert value(samples, "dashboard_input_state", camera=camera, state="online") == 1
        assert value(samples, "dashboard_input_state", camera=camera, state="offline") == 0
        count = value(samples, "dashboard_latency_seconds_count", camera=camera)
        assert count > 0
        # cumulative buckets, the last (+Inf) holding every frame
        buckets = sorted(
            (float(dict(labels)["le"]), number)
            for (name, labels), number in samples.items()
            if name == "dashboard_latency_seconds_bucket" and ("camera", camera) in labels
        )
        assert [n for _, n in buckets] == sorted(n for _, n in buckets)
        assert buckets[-1] == (float("inf"), count)
        assert value(samples, "dashboard_latency_seconds_sum", camera=camera) > 0
        assert value(samples, "dashboard_network_fps", camera=camera, network="classification") > 0
        assert value(samples, "dashboard_frames_skipped_total", camera=camera) >= 0
    assert (
        value(samples, "dashboard_network_enabled", network="classification", model="constant") == 1
    )
    # each camera's frames failed in the broken detector until it was switched off
    failures = sum(
        value(samples, "dashboard_network_failures_total", camera=c, network="detection")
        for c in ("door", "lab")
    )
    assert failures == FAILURES_BEFORE_DISABLE
    assert value(samples, "dashboard_network_enabled", network="detection", model="broken") == 0
    assert value(samples, "process_resident_memory_bytes") > 0


def test_a_camera_stopped_by_hand_says_so(serve_cameras):  # noqa: F811
    cameras = serve_cameras(specs("door", "lab"))
    assert cameras.put("/cameras/door/running", "false").json() is False

    def door_stopped() -> Samples | None:
        samples = scrape(cameras)
        stopped = value(samples, "dashboard_input_state", camera="door", state="stopped") == 1
        return samples if stopped else None

    samples = wait_for(door_stopped)
    assert value(samples, "dashboard_input_state", camera="door", state="online") == 0
    assert value(samples, "dashboard_input_state", camera="lab", state="online") == 1
