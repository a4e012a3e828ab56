"""All six network types together: the compositing order, and the stream going on."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import requests

from conftest import DATA
from model import NETWORK_TYPES, Model, ModelSlot
from mjpeg_client import MjpegViewer, decode
from networks import create_slot
from sources import InputSpec, open_source
from test_stream import wait_for


@dataclass
class NoSettings:
    pass


def recording_model(network_type: str, drawn: list[str]) -> Model:
    """A Model of `network_type` that paints a stripe and records when it draws."""

    class Recording(Model):
        type = network_type
        Settings = NoSettings
        uses = "pose" if network_type == "action" else None

        def process(self, image: np.ndarray, *used: Any) -> dict[str, Any]:
            return {"used": used[0] is not None} if used else {}

        def draw(self, image: np.ndarray, result: dict[str, Any]) -> None:
            drawn.append(self.type)
            image[:, :] = NETWORK_TYPES.index(self.type) * 40  # each covers the last

    return Recording(f"recording-{network_type}")


def test_overlays_are_composed_in_the_fixed_order(start_server):
    drawn: list[str] = []
    slots = [ModelSlot(recording_model(t, drawn), load=lambda name: None, choices=(f"x-{t}",))
             for t in reversed(NETWORK_TYPES)]  # given in the wrong order on purpose
    server = start_server(networks=slots)
    wait_for(lambda: len(drawn) >= 12)
    assert drawn[:6] == list(NETWORK_TYPES)
    with MjpegViewer(server.host, server.port) as viewer:
        frame = decode(viewer.parts(3)[-1].body)
    assert abs(int(np.median(frame)) - NETWORK_TYPES.index("action") * 40) <= 3, \
        "action, drawn last, is on top"
    assert server.get("/action/results").json()["used"] is True, "action got pose's result"


def test_all_six_default_networks_run_together_while_the_stream_serves(start_server,
                                                                        catalogue):
    source = open_source(InputSpec(uri=str(DATA / "grace_hopper.jpg"), width=640, height=480,
                                   rate=10, loop=-1))
    slots = [create_slot(catalogue, network_type, None) for network_type in NETWORK_TYPES]
    server = start_server(source, networks=slots)
    results = wait_for(lambda: (r := server.get("/results").json()) and all(r.values()) and r,
                       timeout=60)
    assert set(results) == set(NETWORK_TYPES)
    assert any(c["label"] == "person" for c in results["segmentation"]["classes"])
    assert any(d["label"] == "person" for d in results["detection"]["detections"])
    assert results["pose"]["poses"] and results["classification"]["classes"]
    assert 0.2 < results["background"]["foreground_fraction"] < 0.9
    with MjpegViewer(server.host, server.port) as viewer:
        indexes = [part.frame_index for part in viewer.parts(5)]
    assert indexes == sorted(set(indexes))
    stats = server.get("/stats").json()
    assert all(stats["networks"][t]["ms"] > 0 and stats["networks"][t]["enabled"]
               for t in NETWORK_TYPES)
    sequential = requests.put(server.url + "/stream/parallel_networks", data="false",
                              timeout=10)
    assert sequential.json() is False
    frames = {t: r["frame"] for t, r in server.get("/results").json().items()}
    wait_for(lambda: all(r["frame"] > frames[t]
                         for t, r in server.get("/results").json().items()))
