"""The pipeline's control plane and pacing: a PUT never waits for a frame, a frame is processed
with one set of settings, sync draws each frame's own results, async keeps the video going."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import requests

from broadcast import EncodedFrame
from frame import Frame
from helpers import ConstantScores, wait_for
from model import NO_INPUTS, Inputs, ModelSlot
from networks.classification import ClassificationModel, ClassificationSettings
from priority import NETWORK_NICE
from results import ClassificationResult
from stream import network_groups


class Gated(ClassificationModel):
    """A classifier that holds each frame until the test lets it go, and records the
    threshold it saw at the start and at the end of each frame."""

    def __init__(self) -> None:
        super().__init__("gated", ConstantScores())
        self.entered = threading.Event()
        self.release = threading.Event()
        self.seen: list[tuple[float, float]] = []

    def process(self, frame: Frame, inputs: Inputs = NO_INPUTS) -> ClassificationResult:
        before = self.settings.confidence_threshold
        self.entered.set()
        self.release.wait(30)
        self.seen.append((before, self.settings.confidence_threshold))
        return super().process(frame, inputs)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_put_answers_while_a_frame_is_in_the_network(start_server, mode):
    model = Gated()
    slot = ModelSlot(model, load=lambda name: model, choices=("gated",))
    server = start_server(networks=[slot], network_mode=mode)
    try:
        assert model.entered.wait(20), "the network got a frame"
        answer = requests.put(
            server.url + "/classification/confidence_threshold", data="0.7", timeout=5
        )  # held frame or not, it must answer
        assert answer.status_code == 200 and answer.json() == 0.7
        assert server.get("/classification/confidence_threshold").json() == 0.7
        assert not model.seen, "the frame is still held"
    finally:
        model.release.set()
    wait_for(lambda: len(model.seen) >= 2)
    default = ClassificationSettings().confidence_threshold
    assert model.seen[0] == (default, default), "the held frame kept the settings it started with"
    assert model.seen[1] == (0.7, 0.7), "the next frame has the new value"


@dataclass
class Recorder:
    """What the pipeline drew and published, in order."""

    events: list[tuple[str, int]]

    def watch(self, server: Any) -> None:
        broadcaster = server.pipeline.broadcaster
        publish = broadcaster.publish

        def recording_publish(frame: EncodedFrame) -> None:
            self.events.append(("publish", frame.index))
            publish(frame)

        broadcaster.publish = recording_publish
        slot = server.pipeline.networks["classification"]
        draw = slot.draw

        def recording_draw(image: np.ndarray, result: Any, *more: Any) -> None:
            self.events.append(("draw", result.frame))
            draw(image, result, *more)

        slot.draw = recording_draw

    def drawn_and_published(self) -> list[tuple[int, int]]:
        """(frame of the result drawn, frame published), for each published frame that had
        a result drawn on it."""
        pairs, drawn = [], None
        for kind, index in list(self.events):
            if kind == "draw":
                drawn = index
            elif drawn is not None:
                pairs.append((drawn, index))
                drawn = None
        return pairs


class Slow(ClassificationModel):
    """A classifier that takes a while over each frame."""

    def __init__(self) -> None:
        super().__init__("slow", ConstantScores())
        self.frames = 0

    def process(self, frame: Frame, inputs: Inputs = NO_INPUTS) -> ClassificationResult:
        threading.Event().wait(0.2)
        self.frames += 1
        return super().process(frame, inputs)


def test_sync_draws_each_frames_own_results(start_server):
    model = Slow()
    server = start_server(
        networks=[ModelSlot(model, lambda name: model, ("slow",))], network_mode="sync"
    )
    recorder = Recorder([])
    recorder.watch(server)
    pairs = wait_for(lambda: len(p := recorder.drawn_and_published()) >= 5 and p)
    assert all(drawn == published for drawn, published in pairs)


def test_async_publishes_every_frame_with_the_latest_result(start_server):
    model = Slow()
    server = start_server(
        networks=[ModelSlot(model, lambda name: model, ("slow",))], network_mode="async"
    )
    recorder = Recorder([])
    recorder.watch(server)
    pairs = wait_for(lambda: len(p := recorder.drawn_and_published()) >= 30 and p)
    assert all(drawn <= published for drawn, published in pairs)
    drawn_frames = {drawn for drawn, _ in pairs}
    assert len(drawn_frames) < len(pairs) / 2, "the video went on while the network worked"
    stats = server.get("/stats").json()
    network = stats["networks"]["classification"]
    assert stats["network_mode"] == "async"
    assert network["result_age_frames"] >= 0 and network["result_age_ms"] >= 0
    assert network["fps"] > 0
    results = server.get("/results")
    assert int(results.headers["X-Frame-Index"]) >= results.json()["classification"]["frame"]


def test_the_mode_switches_live_and_a_bad_mode_is_refused(start_server):
    model = Slow()
    server = start_server(
        networks=[ModelSlot(model, lambda name: model, ("slow",))], network_mode="async"
    )
    switched = requests.put(server.url + "/stream/network_mode", data='"sync"', timeout=5)
    assert switched.status_code == 200 and switched.json() == "sync"
    recorder = Recorder([])
    recorder.watch(server)
    pairs = wait_for(lambda: len(p := recorder.drawn_and_published()) >= 3 and p)
    assert all(drawn == published for drawn, published in pairs[1:])
    refused = requests.put(server.url + "/stream/network_mode", data='"eager"', timeout=5)
    assert refused.status_code == 400 and "sync, async" in refused.json()["error"]


class Named:
    """A slot stand-in for network_groups: a type and what it needs."""

    def __init__(self, network_type: str, needs: tuple[str, ...] = ()) -> None:
        self.type, self.needs = network_type, needs


def test_a_network_runs_in_the_group_of_the_network_it_needs():
    slots: Any = [Named("detection"), Named("pose"), Named("action", ("pose",))]
    groups = network_groups(slots)
    assert [[slot.type for slot in group] for group in groups] == [
        ["detection"],
        ["pose", "action"],
    ]
    alone: Any = [Named("detection"), Named("action", ("pose",))]
    assert [[slot.type for slot in group] for group in network_groups(alone)] == [
        ["detection"],
        ["action"],
    ]


def test_network_threads_yield_the_cpu_to_the_server_and_the_video(start_server):
    model = Slow()
    before = set(threading.enumerate())  # threads of other tests' servers are not this one's
    server = start_server(
        networks=[ModelSlot(model, lambda name: model, ("slow",))], network_mode="async"
    )
    wait_for(lambda: server.get("/classification/results").json())
    workers = [t for t in threading.enumerate() if t.name.startswith("network-")]
    assert workers and all(t.native_id is not None for t in workers)
    names = ("process-camera1", "capture-camera1", "fan-out")
    others = [t for t in set(threading.enumerate()) - before if t.name in names]
    assert len(others) == 3
    base = os.getpriority(os.PRIO_PROCESS, 0)
    for thread in workers:
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id or 0) == min(
            base + NETWORK_NICE, 19
        )
    for thread in others:
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id or 0) == base
