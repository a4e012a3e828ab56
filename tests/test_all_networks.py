"""All six network types together: the compositing order, and the stream going on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import requests

from draw import Overlay
from frame import Frame
from helpers import DATA, validate_results, wait_for
from mjpeg_client import MjpegViewer, decode
from model import NETWORK_TYPES, NO_INPUTS, Inputs, Model, ModelSlot
from networks import create_slot
from results import Result
from sources import InputSpec, open_source
from stream import NETWORK_MODES


@dataclass
class NoSettings:
    pass


@dataclass(frozen=True)
class Recorded(Result):
    got_pose: bool  # whether process() was given the pose result of the same frame

    def payload(self) -> dict[str, Any]:
        return {"got_pose": self.got_pose}


def recording_model(network_type: str, drawn: list[str]) -> Model[Recorded]:
    """A Model of `network_type` that paints the frame and records when it draws."""

    class Recording(Model[Recorded]):
        type = network_type
        Settings = NoSettings
        needs = ("pose",) if network_type == "action" else ()

        def process(self, frame: Frame, inputs: Inputs = NO_INPUTS) -> Recorded:
            pose = inputs.get("pose")
            got_pose = pose is not None and pose.frame == frame.index
            return Recorded(frame.index, frame.timestamp, got_pose)

        def draw_overlay(self, overlay: Overlay, result: Recorded) -> None:
            drawn.append(self.type)
            overlay.image[:, :] = NETWORK_TYPES.index(self.type) * 40  # each covers the last

    return Recording(f"recording-{network_type}")


def never_loaded(name: str) -> Model[Any]:
    """A slot's loader for a test that never switches networks."""
    raise AssertionError(f"{name} was not to be loaded")


@pytest.mark.parametrize("mode", NETWORK_MODES)
def test_overlays_are_composed_in_the_fixed_order(start_server, mode):
    drawn: list[str] = []
    slots = [
        ModelSlot(recording_model(t, drawn), load=never_loaded, choices=(f"x-{t}",))
        for t in reversed(NETWORK_TYPES)
    ]  # given in the wrong order on purpose
    server = start_server(networks=slots, network_mode=mode)
    wait_for(lambda: all(server.get("/results").json().values()))
    start = len(drawn)
    wait_for(lambda: len(drawn) >= start + 12)
    first_pass = drawn.index("background", start)
    assert drawn[first_pass : first_pass + 6] == list(NETWORK_TYPES)
    with MjpegViewer(server.host, server.port) as viewer:
        frame = decode(viewer.parts(3)[-1].body)
    assert abs(int(np.median(frame)) - NETWORK_TYPES.index("action") * 40) <= 3, (
        "action, drawn last, is on top"
    )
    assert server.get("/action/results").json()["got_pose"] is True, (
        "action got pose's result of the same frame"
    )


def test_all_six_default_networks_run_together_while_the_stream_serves(start_server, catalogue):
    source = open_source(
        InputSpec(uri=str(DATA / "grace_hopper.jpg"), width=640, height=480, rate=10, loop=-1)
    )
    slots = [create_slot(catalogue, network_type, None) for network_type in NETWORK_TYPES]
    server = start_server(source, networks=slots)
    results = wait_for(
        lambda: (r := server.get("/results").json()) and all(r.values()) and r, timeout=60
    )
    assert set(results) == set(NETWORK_TYPES)
    validate_results(results)
    assert any(c["label"] == "person" for c in results["segmentation"]["classes"])
    assert any(d["label"] == "person" for d in results["detection"]["detections"])
    assert results["pose"]["poses"] and results["classification"]["classes"]
    assert 0.2 < results["background"]["foreground_fraction"] < 0.9
    with MjpegViewer(server.host, server.port) as viewer:
        indexes = [part.frame_index for part in viewer.parts(5)]
    assert indexes == sorted(set(indexes))
    assert server.get("/stats").json()["network_mode"] == "async"

    def all_running(stats: dict) -> bool:  # a rate is over a short window: polled, not read once
        return all(
            stats["networks"][t]["ms"] > 0
            and stats["networks"][t]["enabled"]
            and stats["networks"][t]["fps"] > 0
            and stats["networks"][t]["result_age_frames"] is not None
            for t in NETWORK_TYPES
        )

    wait_for(lambda: all_running(server.get("/stats").json()), timeout=60)
    synchronous = requests.put(server.url + "/stream/network_mode", data='"sync"', timeout=10)
    assert synchronous.json() == "sync"
    sequential = requests.put(server.url + "/stream/parallel_networks", data="false", timeout=10)
    assert sequential.json() is False
    frames = {t: r["frame"] for t, r in server.get("/results").json().items()}
    wait_for(lambda: all(r["frame"] > frames[t] for t, r in server.get("/results").json().items()))
