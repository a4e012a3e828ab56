"""The "jetson" backend (backends/jetson.py) on the fakes of jetson_inference and jetson_utils
(tests/fake_jetson): each type loads its jetson-inference network through the catalogue, gives
the same typed results and JSON as on a PC, maps the live settings onto the network's setters
before it runs, and fails, switches and serves as the PC backends do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
import pytest
import requests

import backends
from catalogue import Catalogue
from cli import input_spec, open_outputs, open_webrtc_for, parse_args, warn_jetson_only
from fake_jetson import FakeJetson, installed
from frame import Frame
from helpers import validate_results, wait_for
from model import FAILURES_BEFORE_DISABLE, NETWORK_TYPES, ModelSlot
from networks import create_slot, load_model
from networks.action import ClipActionModel
from outputs import JetsonOutput
from sources import InputSpec, JetsonSource, PatternSource, open_source

# a jetson-inference name of each type, and another for the switch test
JETSON_NAMES = {
    "classification": "googlenet",
    "detection": "ssd-mobilenet-v2",
    "segmentation": "fcn-resnet18-voc-320x320",
    "pose": "resnet18-body",
    "action": "resnet18-kinetics",
    "background": "u2net",
}
BOX = (100, 60, 164, 180)  # left, top, right, bottom of the bright grey box


@pytest.fixture
def jetson() -> Iterator[FakeJetson]:
    with installed() as modules:
        yield modules


def scene(index: int = 0, shift: int = 0) -> Frame:
    """A 320x240 BGR frame like the fakes' scene: dark, with a bright grey (245) box, which
    the fake detectNet and poseNet find as a person."""
    image = np.full((240, 320, 3), 30, np.uint8)
    left, top, right, bottom = BOX
    image[top:bottom, left + shift : right + shift] = 245
    return Frame(image, index, 1_700_000_000.0 + index / 30)


def results_json(network_type: str, result: Any) -> dict[str, Any]:
    body: dict[str, Any] = dict.fromkeys(NETWORK_TYPES)
    body[network_type] = result.to_json()
    return body


def calls(net: Any) -> list[str]:
    return [call.name for call in net.calls]


def net_of(slot: ModelSlot) -> Any:
    """The fake network object under a slot's model."""
    model = slot.model
    backend = next(
        getattr(model, attribute)
        for attribute in ("classifier", "detector", "segmenter", "estimator", "matting")
        if hasattr(model, attribute)
    )
    return backend.net


@pytest.mark.parametrize("network_type", NETWORK_TYPES)
def test_each_type_loads_its_jetson_network_and_gives_a_valid_result(jetson, network_type):
    entry = Catalogue().resolve(network_type, JETSON_NAMES[network_type])
    assert entry.backend == "jetson", "with jetson_inference installed, not the stand-in"
    model = load_model(entry)
    net = getattr(
        model,
        {
            "classification": "classifier",
            "detection": "detector",
            "segmentation": "segmenter",
            "pose": "estimator",
            "action": "classifier",
            "background": "matting",
        }[network_type],
    ).net
    assert type(net).__module__.startswith("jetson_inference")
    result = None
    for index in range(3):  # actionNet's confidence grows with the motion since the last frame
        frame = scene(index, shift=8 * index)
        if network_type == "action":
            frame.image[:] = 40 + 150 * (index % 2)
        result = model.process(frame)
    assert result is not None
    validate_results(results_json(network_type, result))
    if network_type == "classification":
        assert result.classes and all(c.label for c in result.classes)
    elif network_type == "detection":
        (person,) = result.detections
        assert person.label == "person" and person.track_id is None
        assert person.box == pytest.approx((116, 60, 180, 179), abs=6)
    elif network_type == "segmentation":
        assert result.mask.shape == (240, 320) and result.mask.dtype == np.uint8
        assert "person" in {c.label for c in result.classes}
    elif network_type == "pose":
        (person,) = result.poses
        assert len(person.keypoints) == net.GetNumKeypoints()
        assert {k.name for k in person.keypoints} >= {"nose", "left_shoulder"}
        assert person.links
        assert all(BOX[0] - 1 <= k.x <= BOX[2] + 20 for k in person.keypoints)
    elif network_type == "action":
        assert isinstance(model, ClipActionModel) and model.needs == ()
        assert result.label is not None and result.scores == {result.label: result.confidence}
    else:
        assert result.mask.shape == (240, 320) and result.mask.dtype == np.float32
        assert result.mask[120, 130] == 1.0 and result.mask[10, 10] == 0.0
        assert 0.05 < result.foreground_fraction < 0.2


def test_the_networks_are_asked_for_no_overlay_and_each_frame_is_uploaded_once(jetson):
    detection = load_model(Catalogue().resolve("detection", "ssd-mobilenet-v2"))
    pose = load_model(Catalogue().resolve("pose", "resnet18-body"))
    jetson.utils.fake_reset()
    detection.process(scene())
    pose.process(scene())
    detect = [c for c in detection.detector.net.calls if c.name == "Detect"]  # type: ignore[attr-defined]
    process = [c for c in pose.estimator.net.calls if c.name == "Process"]  # type: ignore[attr-defined]
    assert detect[-1].args["overlay"] == "none" and process[-1].args["overlay"] == "none"
    assert jetson.utils.fake_counters.host_to_device_copies == 2  # one per network


def slot_of(network_type: str, catalogue: Catalogue | None = None) -> ModelSlot:
    return create_slot(catalogue or Catalogue(), network_type, JETSON_NAMES[network_type])


def test_a_changed_setting_reaches_the_setter_before_the_network_runs_once(jetson):
    slot = slot_of("detection")
    net = net_of(slot)
    slot.run(scene(0))
    first = calls(net)
    assert first.index("SetThreshold") < first.index("Detect")
    assert first.index("SetClusteringThreshold") < first.index("Detect")
    net.calls.clear()
    slot.run(scene(1))
    assert calls(net) == ["Detect"], "no setter when nothing changed"
    slot.settings.confidence_threshold = 0.7  # what a PUT does
    slot.run(scene(2))
    assert calls(net) == ["Detect", "SetThreshold", "Detect"]
    assert net.calls[1].args["threshold"] == pytest.approx(0.7)
    assert net.GetThreshold() == pytest.approx(0.7)
    net.calls.clear()
    slot.settings.clustering_threshold = 0.3
    slot.settings.overlay_alpha = 200.0
    slot.run(scene(3))
    assert calls(net) == ["SetClusteringThreshold", "SetOverlayAlpha", "Detect"]
    assert net.GetClusteringThreshold() == pytest.approx(0.3)
    assert net.GetOverlayAlpha() == pytest.approx(200.0)


def test_tracking_settings_reach_detectnets_tracker(jetson):
    slot = slot_of("detection")
    net = net_of(slot)
    slot.run(scene(0))
    assert not net.IsTrackingEnabled()
    net.calls.clear()
    slot.settings.tracking_enabled = True
    slot.settings.tracking_min_frames = 2
    slot.settings.tracking_drop_frames = 7
    slot.settings.tracking_overlap_threshold = 0.4
    slot.run(scene(1))
    assert calls(net) == ["SetTrackingEnabled", "SetTrackingParams", "Detect"]
    assert net.IsTrackingEnabled()
    params = net.GetTrackingParams()
    assert (params["minFrames"], params["dropFrames"]) == (2, 7)
    assert params["overlapThreshold"] == pytest.approx(0.4)
    track_ids = set()
    for index in range(2, 8):
        result = slot.run(scene(index, shift=index))
        assert result is not None
        validate_results(results_json("detection", result))
        track_ids |= {d.track_id for d in result.detections}  # type: ignore[attr-defined]
    assert track_ids - {None} == {0}, "one person, one track id, from detectNet's tracker"
    slot.settings.tracking_enabled = False
    net.calls.clear()
    result = slot.run(scene(9))
    assert calls(net) == ["SetTrackingEnabled", "Detect"] and not net.IsTrackingEnabled()
    assert [d.track_id for d in result.detections] == [None]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("network_type", "changes", "setters"),
    [
        (
            "classification",
            {"confidence_threshold": 0.2, "output_smoothing": 0.75},
            {"SetThreshold": ("threshold", 0.2), "SetSmoothing": ("factor", 0.25)},
        ),
        ("segmentation", {"overlay_alpha": 99.0}, {"SetOverlayAlpha": ("alpha", 99.0)}),
        ("pose", {"confidence_threshold": 0.3}, {"SetThreshold": ("threshold", 0.3)}),
        (
            "action",
            {"confidence_threshold": 0.25, "skip_frames": 4},
            {"SetThreshold": ("threshold", 0.25), "SetSkipFrames": ("skipFrames", 4)},
        ),
    ],
)
def test_the_other_types_settings_reach_their_setters(jetson, network_type, changes, setters):
    slot = slot_of(network_type)
    net = net_of(slot)
    slot.run(scene(0))
    net.calls.clear()
    for name, value in changes.items():
        setattr(slot.settings, name, value)
    slot.run(scene(1))
    names = calls(net)
    runs = names.index("Process" if "Process" in names else "Classify")
    for setter, (argument, value) in setters.items():
        (call,) = [c for c in net.calls if c.name == setter]
        assert names.index(setter) < runs
        assert call.args[argument] == pytest.approx(value)


def test_imagenet_smooths_and_the_model_does_not_smooth_again(jetson):
    slot = slot_of("classification")
    slot.settings.output_smoothing = 0.5
    dark, bright = scene(0), Frame(np.full((240, 320, 3), 200, np.uint8), 1, 1.0)
    slot.run(dark)
    net = net_of(slot)
    assert net.GetSmoothing() == pytest.approx(0.5)
    result = slot.run(bright)
    assert result is not None
    raw = load_model(Catalogue().resolve("classification", "googlenet")).process(bright)
    # imageNet's running average (half the bright frame's score), not averaged again
    bright_class = raw.classes[0]
    smoothed = {c.id: c.confidence for c in result.classes}  # type: ignore[attr-defined]
    assert smoothed[bright_class.id] == pytest.approx(bright_class.confidence / 2, abs=0.001)


def test_a_failing_jetson_network_is_switched_off_after_three_frames(jetson, caplog):
    slot = slot_of("detection")
    net = net_of(slot)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise Exception("jetson.inference -- detectNet.Detect() encountered an error")

    net.Detect = broken
    for index in range(FAILURES_BEFORE_DISABLE):
        assert slot.enabled
        assert slot.run(scene(index)) is None
    assert not slot.enabled
    assert slot.error is not None and "switched off after 3 failures" in slot.error
    assert "encountered an error" in slot.error
    assert slot.run(scene(5)) is None


def track_ids(slot: ModelSlot, frames: range) -> set[int | None]:
    found: set[int | None] = set()
    for index in frames:
        result = slot.run(scene(index, shift=index))
        assert result is not None
        found |= {d.track_id for d in result.detections}  # type: ignore[attr-defined]
    return found


def test_switching_from_one_jetson_network_to_another(jetson):
    slot = slot_of("detection")
    assert "ssd-inception-v2" in slot._choices
    slot.settings.confidence_threshold = 0.6
    slot.settings.tracking_enabled = True
    assert track_ids(slot, range(8)) - {None} == {0}
    first = net_of(slot)
    slot._switch("ssd-inception-v2")
    wait_for(lambda: slot.network == "ssd-inception-v2")
    second = net_of(slot)
    assert second is not first and second.GetModelPath() != first.GetModelPath()
    # the new detectNet's tracker counts from 0 again; the ids reported go on counting
    assert track_ids(slot, range(8, 16)) - {None} == {1}
    assert second.GetThreshold() == pytest.approx(0.6), "the live settings outlive the switch"
    assert second.IsTrackingEnabled()


def test_on_a_pc_the_backend_is_registered_but_the_stand_ins_run(catalogue):
    entry = catalogue.resolve("detection", "ssd-mobilenet-v2")
    assert entry.name == "nanodet-coco"
    jetson_entry = catalogue.named("detection", "ssd-mobilenet-v2")
    assert jetson_entry is not None
    assert "jetson" in backends.registry.backends()
    assert jetson_entry.backend_problem() == (
        "needs the Python packages jetson_inference, jetson_utils"
    )


def test_the_whole_pipeline_on_the_fakes_serves_all_six_results(jetson, start_server):
    catalogue = Catalogue()
    slots = [slot_of(network_type, catalogue) for network_type in NETWORK_TYPES]
    assert type(slots[NETWORK_TYPES.index("action")].model) is ClipActionModel
    server = start_server(PatternSource(320, 240, 30), networks=slots)

    def all_six() -> dict[str, Any] | None:
        body = requests.get(server.url + "/results", timeout=5).json()
        return body if all(body[t] is not None for t in NETWORK_TYPES) else None

    body = wait_for(all_six, timeout=30)
    validate_results(body)
    assert server.get("/detection/network").json() == "ssd-mobilenet-v2"
    assert server.get("/action/network").json() == "resnet-18"
    response = requests.put(server.url + "/detection/confidence_threshold", data="0.7", timeout=5)
    assert response.status_code == 200
    detection = next(slot for slot in slots if slot.type == "detection")
    net = net_of(detection)
    wait_for(lambda: abs(net.GetThreshold() - 0.7) < 1e-6)

    def detected_after_the_last_set() -> bool:
        names = calls(net)
        last_set = max(i for i, name in enumerate(names) if name == "SetThreshold")
        return "Detect" in names[last_set:]

    wait_for(detected_after_the_last_set)
    validate_results(requests.get(server.url + "/results", timeout=5).json())


def test_a_captured_cuda_frame_goes_through_with_no_host_copy_and_one_sync(jetson, start_server):
    """Part 2: jetson-utils' bgr8 cudaImage is the frame; the networks take it on the GPU, the
    frame is synchronized once, drawn and encoded in mapped memory."""
    source = open_source(InputSpec(uri="fake://pattern?paced=1", rate=15))
    assert isinstance(source, JetsonSource)
    slots = [slot_of("detection"), slot_of("classification")]
    server = start_server(source, networks=slots, network_mode="sync")
    wait_for(lambda: all(server.get("/results").json().values()))
    wait_for(lambda: server.pipeline.broadcaster.latest)
    counters = jetson.utils.fake_counters
    copies, syncs = counters.host_to_device_copies, counters.device_synchronize
    published = server.pipeline.broadcaster.latest.seq
    wait_for(lambda: server.pipeline.broadcaster.latest.seq >= published + 10)
    server.pipeline.stop()
    frames = server.pipeline.broadcaster.latest.seq - published
    assert counters.host_to_device_copies == copies, "no frame was copied from the CPU"
    # A frame is synchronized before it is published, so the frame in flight at each reading can
    # be counted on one side and not the other: one sync per frame, give or take one at each end.
    # Two syncs a frame would give about 2 * frames.
    assert frames - 1 <= counters.device_synchronize - syncs <= frames + 1
    snapshot = cv2.imdecode(np.frombuffer(server.get("/snapshot.jpg").content, np.uint8), 1)
    side = 240 // 6  # the fake scene's red square, RGB (220, 30, 30), bottom left
    blue, green, red = snapshot[240 - side : 240 - 4, 8:side].reshape(-1, 3).mean(axis=0)
    assert red > 150 and blue < 90 and green < 90, "BGR kept from capture to JPEG"
    detection = server.get("/detection/results").json()
    assert detection["detections"] and detection["detections"][0]["label"] == "person"


def test_a_frame_held_while_the_capture_ring_turns_over_keeps_its_pixels(jetson):
    """jetson-utils captures into a ring of --num-buffers (4) images and writes over them; a
    frame a slow network holds must not change under it. Dropped frames' buffers are reused."""
    source = open_source(InputSpec(uri="fake://pattern"))
    assert isinstance(source, JetsonSource)
    held = source.read()
    pixels = np.array(jetson.utils.cudaToNumpy(held))
    for _ in range(12):  # three turns of the ring, each frame dropped at once
        assert source.read() is not held
    allocations = jetson.utils.fake_counters.allocations
    for _ in range(12):
        source.read()
    assert jetson.utils.fake_counters.allocations == allocations, "buffers were reused"
    assert np.array_equal(np.asarray(jetson.utils.cudaToNumpy(held)), pixels)
    source.close()


def test_the_pipeline_reuses_its_gpu_buffers(jetson, start_server):
    """After warming up, a frame costs no new mapped allocation: neither the copy out of the
    capture ring nor the annotated copy (each cudaAllocMapped pins host memory: slow)."""
    source = open_source(InputSpec(uri="fake://pattern?paced=1", rate=30))
    assert isinstance(source, JetsonSource)
    server = start_server(source, networks=[slot_of("detection")], network_mode="async")
    frames, canvases = source._frames, server.pipeline._canvases  # the two ImagePools
    wait_for(lambda: server.get("/detection/results").json())
    published = server.pipeline.broadcaster.latest.seq
    wait_for(lambda: server.pipeline.broadcaster.latest.seq >= published + 10)
    allocations = jetson.utils.fake_counters.allocations
    pooled = len(frames) + len(canvases)
    published = server.pipeline.broadcaster.latest.seq
    wait_for(lambda: server.pipeline.broadcaster.latest.seq >= published + 30)
    server.pipeline.stop()
    # The captured frames' pool holds as many buffers as frames are held at once: the newest
    # (in the slot), the one the network works on, the copy being made, and, once the
    # processing thread falls a frame behind (a busy machine), the one it draws. That may
    # first happen after the warm-up: the pool grows to 4 then, and never more.
    assert jetson.utils.fake_counters.allocations - allocations == (
        len(frames) + len(canvases) - pooled
    ), "every buffer allocated is kept for reuse"
    assert len(frames) <= 4 and len(canvases) == 1


def test_on_a_jetson_output_goes_to_jetson_utils_video_output(jetson, start_server, caplog):
    """Part 4: --output is jetson_utils.videoOutput, with the output options as its argv; it
    renders the annotated frame's own cudaImage (no copy from the CPU) and is closed at stop."""
    args = parse_args(
        ["--input=fake://pattern?paced=1", "--output=webrtc://@:8554/output", "--bitrate=1000000"]
    )
    source = open_source(input_spec(args))
    assert open_webrtc_for(args) is None, "jetson-utils serves webrtc:// itself"
    (output,) = open_outputs(args, input_spec(args), source)
    assert isinstance(output, JetsonOutput)
    video_output = output._output  # the fake's videoOutput, as jetson-utils made it
    assert video_output.GetOptions()["bitrate"] == 1000000
    warn_jetson_only(args, source, [output])
    assert not caplog.records, "the output options have an effect"
    server = start_server(source, networks=[slot_of("detection")], outputs=[output])
    put = requests.put(server.url + "/stream/overlay_stats", data="true", timeout=5)
    assert put.status_code == 200
    wait_for(lambda: video_output.fake_frames >= 10)
    copies = jetson.utils.fake_counters.host_to_device_copies
    rendered = video_output.fake_frames
    wait_for(lambda: video_output.fake_frames >= rendered + 10)
    assert jetson.utils.fake_counters.host_to_device_copies == copies
    server.pipeline.stop()
    assert "Close" in calls(video_output)
    last = video_output.fake_last_frame  # RGB
    assert last is not None and last.shape == (240, 320, 3)
    stats_line = last[240 - 30 :, :300]
    assert (stats_line.min(axis=2) > 200).sum() > 100, "the annotated frame, stats line and all"
