"""Segmentation (DeepLabV3) and background (people matting, selfie, U^2-Net-p) on real
pictures, and through the pipeline's REST API and video."""

from __future__ import annotations

import functools

import cv2
import numpy as np
import pytest
import requests

from helpers import DATA, frame_of, picture, wait_for
from networks import create_slot, load_model
from networks.background import GREEN_SCREEN, backdrop, blurred
from results import SegmentationResult
from sources import InputSpec, open_source

PERSON = "person"
# (x, y) of a face pixel in each portrait; both have a flag (background) in the top-left corner
FACES = {"astronaut.jpg": (225, 130), "grace_hopper.jpg": (260, 230)}
CORNER = (slice(0, 64), slice(0, 64))  # the top-left 64x64: the flag behind the person
# the legend's corner of a frame (top-right): rows, columns from the right
LEGEND_ROWS, LEGEND_COLUMNS = 100, 200


@pytest.fixture(scope="module")
def deeplab(catalogue):
    return load_model(catalogue.find("segmentation", "deeplabv3-voc"))


@pytest.fixture(scope="module", params=["people-matting", "selfie-segmentation", "u2netp"])
def matting(request, catalogue):
    return load_model(catalogue.find("background", request.param))


def fractions(result: SegmentationResult) -> dict[str, float]:
    return {c.label: c.fraction for c in result.classes}


@pytest.mark.parametrize("name", sorted(FACES))
def test_deeplab_finds_the_person_where_the_person_is(deeplab, name):
    frame = picture(name)
    result = deeplab.process(frame_of(frame))
    assert fractions(result)[PERSON] > 0.2
    classes = result.mask
    assert classes.shape == frame.shape[:2] and classes.dtype == np.uint8
    person = classes == deeplab.segmenter.labels.index(PERSON)
    x, y = FACES[name]
    assert person[y, x] and not person[CORNER].any()
    rows, columns = np.nonzero(person)
    assert abs(columns.mean() / frame.shape[1] - 0.5) < 0.2
    assert abs(rows.mean() / frame.shape[0] - 0.5) < 0.2


def test_deeplab_result_lists_every_class_present_by_share(deeplab):
    result = deeplab.process(frame_of(picture("chelsea.jpg")))
    classes = result.classes
    assert classes[0].label == "cat" and classes[0].fraction > 0.5
    assert all(set(c) == {"label", "class_id", "fraction"} for c in result.to_json()["classes"])
    assert list(classes) == sorted(classes, key=lambda c: -c.fraction)
    assert "background" in fractions(result)
    assert sum(c.fraction for c in classes) == pytest.approx(1.0, abs=1e-3)
    assert len(deeplab.segmenter.labels) == 21 and deeplab.segmenter.labels[0] == "background"


def test_segmentation_draw_tints_the_classes_and_adds_a_legend(deeplab):
    frame = picture("astronaut.jpg")
    result = deeplab.process(frame_of(frame))
    drawn = frame.copy()
    deeplab.draw(drawn, result)
    x, y = FACES["astronaut.jpg"]
    assert np.abs(drawn[y, x].astype(int) - frame[y, x]).max() > 20, "the person is tinted"
    assert np.array_equal(drawn[CORNER], frame[CORNER]), "the background is not"
    legend = (slice(0, LEGEND_ROWS), slice(-LEGEND_COLUMNS, None))
    assert not np.array_equal(drawn[legend], frame[legend])

    deeplab.settings.overlay_alpha = 0.0
    try:
        untinted = frame.copy()
        deeplab.draw(untinted, result)
    finally:
        deeplab.settings.overlay_alpha = 150.0
    assert np.array_equal(untinted[y, x], frame[y, x])


@pytest.mark.parametrize("name", sorted(FACES))
def test_matting_separates_the_person_from_the_background(matting, name):
    frame = picture(name)
    result = matting.process(frame_of(frame))
    assert 0.3 < result.foreground_fraction < 0.85
    mask = result.mask
    assert mask.shape == frame.shape[:2] and mask.dtype == np.float32
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    x, y = FACES[name]
    assert mask[y, x] > 0.9 and mask[CORNER].mean() < 0.1


def face_patch(frame: np.ndarray, name: str) -> np.ndarray:
    x, y = FACES[name]
    return frame[y - 3 : y + 4, x - 3 : x + 4].astype(float)


def detail(patch: np.ndarray) -> float:
    """Mean absolute Laplacian: how much fine detail there is."""
    return float(np.abs(cv2.Laplacian(patch, cv2.CV_32F)).mean())


@pytest.mark.parametrize("name", sorted(FACES))
def test_each_mode_replaces_the_background_and_keeps_the_person(matting, name):
    frame = picture(name)
    result = matting.process(frame_of(frame))
    height, width = frame.shape[:2]
    drawn = {}
    for mode in ("blur", "colour", "image"):
        matting.settings.mode = mode
        drawn[mode] = frame.copy()
        matting.draw(drawn[mode], result)
        assert np.abs(face_patch(drawn[mode], name) - face_patch(frame, name)).mean() < 2
    matting.settings.mode = "blur"
    assert np.abs(drawn["blur"][CORNER] - blurred(frame)[CORNER].astype(float)).mean() < 3
    assert detail(drawn["blur"][CORNER]) < 0.25 * detail(frame[CORNER]), "the flag is blurred"
    assert np.abs(drawn["colour"][CORNER].astype(int) - GREEN_SCREEN).max() < 25
    backdrop_corner = backdrop(width, height)[CORNER].astype(int)
    assert np.abs(drawn["image"][CORNER] - backdrop_corner).mean() < 3


def test_backdrop_is_cached_per_size_and_not_flat():
    first = backdrop(640, 480)
    assert backdrop(640, 480) is first and first.shape == (480, 640, 3)
    assert backdrop(320, 240).shape == (240, 320, 3)
    assert first.std() > 10 and not first.flags.writeable


@pytest.fixture
def astronaut_server(start_server, catalogue):
    """The app on the astronaut picture at 10 fps with segmentation and background loaded."""
    source = open_source(InputSpec(uri=str(DATA / "astronaut.jpg"), rate=10, loop=-1))
    slots = [
        create_slot(catalogue, "segmentation", None),
        create_slot(catalogue, "background", None),
    ]
    return start_server(source, networks=slots)


def put(server, path: str, body: str) -> requests.Response:
    return requests.put(server.url + path, data=body, timeout=10)


def result_frame_after(server, network_type: str, index: int) -> int | None:
    """The frame of the type's latest result, if it is later than frame `index`."""
    frame = server.get(f"/{network_type}/results").json()["frame"]
    return frame if frame > index else None


def fresh_snapshot(server, *network_types: str) -> np.ndarray:
    """A published frame drawn after the last settings change: once each of these networks
    has a result of a frame captured after it (settings apply at the next frame boundary),
    a frame newer than that result's."""
    shown = int(server.get("/results").headers["X-Frame-Index"])
    frames = [
        wait_for(functools.partial(result_frame_after, server, t, shown)) for t in network_types
    ]
    newest = max([shown, *frames])
    response = wait_for(
        lambda: int((r := server.get("/snapshot.jpg")).headers["X-Frame-Index"]) > newest and r
    )
    return cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)


def difference_outside_legend(snapshot: np.ndarray, frame: np.ndarray) -> float:
    """Mean absolute difference, leaving out the legend's corner."""
    difference = np.abs(snapshot.astype(float) - frame)
    difference[:LEGEND_ROWS, -LEGEND_COLUMNS:] = 0
    return float(difference.mean())


def test_segmentation_and_background_through_the_pipeline(astronaut_server):
    server = astronaut_server
    segmentation = wait_for(lambda: server.get("/segmentation/results").json())
    assert set(segmentation) == {"frame", "timestamp", "classes"}
    assert PERSON in {c["label"] for c in segmentation["classes"]}
    background = wait_for(lambda: server.get("/background/results").json())
    assert set(background) == {"frame", "timestamp", "foreground_fraction"}
    assert 0.3 < background["foreground_fraction"] < 0.85

    assert server.get("/background/mode").json() == "blur"
    answer = put(server, "/background/mode", '"colour"')
    assert answer.status_code == 200 and answer.json() == "colour"
    assert server.get("/background/mode").json() == "colour"
    refused = put(server, "/background/mode", '"sepia"')
    assert refused.status_code == 400 and "blur, colour, image" in refused.json()["error"]

    frame = picture("astronaut.jpg")
    assert difference_outside_legend(fresh_snapshot(server, "background"), frame) > 20
    assert put(server, "/segmentation/overlay_alpha", "0").status_code == 200
    assert put(server, "/background/enabled", "false").status_code == 200
    assert difference_outside_legend(fresh_snapshot(server, "segmentation"), frame) < 3, (
        "only JPEG noise"
    )
