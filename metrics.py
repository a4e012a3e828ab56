"""Metrics for Prometheus at /metrics (prometheus-client), every camera's under camera="name".

Read when Prometheus scrapes, from what the pipelines already keep (rates, viewers, counts,
the input's state), plus the histograms they fill as frames go by: the latency from capture to
publish (stream.Pipeline.latency) and each network's time per frame (model.ModelSlot.seconds).
A network shared by several cameras counts its time and failures per camera.

| metric | type | labels |
|---|---|---|
| dashboard_input_fps, dashboard_output_fps | gauge | camera |
| dashboard_latency_seconds | histogram | camera |
| dashboard_viewers | gauge | camera, transport (mjpeg, websocket) |
| dashboard_frames_skipped_total | counter | camera (frames a slow viewer skipped) |
| dashboard_frames_dropped_total | counter | camera (frames the pipeline had no time for) |
| dashboard_input_state | gauge, 1 for the state it is in | camera, state |
| dashboard_input_reconnects_total | counter | camera |
| dashboard_network_seconds | histogram | camera, network |
| dashboard_network_failures_total | counter | camera, network |
| dashboard_network_fps | gauge | camera, network |
| dashboard_network_enabled | gauge | network, model |
| process_* | the process's CPU, memory, file descriptors (prometheus-client's own) |
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, Response
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from dashboard import Dashboard
from stream import STATES

CAMERA = ["camera"]


class DashboardCollector(Collector):
    """Every camera's figures, read at each scrape."""

    def __init__(self, dashboard: Dashboard) -> None:
        self._dashboard = dashboard

    def collect(self) -> Iterator[Metric]:
        cameras = {pipeline.name: pipeline.stats() for pipeline in self._dashboard.pipelines}
        yield from self._stream_metrics(cameras)
        yield merged(
            "dashboard_latency_seconds",
            "Seconds from the capture of a frame to its publication to the viewers",
            "histogram",
            (({"camera": p.name}, p.latency) for p in self._dashboard.pipelines),
        )
        yield from self._network_metrics(cameras)

    @staticmethod
    def _stream_metrics(cameras: dict[str, dict[str, Any]]) -> Iterator[Metric]:
        fps_in = GaugeMetricFamily(
            "dashboard_input_fps", "Frames captured per second", labels=CAMERA
        )
        fps_out = GaugeMetricFamily(
            "dashboard_output_fps", "Frames published to the viewers per second", labels=CAMERA
        )
        viewers = GaugeMetricFamily(
            "dashboard_viewers", "Viewers of the video", labels=["camera", "transport"]
        )
        skipped = CounterMetricFamily(
            "dashboard_frames_skipped",
            "Frames a viewer skipped, its link still busy with an earlier one",
            labels=CAMERA,
        )
        dropped = CounterMetricFamily(
            "dashboard_frames_dropped",
            "Captured frames the pipeline skipped, busy with an earlier one",
            labels=CAMERA,
        )
        state = GaugeMetricFamily(
            "dashboard_input_state", "1 for the state the input is in", labels=["camera", "state"]
        )
        reconnects = CounterMetricFamily(
            "dashboard_input_reconnects", "Times the input was opened again", labels=CAMERA
        )
        for name, stats in cameras.items():
            fps_in.add_metric([name], stats["fps_in"])
            fps_out.add_metric([name], stats["fps_out"])
            websocket = stats["websocket_viewers"]
            viewers.add_metric([name, "mjpeg"], stats["viewers"] - websocket)
            viewers.add_metric([name, "websocket"], websocket)
            skipped.add_metric([name], stats["frames_skipped_for_slow_viewers"])
            dropped.add_metric([name], stats["frames_dropped"])
            for each in STATES:
                state.add_metric([name, each], float(stats["source"]["state"] == each))
            reconnects.add_metric([name], stats["source"]["reconnects"])
        yield from (fps_in, fps_out, viewers, skipped, dropped, state, reconnects)

    def _network_metrics(self, cameras: dict[str, dict[str, Any]]) -> Iterator[Metric]:
        slots = self._dashboard.networks
        yield merged(
            "dashboard_network_seconds",
            "Seconds a network takes for a frame",
            "histogram",
            (({"network": kind}, slot.seconds) for kind, slot in slots.items()),
        )
        yield merged(
            "dashboard_network_failures",
            "Frames a network failed on (or failed to draw)",
            "counter",
            (({"network": kind}, slot.failed) for kind, slot in slots.items()),
        )
        fps = GaugeMetricFamily(
            "dashboard_network_fps",
            "Results a network makes per second",
            labels=["camera", "network"],
        )
        for name, stats in cameras.items():
            for kind, figures in stats["networks"].items():
                by_camera = figures.get("fps_by_camera", {name: figures["fps"]})
                fps.add_metric([name, kind], by_camera.get(name, 0.0))
        enabled = GaugeMetricFamily(
            "dashboard_network_enabled",
            "1 if the network runs, 0 if switched off",
            labels=["network", "model"],
        )
        for kind, slot in slots.items():
            enabled.add_metric([kind, slot.network], float(slot.enabled))
        yield from (fps, enabled)


def merged(
    name: str,
    documentation: str,
    kind: str,
    instruments: Iterable[tuple[dict[str, str], MetricWrapperBase]],
) -> Metric:
    """One metric family of the samples of several instruments (kept unregistered by the
    pipelines and networks), each sample with its instrument's labels added; without the
    _created samples, which say when the instrument was made."""
    family = Metric(name, documentation, kind)
    for labels, instrument in instruments:
        for metric in instrument.collect():
            family.samples.extend(
                sample._replace(labels={**labels, **sample.labels})
                for sample in metric.samples
                if not sample.name.endswith("_created")
            )
    return family


def register(app: Flask, dashboard: Dashboard) -> None:
    """Serve the dashboard's metrics, and the process's, at /metrics."""
    registry = CollectorRegistry()
    registry.register(DashboardCollector(dashboard))
    ProcessCollector(registry=registry)

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)
