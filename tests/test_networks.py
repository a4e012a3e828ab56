"""Networks: shipped weights on real images, the catalogue's checks, failures, live switching."""

from __future__ import annotations

import functools
import json
import logging
import shutil
import subprocess
import sys
import threading
from dataclasses import replace

import numpy as np
import pytest
import requests

from backends.opencv_hog import HogPeopleDetector
from bench.matching import matched
from bench.street_scene import street_scene
from catalogue import Catalogue, CustomOptions, ModelError, read_labels
from helpers import (
    DATA,
    ROOT,
    ConstantScores,
    FixedScores,
    StillPerson,
    frame_of,
    list_models_rows,
    picture,
    run_app,
    wait_for,
)
from model import NO_INPUTS, ModelSlot
from networks import create_slot, load_model
from networks.classification import ClassificationModel
from networks.detection import DetectionModel
from results import DetectionResult, class_label
from sources import InputSpec, PatternSource, open_source
from utils import PropertyRegistry

CATS = {"Egyptian cat", "tabby", "tiger cat"}


@pytest.fixture(scope="module")
def nanodet(catalogue):
    return load_model(catalogue.find("detection", "nanodet-coco"))


@pytest.fixture(scope="module")
def efficientnet(catalogue):
    return load_model(catalogue.find("classification", "efficientnet-lite0"))


def labels_of(result: DetectionResult) -> list[str]:
    return [d.label for d in result.detections]


def test_efficientnet_reports_no_junk_on_the_test_pattern_at_its_defaults(efficientnet):
    pattern = PatternSource()
    frames = [pattern.read() for _ in range(300)][::30]  # ten frames, the photo sliding across
    assert [efficientnet.process(frame_of(frame)).classes for frame in frames] == [()] * 10
    hopper = efficientnet.process(frame_of(picture("grace_hopper.jpg"))).classes
    assert {score.label for score in hopper} >= {"suit", "military uniform"}, "real ones stay"


@pytest.mark.parametrize(
    "name, expected", [("chelsea.jpg", CATS), ("coffee.jpg", {"espresso", "cup"})]
)
def test_efficientnet_names_what_is_in_the_picture(efficientnet, name, expected):
    result = efficientnet.process(frame_of(picture(name)))
    classes = result.classes
    assert classes[0].label in expected and classes[0].confidence > 0.5
    assert list(classes) == sorted(classes, key=lambda c: -c.confidence)
    assert set(result.to_json()["classes"][0]) == {"id", "label", "confidence"}


@pytest.mark.parametrize(
    "name, label",
    [("chelsea.jpg", "cat"), ("astronaut.jpg", "person"), ("grace_hopper.jpg", "person")],
)
def test_nanodet_finds_the_object_and_its_box(nanodet, name, label):
    frame = picture(name)
    found = [d for d in nanodet.process(frame_of(frame)).detections if d.label == label]
    assert found, f"no {label} in {name}"
    left, top, right, bottom = max(found, key=lambda d: d.confidence).box
    height, width = frame.shape[:2]
    assert 0 <= left < right <= width and 0 <= top < bottom <= height
    assert (right - left) * (bottom - top) > 0.25 * width * height, "the box covers the subject"


def test_the_default_test_pattern_gives_the_networks_a_person(nanodet):
    frame = PatternSource().read()
    people = [d for d in nanodet.process(frame_of(frame)).detections if d.label == "person"]
    assert people and people[0].box[1] >= frame.shape[0] / 2 - 10, "in the lower half"


def test_nanodet_thresholds_apply(nanodet):
    frame = picture("astronaut.jpg")
    nanodet.settings.confidence_threshold = 0.99
    try:
        assert nanodet.process(frame_of(frame)).detections == ()
    finally:
        nanodet.settings.confidence_threshold = 0.4


def test_hog_finds_walkers_60_to_100_px_tall_that_it_used_to_miss(catalogue):
    """Synthetic streets (bench/street_scene.py): HOG at its default working width finds most
    walkers, boxed tightly enough for IoU 0.5; as it was (frames shrunk to 320 px wide, the
    whole window as the box) it found none."""
    scenes = [street_scene(seed, plain=seed % 2 == 1) for seed in range(4)]
    hog = load_model(catalogue.find("detection", "hog"))
    before = HogPeopleDetector(replace(catalogue.find("detection", "hog"), input={"width": 320}))
    before.window_margin = (0, 0)
    walkers = sum(len(truth) for _, truth in scenes)
    found = [hog.process(frame_of(image)).detections for image, _ in scenes]
    hits = sum(matched(d, truth) for d, (_, truth) in zip(found, scenes))
    assert hits >= 0.8 * walkers and hits >= 0.9 * sum(map(len, found))
    assert sum(matched(before.detect(image, 0.4, 0.5), truth) for image, truth in scenes) == 0


@pytest.mark.parametrize("name", ["chelsea.jpg", "coffee.jpg"])
def test_hog_finds_nobody_in_a_cat_or_a_cup(catalogue, name):
    hog = load_model(catalogue.find("detection", "hog"))
    assert hog.process(frame_of(picture(name))).detections == ()


def test_hog_finds_nothing_in_frames_too_small_for_its_window():
    """OpenCV's HOG crashes the whole process on such images, so this runs in another one."""
    code = (
        "import numpy as np; from catalogue import Catalogue; from networks import load_model;"
        " from frame import Frame; hog = load_model(Catalogue().find('detection', 'hog'));"
        " print([list(hog.process(Frame(np.zeros((h, w, 3), np.uint8), 0, 0.0)).detections)"
        " for w, h in"
        " ((1, 1), (32, 32), (320, 30), (1000, 100), (100000, 1))])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert result.stdout.strip() == "[[], [], [], [], []]"


def test_detections_draw_boxes_and_labels(nanodet):
    frame = picture("chelsea.jpg")
    result = nanodet.process(frame_of(frame))
    drawn = frame.copy()
    nanodet.draw(drawn, result)
    left, top, right, bottom = (int(v) for v in result.detections[0].box)
    assert not np.array_equal(drawn[top:bottom, left:right], frame[top:bottom, left:right])


def test_classification_smoothing_is_an_exponential_moving_average():
    model = ClassificationModel("fixed", FixedScores([1.0, 0.0], [0.0, 1.0]))
    model.settings.output_smoothing = 0.75
    model.process(frame_of(None))
    classes = {c.label: c.confidence for c in model.process(frame_of(None)).classes}
    assert classes == pytest.approx({"a": 0.75, "b": 0.25})


def test_classification_threshold_hides_weak_classes():
    model = ClassificationModel("fixed", FixedScores([0.6, 0.05]))
    model.settings.confidence_threshold = 0.1
    assert [c.label for c in model.process(frame_of(None)).classes] == ["a"]


def test_unknown_name_lists_the_valid_ones(catalogue):
    with pytest.raises(ModelError, match="valid names: nanodet-coco, hog-people"):
        catalogue.resolve("detection", "yolo9000")


def test_missing_corrupt_and_mismatched_files_are_clear_errors(tmp_path):
    folder = tmp_path / "networks"
    folder.mkdir()
    shutil.copy(ROOT / "data/networks/coco80.txt", folder)
    catalogue_json = json.loads((ROOT / "data/networks/models.json").read_text())
    (folder / "models.json").write_text(json.dumps(catalogue_json))
    entry = lambda: Catalogue(folder / "models.json").resolve("detection", "")  # noqa: E731
    assert entry().name == "nanodet-coco", "still the default: loading says what is wrong"
    with pytest.raises(ModelError, match="nanodet-coco-416.onnx: cannot be read"):
        load_model(entry())
    (folder / "nanodet-coco-416.onnx").write_bytes(b"not a network")
    with pytest.raises(ModelError, match="nanodet-coco-416.onnx: sha256 mismatch"):
        load_model(entry())
    assert entry().availability() == "file nanodet-coco-416.onnx: sha256 mismatch"

    junk = tmp_path / "mine.onnx"
    junk.write_bytes(b"\x08\x07garbage" * 100)
    with pytest.raises(ModelError, match="mine: cannot load"):
        load_model(Catalogue().resolve("detection", str(junk)))
    with pytest.raises(ModelError, match="no such model file"):
        Catalogue().resolve("classification", str(tmp_path / "absent.onnx"))


def test_a_labels_file_names_class_n_on_line_n(tmp_path):
    labels = tmp_path / "labels.txt"
    labels.write_text("\ufeffBACKGROUND\nperson\n\ncar\n\n", encoding="utf-8")
    assert read_labels(labels) == ["BACKGROUND", "person", "", "car"]
    assert class_label(read_labels(labels), 2) == "class 2"


def test_custom_onnx_classifier_runs_with_its_labels(tmp_path, catalogue):
    """A user's ONNX file by path: NanoDet stands in as 'some ONNX', with a made-up label
    file, to prove the path, labels and input-size plumbing (the output is not a class
    vector, so only the shape of the result is checked)."""
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(f"thing {i}" for i in range(169 * 80)))
    entry = catalogue.resolve(
        "classification",
        str(ROOT / "data/networks/nanodet-coco-416.onnx"),
        CustomOptions(labels=str(labels)),
    )
    assert entry.backend == "onnx-classifier"
    classifier = load_model(entry)
    assert isinstance(classifier, ClassificationModel)
    assert len(classifier.classifier.labels) == 169 * 80
    classifier.settings.confidence_threshold = 0.0
    result = classifier.process(frame_of(picture("chelsea.jpg")))
    assert len(result.classes) == 5
    assert all(c.label == f"thing {c.id}" for c in result.classes)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--detection", "yolo9000"], "valid names: nanodet-coco, hog-people"),
        (["--classification", "/no/such/model.onnx"], "no such model file"),
        (["--detection", "--detection-labels", "labels.txt"], "your own .onnx or .tflite file"),
    ],
)
def test_bad_network_flags_exit_2_with_a_message(args, message):
    result = run_app(*args)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_list_models_marks_what_runs_here():
    result = run_app("--list-models")
    assert result.returncode == 0
    table = result.stdout.split("\n\n")[0]
    rows = {line.split()[1]: line for line in list_models_rows(table)}
    assert "yes (default)" in rows["nanodet-coco"] and "yes (default)" in rows["efficientnet-lite0"]


@pytest.fixture
def detecting_server(start_server, catalogue):
    """The app on the astronaut picture at 15 fps, with NanoDet and EfficientNet loaded."""
    source = open_source(InputSpec(uri=str(DATA / "astronaut.jpg"), rate=15, loop=-1))
    slots = [
        create_slot(catalogue, "detection", None),
        create_slot(catalogue, "classification", "efficientnet"),
    ]
    return start_server(source, networks=slots)


def result_of(server, network_type: str) -> dict:
    """The type's latest result, once it has one."""
    return wait_for(lambda: server.get(f"/{network_type}/results").json())


def test_results_api_serves_every_network(detecting_server):
    server = detecting_server
    results = wait_for(lambda: (r := server.get("/results").json())["detection"] and r)
    assert set(results) == {"detection", "classification"}
    detection = result_of(server, "detection")
    assert {"frame", "timestamp", "detections"} <= set(detection)
    person = detection["detections"][0]
    assert set(person) == {"label", "class_id", "confidence", "box", "track_id"}
    assert person["label"] == "person" and len(person["box"]) == 4
    assert "classes" in result_of(server, "classification")
    missing = server.get("/pose/results")
    assert (
        missing.status_code == 404
        and "loaded: classification, detection" in missing.json()["error"]
    )
    stats = server.get("/stats").json()["networks"]["detection"]
    assert stats["network"] == "nanodet-coco" and stats["ms"] > 0 and stats["enabled"]


def test_curl_put_confidence_threshold_works_as_on_jetson(detecting_server):
    """curl -X PUT -d 0.7 -H 'Content-Type: application/json' .../detection/confidence_threshold"""
    server = detecting_server
    response = requests.put(
        server.url + "/detection/confidence_threshold",
        data="0.7",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200 and response.json() == 0.7
    assert server.get("/detection/confidence_threshold").json() == 0.7
    requests.put(server.url + "/detection/confidence_threshold", data="0.99", timeout=10)
    frame = result_of(server, "detection")["frame"]
    wait_for(
        lambda: (r := result_of(server, "detection"))["frame"] > frame + 1 and r["detections"] == []
    )


def test_tracking_gives_a_stable_track_id(detecting_server):
    server = detecting_server
    requests.put(server.url + "/detection/tracking_enabled", data="true", timeout=10)
    first = wait_for(
        lambda: (
            (d := result_of(server, "detection")["detections"])
            and d[0]["track_id"] is not None
            and d[0]
        )
    )
    frame = result_of(server, "detection")["frame"]
    later = wait_for(
        lambda: (r := result_of(server, "detection"))["frame"] > frame + 3 and r["detections"][0]
    )
    assert later["track_id"] == first["track_id"]


def test_enabled_switches_a_network_off_and_on(detecting_server):
    server = detecting_server
    result_of(server, "detection")  # its first result, before it is switched off
    requests.put(server.url + "/detection/enabled", data="false", timeout=10)

    def unchanged_while_classification_goes_on() -> tuple[int] | None:
        """Detection's result frame, if it stays the same while classification processes
        three more frames (a frame in flight when the PUT came may still finish)."""
        frame = result_of(server, "detection")["frame"]
        classified = result_of(server, "classification")["frame"]
        wait_for(lambda: result_of(server, "classification")["frame"] > classified + 3)
        return (frame,) if result_of(server, "detection")["frame"] == frame else None

    (frame,) = wait_for(unchanged_while_classification_goes_on)
    requests.put(server.url + "/detection/enabled", data="true", timeout=10)
    wait_for(lambda: result_of(server, "detection")["frame"] > frame)


def test_put_network_loads_another_in_the_background_and_swaps(detecting_server):
    server = detecting_server
    answer = requests.put(server.url + "/detection/network", data='"hog-people"', timeout=10)
    assert answer.status_code == 200
    wait_for(lambda: server.get("/detection/network").json() == "hog-people")
    frame = result_of(server, "detection")["frame"]
    wait_for(lambda: result_of(server, "detection")["frame"] > frame)
    assert server.get("/stats").json()["networks"]["detection"]["network"] == "hog-people"
    refused = requests.put(server.url + "/detection/network", data='"yolo9000"', timeout=10)
    assert refused.status_code == 400 and "nanodet-coco" in refused.json()["error"]


class Exploding(ClassificationModel):
    """A network whose runtime fails on every frame."""

    def __init__(self) -> None:
        super().__init__("exploding", FixedScores())

    def process(self, frame, inputs=NO_INPUTS):
        raise RuntimeError("out of memory")


def test_a_failing_network_logs_its_traceback_once_then_a_count(caplog):
    slot = ModelSlot(Exploding(), load=lambda name: Exploding(), choices=("exploding",))
    image = np.zeros((48, 64, 3), np.uint8)
    with caplog.at_level(logging.WARNING, logger="model"):
        for index in range(3):
            assert slot.run(frame_of(image, index)) is None
        assert slot.enabled is False
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1 and "out of memory" in str(tracebacks[0].exc_info[1])
    counts = [r.getMessage() for r in caplog.records if "failed again" in r.getMessage()]
    assert counts == [
        "classification network exploding failed again (2 in a row): RuntimeError: out of memory",
        "classification network exploding failed again (3 in a row): RuntimeError: out of memory",
    ]


def test_a_throwing_network_is_reported_and_switched_off_while_the_stream_goes_on(start_server):
    slot = ModelSlot(Exploding(), load=lambda name: Exploding(), choices=("exploding",))
    server = start_server(networks=[slot])
    stats = wait_for(
        lambda: (
            (s := server.get("/stats").json())["networks"]["classification"]["enabled"] is False
            and s
        )
    )
    report = stats["networks"]["classification"]
    assert report["failures"] == 3 and "out of memory" in report["error"]
    assert server.get("/classification/enabled").json() is False
    index = server.pipeline.broadcaster.latest.index
    wait_for(lambda: server.pipeline.broadcaster.latest.index > index + 5)
    again = requests.put(server.url + "/classification/enabled", data="true", timeout=10)
    assert again.json() is True  # switched on again, so retried: and switched off again
    wait_for(lambda: server.get("/stats").json()["networks"]["classification"]["enabled"] is False)


def test_the_network_asked_for_last_wins_over_an_earlier_slower_load():
    release = threading.Event()

    def slow_load(name: str) -> ClassificationModel:
        release.wait(20)
        return ClassificationModel(name, ConstantScores())

    registry = PropertyRegistry()
    slot = ModelSlot(ClassificationModel("first", ConstantScores()), slow_load, ("first", "second"))
    slot.declare_properties(registry)
    registry.put("/classification/network", b'"second"')
    assert slot.loading == "second"
    registry.put("/classification/network", b'"first"')  # asked back before "second" loaded
    assert slot.loading is None
    release.set()
    wait_for(lambda: all(t.name != "load-classification" for t in threading.enumerate()))
    assert slot.network == "first"


def switched_or_failed(slot: ModelSlot, name: str) -> bool | str | None:
    """Whether the slot runs network `name` now, or else its error, if a load failed."""
    return slot.network == name or slot.error


def test_a_users_own_file_can_be_switched_back_to(tmp_path, catalogue):
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(f"thing {i}" for i in range(169 * 80)))
    own_file = str(ROOT / "data/networks/nanodet-coco-416.onnx")
    slot = create_slot(catalogue, "classification", own_file, CustomOptions(labels=str(labels)))
    registry = PropertyRegistry()
    slot.declare_properties(registry)
    for name in ("efficientnet-lite0", "nanodet-coco-416"):
        registry.put("/classification/network", json.dumps(name).encode())
        wait_for(functools.partial(switched_or_failed, slot, name))
        assert slot.network == name and slot.error is None


class BadlyDrawn(ClassificationModel):
    """A network that runs, but whose drawing fails on every frame."""

    def __init__(self) -> None:
        super().__init__("badly-drawn", ConstantScores())

    def draw_overlay(self, overlay, result) -> None:
        raise ValueError("no such font")


def test_a_network_whose_drawing_always_fails_is_switched_off():
    slot = ModelSlot(BadlyDrawn(), load=lambda name: BadlyDrawn(), choices=("badly-drawn",))
    image = np.zeros((48, 64, 3), np.uint8)
    for index in range(3):
        result = slot.run(frame_of(image, index))
        assert result is not None
        slot.draw(image, result)
    assert slot.enabled is False and slot.error is not None and "no such font" in slot.error


def test_track_ids_are_not_used_again_after_a_switch_of_network():
    image = np.zeros((120, 160, 3), np.uint8)
    first = DetectionModel("first", StillPerson())
    first.settings.tracking_enabled = True
    ids = [first.process(frame_of(image)).detections[0].track_id for _ in range(3)]
    second = DetectionModel("second", StillPerson())
    second.settings.tracking_enabled = True
    second.take_over(first)
    later = [second.process(frame_of(image)).detections[0].track_id for _ in range(3)]
    assert ids == [None, None, 0] and later == [None, None, 1]
