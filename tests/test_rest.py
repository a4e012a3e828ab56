"""The REST control plane: jetson-inference's wire format, validation, no 5xx for any body."""

from __future__ import annotations

import json
import time

import cv2
import numpy as np
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import wait_for
from mjpeg_client import MjpegViewer, decode
from sources import InputSpec, open_source
from utils import MAX_BODY_BYTES, PropertyRegistry, attribute_property, rest_property


class Knobs:
    """One setting of each type, to exercise the registry."""

    ratio = 0.5
    count = 3
    flag = False
    mode = "blur"


@pytest.fixture
def knobs_server(server):
    knobs = Knobs()
    registry = server.pipeline.settings
    attribute_property(
        registry,
        "/knobs/ratio",
        knobs,
        "ratio",
        float,
        minimum=0,
        maximum=1,
        step=0.01,
        help="a float",
    )
    attribute_property(registry, "/knobs/count", knobs, "count", int, minimum=1, maximum=10)
    attribute_property(registry, "/knobs/flag", knobs, "flag", bool)
    attribute_property(
        registry, "/knobs/mode", knobs, "mode", str, choices=("blur", "colour", "image")
    )
    server.knobs = knobs
    return server


def put(server, path: str, body: str | bytes | None, **headers) -> requests.Response:
    return requests.put(server.url + path, data=body, headers=headers, timeout=10)


@pytest.mark.parametrize(
    "path, body, expected",
    [
        ("/knobs/ratio", "0.7", 0.7),
        ("/knobs/ratio", "1", 1.0),
        ("/knobs/count", "7", 7),
        ("/knobs/count", "3.0", 3),
        ("/knobs/flag", "true", True),
        ("/knobs/mode", '"image"', "image"),
    ],
)
def test_every_type_round_trips(knobs_server, path, body, expected):
    response = put(knobs_server, path, body)
    assert response.status_code == 200 and response.json() == expected
    assert knobs_server.get(path).json() == expected
    listed = {p["path"]: p for p in knobs_server.get("/api/properties").json()}
    assert listed[path]["value"] == expected


@pytest.mark.parametrize(
    "path, body, reason",
    [
        ("/knobs/ratio", '"0.7"', "expected float"),
        ("/knobs/ratio", "1.5", "out of range"),
        ("/knobs/ratio", "-0.1", "out of range"),
        ("/knobs/ratio", "NaN", "not JSON"),
        ("/knobs/ratio", "Infinity", "not JSON"),
        ("/knobs/ratio", "-Infinity", "not JSON"),
        ("/knobs/ratio", "true", "expected float"),
        ("/knobs/ratio", "null", "expected float"),
        ("/knobs/ratio", "[0.5]", "expected float"),
        ("/knobs/ratio", "{", "not JSON"),
        ("/knobs/ratio", "0.5 0.6", "not JSON"),
        ("/knobs/ratio", "", "empty"),
        ("/knobs/ratio", None, "empty"),
        ("/knobs/ratio", " " * MAX_BODY_BYTES + "0.5", "over"),
        ("/knobs/ratio", b"\xff\xfe", "not JSON"),
        ("/knobs/count", "3.5", "expected int"),
        ("/knobs/count", "11", "out of range"),
        ("/knobs/count", "1e400", "not a finite number"),
        ("/knobs/ratio", "-1e999", "not a finite number"),
        ("/knobs/ratio", "1" + "0" * 400, "not a finite number"),
        ("/knobs/count", "1" + "0" * 400, "out of range"),
        ("/knobs/count", "-1" + "0" * 400, "out of range"),
        ("/knobs/flag", "1", "expected true or false"),
        ("/knobs/flag", "0.0", "expected true or false"),
        ("/knobs/flag", '"true"', "expected true or false"),
        ("/knobs/mode", '"sepia"', "not one of"),
        ("/knobs/mode", "3", "expected string"),
    ],
)
def test_bad_values_get_400_with_a_message_and_change_nothing(knobs_server, path, body, reason):
    before = knobs_server.get(path).json()
    response = put(knobs_server, path, body, **{"Content-Type": "application/json"})
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert knobs_server.get(path).json() == before


def test_curl_style_form_put_works_as_on_jetson(knobs_server):
    """curl -X PUT -d 0.7 sends application/x-www-form-urlencoded; the body is still JSON."""
    response = put(
        knobs_server, "/knobs/ratio", "0.7", **{"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200 and response.json() == 0.7
    assert knobs_server.knobs.ratio == 0.7


def test_unknown_paths_404_and_wrong_methods_405_in_json(knobs_server):
    for path in ("/knobs/nothing", "/nothing/here", "/a/b/c"):
        response = knobs_server.get(path)
        assert response.status_code == 404 and "error" in response.json()
    read_only = put(knobs_server, "/input/resolution", '"1x1"')
    assert read_only.status_code == 405 and "read-only" in read_only.json()["error"]
    for path in ("/api/properties", "/stream/results"):  # answered by other GET routes
        refused = put(knobs_server, path, "1")
        assert refused.status_code == 405 and "read-only" in refused.json()["error"]
    posted = requests.post(knobs_server.url + "/knobs/ratio", data="0.1", timeout=10)
    assert posted.status_code == 405 and "error" in posted.json()
    assert knobs_server.knobs.ratio == 0.5


def test_api_properties_describes_every_setting(knobs_server):
    listed = {p["path"]: p for p in knobs_server.get("/api/properties").json()}
    assert {
        "/stream/jpeg_quality",
        "/stream/max_fps",
        "/stream/overlay_stats",
        "/input/resolution",
        "/input/fps",
        "/input/state",
    } <= set(listed)
    ratio = listed["/knobs/ratio"]
    assert ratio == {
        "path": "/knobs/ratio",
        "group": "knobs",
        "name": "ratio",
        "type": "float",
        "min": 0,
        "max": 1,
        "step": 0.01,
        "choices": None,
        "value": 0.5,
        "help": "a float",
        "label": "Ratio",
        "writable": True,
    }
    assert listed["/stream/max_fps"]["label"] == "Max FPS (0 = no cap)"
    assert listed["/knobs/mode"]["choices"] == ["blur", "colour", "image"]
    assert listed["/input/resolution"]["writable"] is False
    assert listed["/input/resolution"]["value"] == "320x240"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=64),
        st.text(max_size=64).map(str.encode),
        st.recursive(
            st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=4), inner, max_size=3)
            ),
        ).map(lambda v: json.dumps(v).encode()),
    ),
    path=st.sampled_from(
        [
            "/knobs/ratio",
            "/knobs/count",
            "/knobs/flag",
            "/knobs/mode",
            "/stream/jpeg_quality",
            "/stream/max_fps",
            "/input/fps",
        ]
    ),
)
def test_no_body_a_client_sends_gets_a_5xx(knobs_server, body, path):
    response = put(knobs_server, path, body)
    assert response.status_code in (200, 400, 405), response.text
    assert isinstance(response.json(), (dict, int, float, bool, str))


def test_registry_refuses_a_path_declared_twice():
    registry = PropertyRegistry()
    rest_property(registry, "/a/b", lambda: 1, type=int)
    with pytest.raises(ValueError, match="declared twice"):
        rest_property(registry, "/a/b", lambda: 2, type=int)


@pytest.fixture
def still_server(start_server, tmp_path):
    """The app on a still image repeated at 30 fps: what changes in the video is our doing."""
    image = np.zeros((240, 320, 3), np.uint8)
    image[:, :160] = (40, 120, 200)
    # noise in the first (blue) channel: OpenCV reads a number given for an array as (n, 0, 0, 0)
    cv2.randn(image[:, 160:], np.array([128.0, 0, 0, 0]), np.array([40.0, 0, 0, 0]))
    cv2.imwrite(str(tmp_path / "still.png"), image)
    return start_server(open_source(InputSpec(uri=str(tmp_path / "still.png"), rate=30, loop=-1)))


def part_after_change(server):
    """A part captured after the change in force now (the next two may predate it)."""
    with MjpegViewer(server.host, server.port) as viewer:
        return viewer.parts(3)[-1]


def test_stream_settings_change_the_stream(still_server):
    assert put(still_server, "/stream/jpeg_quality", "95").json() == 95
    large = len(part_after_change(still_server).body)
    assert put(still_server, "/stream/jpeg_quality", "10").json() == 10
    assert len(part_after_change(still_server).body) < large / 2

    plain = decode(part_after_change(still_server).body)
    assert put(still_server, "/stream/overlay_stats", "true").json() is True
    stamped = decode(part_after_change(still_server).body)
    assert np.abs(stamped[-30:, :150].astype(int) - plain[-30:, :150]).mean() > 10

    assert put(still_server, "/stream/max_fps", "5").json() == 5.0
    with MjpegViewer(still_server.host, still_server.port) as viewer:
        indexes = [part.frame_index for part in viewer.parts(8)[2:]]
    gaps = np.diff(indexes)
    assert np.median(gaps) >= 4, f"capture at 30 fps, output capped at 5: {indexes}"


def test_a_very_low_max_fps_can_be_lifted_at_once(server):
    broadcaster = server.pipeline.broadcaster
    wait_for(lambda: broadcaster.latest)
    assert put(server, "/stream/max_fps", "0.01").json() == 0.01

    def held() -> bool:  # nothing published for 0.3 s of a 30 fps input: it waits its 100 s
        seq = broadcaster.latest.seq
        time.sleep(0.3)
        return broadcaster.latest.seq == seq

    wait_for(held)
    assert put(server, "/stream/max_fps", "0").json() == 0
    seq = broadcaster.latest.seq
    wait_for(lambda: broadcaster.latest.seq > seq + 10)


def test_input_settings_are_read_only_facts(server):
    wait_for(lambda: server.get("/input/fps").json() > 5)
    assert server.get("/input/resolution").json() == "320x240"
    assert server.get("/input/state").json() == "online"
