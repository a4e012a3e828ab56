"""Several cameras: cameras.py (from --input flags or a cameras file), uris.py (no
credentials shown), and a dashboard of cameras served on loopback (dashboard.py): their own
paths, shared settings and networks, fairness, capture on demand."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pytest
import requests

from cameras import CamerasError, CameraSpec, from_inputs, read_cameras_file
from helpers import ConstantScores, free_port, run_app, start_app, wait_for
from mjpeg_client import MjpegViewer, decode
from model import ModelSlot
from networks import create_slot
from networks.classification import ClassificationModel
from sources import InputSpec
from uris import redact

DEFAULTS = InputSpec(width=640, height=480, rate=15.0)


@pytest.mark.parametrize(
    "uri, shown",
    [
        (
            "rtsp://admin:hunter2@10.0.0.5:554/s?channel=1",
            "rtsp://admin:***@10.0.0.5:554/s?channel=1",
        ),
        (
            "http://cam/mjpg?user=me&password=hunter2&fps=5",
            "http://cam/mjpg?user=me&password=***&fps=5",
        ),
        ("rtsp://cam/live?token=hunter2", "rtsp://cam/live?token=***"),
        ("rtsp://admin@cam/live", "rtsp://admin@cam/live"),
        ("test://", "test://"),
        ("/dev/video0", "/dev/video0"),
        ("csi://0", "csi://0"),
    ],
)
def test_credentials_never_show(uri, shown):
    assert redact(uri) == shown
    assert "hunter2" not in redact(uri)


def test_each_input_is_a_camera_with_the_common_options():
    cameras = from_inputs(["test://", "rtsp://a:b@cam/1"], DEFAULTS)
    assert [camera.name for camera in cameras] == ["camera1", "camera2"]
    assert cameras[1].input == InputSpec("rtsp://a:b@cam/1", 640, 480, 15.0)


def test_a_cameras_file_names_each_camera_and_its_options(tmp_path):
    path = tmp_path / "cameras.toml"
    path.write_text(
        '[[camera]]\nname = "door"\ninput = "rtsp://u:p@10.0.0.5/1"\nwidth = 320\n\n'
        '[[camera]]\nname = "lab"\ninput = "test://"\nrate = 10\nflip = "rotate-180"\n'
        "loop = -1\n"
    )
    door, lab = read_cameras_file(path, DEFAULTS)
    assert door.name == "door" and door.input == InputSpec("rtsp://u:p@10.0.0.5/1", 320, 480, 15.0)
    assert lab.input == InputSpec("test://", 640, 480, 10.0, loop=-1, flip="rotate-180")


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "expected one or more [[camera]] tables"),
        ("camera = 3", "expected one or more [[camera]] tables"),
        ('[[camera]]\nname = "a"\ninput = "test://"\n[other]\n', "unknown key(s) other"),
        ('[[camera]]\nname = "Door 1"\ninput = "test://"', "name must be"),
        ('[[camera]]\nname = "a"', "input (a URI) is required"),
        ('[[camera]]\nname = "a"\ninput = "test://"\nfps = 3', "unknown option(s) fps"),
        ('[[camera]]\nname = "a"\ninput = "test://"\nwidth = "640"', "width must be a int"),
        ('[[camera]]\nname = "a"\ninput = "test://"\nwidth = 0', "width must be positive"),
        ('[[camera]]\nname = "a"\ninput = "test://"\nflip = "up"', "flip must be one of"),
        ('[[camera]]\nname = "a"\ninput = "test://"\nloop = -2', "loop must be -1"),
        (
            '[[camera]]\nname = "a"\ninput = "x"\n[[camera]]\nname = "a"\ninput = "y"',
            "used twice: a",
        ),
        ("[[camera]\n", "not TOML"),
    ],
)
def test_a_bad_cameras_file_is_one_line_saying_what_and_where(tmp_path, text, problem):
    path = tmp_path / "cameras.toml"
    path.write_text(text)
    with pytest.raises(CamerasError) as raised:
        read_cameras_file(path, DEFAULTS)
    assert problem in str(raised.value) and "\n" not in str(raised.value)


def test_a_missing_cameras_file(tmp_path):
    with pytest.raises(CamerasError, match="No such file"):
        read_cameras_file(tmp_path / "none.toml", DEFAULTS)


# --- several cameras in one server ----------------------------------------------------------


def specs(*names: str) -> list[CameraSpec]:
    return [CameraSpec(name, InputSpec(f"rtsp://admin:hunter2@cam-{name}/live")) for name in names]


def constant_classifier() -> ModelSlot:
    def load(name: str) -> ClassificationModel:
        return ClassificationModel(name, ConstantScores())

    return ModelSlot(load("constant"), load, ("constant",))


def test_each_camera_has_its_own_stream_snapshot_results_and_stats(serve_cameras):
    cameras = serve_cameras(specs("door", "lab"), [constant_classifier()])
    listed = cameras.get("/cameras").json()
    assert [camera["name"] for camera in listed] == ["door", "lab"]
    assert listed[0]["uri"] == "rtsp://admin:***@cam-door/live"
    for name in ("door", "lab"):
        url = urlparse(cameras.url)
        with MjpegViewer(
            url.hostname or "", url.port or 0, f"/cameras/{name}/video_feed"
        ) as viewer:
            assert decode(viewer.next_part().body).shape == (120, 160, 3)
        results = f"/cameras/{name}/results"
        wait_for(lambda: cameras.get(results).json()["classification"])  # noqa: B023
        result = cameras.get(f"/cameras/{name}/classification/results").json()
        assert result["classes"][0]["label"] == "a"
        assert cameras.get(f"/cameras/{name}/stats").json()["source"]["state"] == "online"
        assert cameras.get(f"/cameras/{name}/snapshot.jpg").headers["content-type"] == "image/jpeg"
    assert cameras.get("/cameras/nope/stats").status_code == 404
    assert "GET /cameras" in cameras.get("/cameras/nope/snapshot.jpg").json()["error"]


def test_the_one_camera_paths_mean_the_first_camera(serve_cameras):
    cameras = serve_cameras(specs("door", "lab"))
    wait_for(lambda: cameras.dashboard.first.broadcaster.latest)
    first, second = (cameras.dashboard.pipeline(name) for name in ("door", "lab"))
    assert first is not None and second is not None
    second.running = False  # so that the two cameras' frame indexes part
    wait_for(lambda: second.capture.state == "stopped")

    def index(path: str) -> int:
        return int(cameras.get(path).headers["X-Frame-Index"])

    wait_for(lambda: index("/snapshot.jpg") > index("/cameras/lab/snapshot.jpg") + 5)
    assert index("/cameras/door/snapshot.jpg") > index("/cameras/lab/snapshot.jpg") + 5
    assert cameras.get("/stats").json()["source"] == first.stats()["source"]


def test_settings_apply_to_every_camera(serve_cameras):
    cameras = serve_cameras(specs("a", "b"))
    wait_for(lambda: all(cameras.get(f"/cameras/{n}/snapshot.jpg").ok for n in "ab"))
    sizes = {n: len(cameras.get(f"/cameras/{n}/snapshot.jpg").content) for n in "ab"}
    assert cameras.put("/stream/jpeg_quality", "5").json() == 5

    def smaller() -> bool:
        now = {n: len(cameras.get(f"/cameras/{n}/snapshot.jpg").content) for n in "ab"}
        return all(now[n] < sizes[n] / 2 for n in "ab")

    wait_for(smaller)


def test_a_network_is_loaded_once_and_each_camera_keeps_its_own_state(serve_cameras, catalogue):
    detection = create_slot(catalogue, "detection", None)
    classification = create_slot(catalogue, "classification", None)
    cameras = serve_cameras(specs("a", "b"), [detection, classification])
    for slot in (detection, classification):
        a, b = slot.model_for("a"), slot.model_for("b")
        assert a is not b, "each camera's model keeps its own state"
    detectors = [vars(detection.model_for(camera)) for camera in "ab"]
    assert detectors[0]["detector"] is detectors[1]["detector"], "the weights are loaded once"
    assert detectors[0]["tracker"] is not detectors[1]["tracker"]
    classifiers = [vars(classification.model_for(camera)) for camera in "ab"]
    assert classifiers[0]["classifier"] is classifiers[1]["classifier"]
    wait_for(lambda: all(cameras.get(f"/cameras/{n}/detection/results").json() for n in "ab"))


class SlowScores(ConstantScores):
    """A classifier that takes 20 ms a frame: slower than four 30 fps cameras together."""

    def classify(self, image: np.ndarray) -> np.ndarray:
        time.sleep(0.02)
        return super().classify(image)


def test_cameras_share_a_slow_network_fairly(serve_cameras):
    def load(name: str) -> ClassificationModel:
        return ClassificationModel(name, SlowScores())

    slot = ModelSlot(load("slow"), load, ("slow",))
    serve_cameras(specs("a", "b", "c", "d"), [slot])
    # each camera's first result kept (a camera is in camera_rates a moment before its result is)
    firsts = wait_for(lambda: all(r := [slot.result_for(c) for c in "abcd"]) and r)
    before = {camera: result.frame for camera, result in zip("abcd", firsts, strict=True) if result}
    counts = dict.fromkeys("abcd", 0)
    seen = dict(before)

    def count() -> bool:
        for camera in "abcd":
            result = slot.result_for(camera)
            if result is not None and result.frame != seen[camera]:
                counts[camera] += 1
                seen[camera] = result.frame
        return sum(counts.values()) >= 80

    wait_for(count, interval=0.002, timeout=60)
    assert min(counts.values()) / max(counts.values()) >= 0.8, counts


def test_an_idle_camera_frees_its_input_and_wakes_for_a_viewer(serve_cameras):
    cameras = serve_cameras(specs("a"), idle_stop=0.5)
    wait_for(lambda: cameras.get("/cameras").json()[0]["state"] == "idle")
    pipeline = cameras.dashboard.first
    assert pipeline.capture._source is None, "the input is closed"
    url = urlparse(cameras.url)
    with MjpegViewer(url.hostname or "", url.port or 0) as viewer:
        shown = pipeline.shown_frame() or 0
        while viewer.next_part().frame_index <= shown:
            pass  # parts of frames captured after the wake-up come
        assert cameras.get("/cameras").json()[0]["state"] == "online"
        time.sleep(1.0)  # longer than idle_stop: a viewer keeps it running
        assert cameras.get("/cameras").json()[0]["state"] == "online"
    wait_for(lambda: cameras.get("/cameras").json()[0]["state"] == "idle")
    assert cameras.get("/cameras/a/snapshot.jpg").ok  # a snapshot wakes it too
    wait_for(lambda: cameras.get("/cameras").json()[0]["state"] == "online")


def test_a_camera_stopped_by_hand_stays_stopped_until_started(serve_cameras):
    cameras = serve_cameras(specs("a", "b"))
    assert cameras.put("/cameras/a/running", "false").json() is False
    wait_for(lambda: cameras.get("/cameras").json()[0]["state"] == "stopped")
    assert cameras.get("/cameras").json()[1]["state"] == "online"
    cameras.get("/cameras/a/snapshot.jpg")  # no wake-up for a camera stopped by hand
    assert cameras.get("/cameras/a/running").json() is False
    for body in ("1", '"yes"', "nul", "[" * 900):
        response = cameras.put("/cameras/a/running", body)
        assert response.status_code == 400 and "true or false" in response.json()["error"]
    assert cameras.put("/cameras/a/running", "true").json() is True
    wait_for(lambda: cameras.get("/cameras").json()[0]["state"] == "online")


def test_a_password_in_a_camera_uri_shows_nowhere(serve_cameras, caplog):
    caplog.set_level(logging.INFO)
    cameras = serve_cameras(specs("door", "lab"), [constant_classifier()])
    cameras.put("/cameras/door/running", "false")
    wait_for(lambda: cameras.get("/cameras").json()[0]["state"] == "stopped")
    shown = [cameras.get(path).text for path in ("/", "/cameras", "/stats", "/cameras/lab/stats")]
    shown += [record.getMessage() for record in caplog.records]
    assert "admin:***@cam-door" in "".join(shown)
    assert not [text for text in shown if "hunter2" in text]


def test_several_inputs_on_the_command_line_and_a_cameras_file(tmp_path):
    port = free_port()
    process = start_app(port, "--input", "test://", "--input", "test://", "--idle-stop", "0")
    try:
        url = f"http://127.0.0.1:{port}"

        def cameras_listed() -> Any:
            try:
                return requests.get(url + "/cameras", timeout=2).json()
            except requests.ConnectionError:  # not listening yet
                return None

        listed = wait_for(cameras_listed, timeout=60)
        assert [camera["name"] for camera in listed] == ["camera1", "camera2"]
    finally:
        process.terminate()
        process.wait(10)
    path = tmp_path / "cameras.toml"
    path.write_text('[[camera]]\nname = "door"\ninput = "test://"\n')
    both = run_app("--cameras", str(path), "--input", "test://")
    assert both.returncode == 2 and "--cameras and --input exclude each other" in both.stderr
    bad = run_app("--cameras", str(tmp_path / "none.toml"))
    assert bad.returncode == 2 and "error: --cameras:" in bad.stderr
