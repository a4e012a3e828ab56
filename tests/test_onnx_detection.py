"""Decoding of ONNX detector outputs: crafted tensors for the decoders and NMS, then the
shipped NanoDet model end to end on real photos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from backends.onnx import SsdDetector
from backends.onnx_detection import (
    decode_nanodet,
    decode_ssd,
    decode_yolo,
    nanodet_blob,
    nms,
    to_detections,
)
from results import Detection
from tracker import box_iou

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "data" / "networks" / "nanodet-coco-416.onnx"
LABELS = (ROOT / "data" / "networks" / "coco80.txt").read_text().splitlines()
BINS = 11


def nanodet_outputs(low_score: float = 0.01) -> dict[int, list[np.ndarray]]:
    """Zero box logits and low scores for strides 8, 16 and 32, keyed by stride."""
    return {
        stride: [
            np.full((1, (416 // stride) ** 2, 80), low_score, np.float32),
            np.zeros((1, (416 // stride) ** 2, 4 * BINS), np.float32),
        ]
        for stride in (8, 16, 32)
    }


def in_model_order(outputs: dict[int, list[np.ndarray]]) -> list[np.ndarray]:
    """The six tensors in the real model's output order (stride 32 scores first)."""
    return [
        outputs[32][0],
        outputs[32][1],
        outputs[16][0],
        outputs[8][0],
        outputs[16][1],
        outputs[8][1],
    ]


def peak(logits: np.ndarray, side: int, bins: tuple[int, ...], value: float = 50.0) -> None:
    """Make side (0..3 = left, top, right, bottom) of a cell's logits peak at these bins."""
    logits[side * BINS : (side + 1) * BINS] = 0.0
    logits[[side * BINS + b for b in bins]] = value


def one_object(cell: int, sides: list[tuple[int, ...]]) -> list[np.ndarray]:
    """Class 17 at 0.9 (and class 3 at 0.5) in one stride-16 cell, its sides peaked at bins."""
    outputs = nanodet_outputs()
    scores, logits = outputs[16][0][0], outputs[16][1][0]
    scores[cell, 17], scores[cell, 3] = 0.9, 0.5
    for side, bins in enumerate(sides):
        peak(logits[cell], side, bins)
    return in_model_order(outputs)


def test_nanodet_box_from_peaked_bins() -> None:
    column, row = 7, 10
    outputs = one_object(row * 26 + column, [(3,), (2,), (5,), (4,)])
    boxes, scores, class_ids = decode_nanodet(outputs)
    centre_x, centre_y = (column + 0.5) * 16, (row + 0.5) * 16
    expected = [centre_x - 3 * 16, centre_y - 2 * 16, centre_x + 5 * 16, centre_y + 4 * 16]
    assert boxes.shape == (1, 4)
    np.testing.assert_allclose(boxes[0], expected, atol=1e-3)
    np.testing.assert_allclose(scores, [0.9], atol=1e-6)
    assert class_ids.tolist() == [17]


def test_nanodet_two_equal_bins_give_the_midpoint() -> None:
    column, row = 20, 3
    boxes, _, _ = decode_nanodet(one_object(row * 26 + column, [(2, 3), (0,), (10,), (9, 10)]))
    centre_x, centre_y = (column + 0.5) * 16, (row + 0.5) * 16
    expected = [centre_x - 2.5 * 16, centre_y, centre_x + 10 * 16, centre_y + 9.5 * 16]
    np.testing.assert_allclose(boxes[0], expected, atol=1e-3)


def test_nanodet_nothing_above_threshold_is_empty() -> None:
    boxes, scores, class_ids = decode_nanodet(
        in_model_order(nanodet_outputs(0.3)), score_threshold=0.35
    )
    assert boxes.shape == (0, 4) and scores.shape == (0,) and class_ids.shape == (0,)


def test_nanodet_unpairable_outputs_are_refused() -> None:
    with pytest.raises(ValueError):
        decode_nanodet(in_model_order(nanodet_outputs())[:-1])


OVERLAPPING = np.array([[0, 0, 100, 100], [10, 0, 110, 100]], np.float32)  # IoU 0.818


def test_nms_keeps_the_best_of_one_class() -> None:
    kept = nms(OVERLAPPING, np.array([0.8, 0.9]), np.array([2, 2]), iou_threshold=0.5)
    assert kept.tolist() == [1]


def test_nms_keeps_overlapping_boxes_of_different_classes() -> None:
    kept = nms(OVERLAPPING, np.array([0.8, 0.9]), np.array([2, 5]), iou_threshold=0.5)
    assert sorted(kept.tolist()) == [0, 1]


SAME_OBJECT = np.array([[0, 0, 100, 100], [0, 0, 100, 90]], np.float32)  # IoU 0.9


def test_nms_gives_one_object_one_label_the_more_confident() -> None:
    scores, cat_and_person = np.array([0.46, 0.6]), np.array([15, 0])
    assert nms(SAME_OBJECT, scores, cat_and_person, iou_threshold=0.5).tolist() == [1]
    within_classes = nms(SAME_OBJECT, scores, cat_and_person, 0.5, same_object_iou=None)
    assert sorted(within_classes.tolist()) == [0, 1]


def test_merging_across_classes_is_never_stricter_than_within_one() -> None:
    """A clustering threshold above SAME_OBJECT_IOU keeps boxes that overlap less than it,
    of any class; at 1.0 nothing is merged."""
    scores = np.array([0.46, 0.6])
    assert sorted(nms(SAME_OBJECT, scores, np.array([15, 0]), iou_threshold=0.95)) == [0, 1]
    assert sorted(nms(SAME_OBJECT, scores, np.array([0, 0]), iou_threshold=1.0)) == [0, 1]


def test_nms_respects_the_iou_threshold_and_score_threshold() -> None:
    scores, class_ids = np.array([0.8, 0.9]), np.array([2, 2])
    assert sorted(nms(OVERLAPPING, scores, class_ids, iou_threshold=0.85).tolist()) == [0, 1]
    assert nms(OVERLAPPING, scores, class_ids, iou_threshold=0.8).tolist() == [1]
    assert nms(OVERLAPPING, scores, class_ids, 0.85, score_threshold=0.85).tolist() == [1]
    assert nms(np.zeros((0, 4)), np.zeros(0), np.zeros(0)).shape == (0,)


def test_ssd_xyxy_with_background_column() -> None:
    boxes = np.array([[[0.1, 0.2, 0.5, 0.6], [0.0, 0.0, 1.0, 1.0]]], np.float32)
    scores = np.array([[[0.1, 0.05, 0.8, 0.1], [0.9, 0.1, 0.1, 0.1]]], np.float32)
    out_boxes, out_scores, class_ids = decode_ssd(boxes, scores, width=200, height=100)
    np.testing.assert_allclose(out_boxes, [[20, 20, 100, 60]], atol=1e-4)
    np.testing.assert_allclose(out_scores, [0.8])
    assert class_ids.tolist() == [1]


def test_ssd_outputs_are_told_apart_by_name_then_by_shape() -> None:
    detector = SsdDetector.__new__(SsdDetector)  # the output names are all this step reads
    boxes, four_scores, five_scores = np.zeros((1, 9, 4)), np.zeros((1, 9, 4)), np.zeros((1, 9, 5))
    detector._output_names = ["scores", "boxes"]
    found_boxes, found_scores = detector._boxes_and_scores([four_scores, boxes])
    assert found_boxes is boxes and found_scores is four_scores
    detector._output_names = ["out0", "out1"]
    found_boxes, found_scores = detector._boxes_and_scores([five_scores, boxes])
    assert found_boxes is boxes and found_scores is five_scores
    with pytest.raises(ValueError, match="name them 'boxes' and 'scores'"):
        detector._boxes_and_scores([four_scores, boxes])  # four classes: which is which?


def test_yolo_v5_layout_multiplies_objectness() -> None:
    output = np.zeros((1, 10, 5 + 3), np.float32)
    output[0, 3] = [100, 50, 40, 20, 0.9, 0.1, 0.8, 0.1]
    output[0, 4] = [300, 300, 10, 10, 0.2, 0.9, 0.1, 0.1]
    boxes, scores, class_ids = decode_yolo(output)
    np.testing.assert_allclose(boxes, [[80, 40, 120, 60]])
    np.testing.assert_allclose(scores, [0.72], atol=1e-6)
    assert class_ids.tolist() == [1]


def test_yolo_v8_transposed_layout() -> None:
    rows = np.zeros((10, 4 + 3), np.float32)
    rows[:, :4] = [50, 50, 10, 10]
    rows[6] = [200, 120, 60, 80, 0.1, 0.2, 0.95]
    boxes, scores, class_ids = decode_yolo(rows.T[np.newaxis])
    np.testing.assert_allclose(boxes, [[170, 80, 230, 160]])
    np.testing.assert_allclose(scores, [0.95], atol=1e-6)
    assert class_ids.tolist() == [2]


def test_to_detections_scales_clips_and_labels() -> None:
    boxes = np.array([[-10, 10, 100, 500], [10, 20, 30, 40]], np.float32)
    detections = to_detections(
        boxes,
        np.array([0.9, 0.4]),
        np.array([15, 99]),
        LABELS,
        scale_x=2.0,
        scale_y=0.5,
        frame_width=150,
        frame_height=200,
    )
    # the scores are float32: their confidences approximately, all else exactly
    assert [d.confidence for d in detections] == pytest.approx([0.9, 0.4])
    assert [(d.class_id, d.label, d.box, d.track_id) for d in detections] == [
        (15, "cat", (0.0, 5.0, 150.0, 200.0), None),
        (99, "class 99", (20.0, 10.0, 60.0, 20.0), None),
    ]


def test_labels_are_the_80_coco_classes() -> None:
    assert len(LABELS) == 80
    assert (LABELS[0], LABELS[15], LABELS[16], LABELS[79]) == ("person", "cat", "dog", "toothbrush")


def normalised(bgr: tuple[int, int, int]) -> list[float]:
    return [(bgr[0] - 103.53) / 57.375, (bgr[1] - 116.28) / 57.12, (bgr[2] - 123.675) / 58.395]


def test_blob_is_normalised_bgr_with_the_frame_shape_kept_top_left() -> None:
    frame = np.zeros((300, 451, 3), np.uint8)
    frame[:] = (161, 116, 124)
    blob, scale_x, scale_y = nanodet_blob(frame)
    assert blob.shape == (1, 3, 416, 416) and blob.dtype == np.float32
    assert scale_x == scale_y == 451 / 416
    rows = round(300 / scale_y)  # 277: the frame's height in the input
    np.testing.assert_allclose(blob[0, :, rows - 1, 415], normalised((161, 116, 124)), atol=1e-4)
    np.testing.assert_allclose(blob[0, :, rows, 0], normalised((0, 0, 0)), atol=1e-4)


def test_blob_stretched_when_the_shape_is_not_kept() -> None:
    frame = np.full((300, 451, 3), (161, 116, 124), np.uint8)
    blob, scale_x, scale_y = nanodet_blob(frame, keep_ratio=False)
    np.testing.assert_allclose(blob[0, :, 415, 415], normalised((161, 116, 124)), atol=1e-4)
    assert (scale_x, scale_y) == (451 / 416, 300 / 416)


# End to end on the shipped model (the Model class that wraps this comes later).


@pytest.fixture(scope="module")
def session():
    import onnxruntime  # here, so that the decoding tests above run without it

    return onnxruntime.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])


def detect(session, frame: np.ndarray, score_threshold: float = 0.35) -> list[Detection]:
    """NanoDet on one BGR frame: blob, inference, decode, NMS, frame-pixel detections."""
    blob, scale_x, scale_y = nanodet_blob(frame)
    outputs = session.run(None, {session.get_inputs()[0].name: blob})
    boxes, scores, class_ids = decode_nanodet(outputs, score_threshold=score_threshold)
    kept = nms(boxes, scores, class_ids, iou_threshold=0.5, score_threshold=score_threshold)
    height, width = frame.shape[:2]
    return to_detections(
        boxes[kept], scores[kept], class_ids[kept], LABELS, scale_x, scale_y, width, height
    )


def centre_in_middle_half(box: tuple[float, ...], width: int, height: int) -> bool:
    centre_x, centre_y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return width / 4 < centre_x < width * 3 / 4 and height / 4 < centre_y < height * 3 / 4


@pytest.mark.parametrize("image, label", [("chelsea.jpg", "cat"), ("astronaut.jpg", "person")])
def test_nanodet_finds_the_subject(session, image: str, label: str) -> None:
    frame = cv2.imread(str(ROOT / "tests" / "data" / image))
    height, width = frame.shape[:2]
    found = [d for d in detect(session, frame) if d.label == label]
    assert found, detect(session, frame, score_threshold=0.2)
    best = max(found, key=lambda d: d.confidence)
    left, top, right, bottom = best.box
    assert 0 <= left < right <= width and 0 <= top < bottom <= height
    assert centre_in_middle_half(best.box, width, height)
    assert (right - left) * (bottom - top) > 0.3 * width * height


def test_a_cat_photograph_is_one_cat_and_no_person(session) -> None:
    """Stretched to NanoDet's square, the whole cat photo was a "person 0.60" box above a
    "cat 0.46" box on the same pixels; with its shape kept and one label per object, a cat."""
    frame = cv2.imread(str(ROOT / "tests" / "data" / "chelsea.jpg"))
    assert [d.label for d in detect(session, frame, score_threshold=0.4)] == ["cat"]


def test_boxes_map_back_to_a_wide_frame(session) -> None:
    """The cat pasted into a 16:9 frame: its box is found where it was put."""
    frame = np.full((360, 640, 3), 90, np.uint8)
    frame[60:330, 300:606] = cv2.resize(
        cv2.imread(str(ROOT / "tests" / "data" / "chelsea.jpg")), (306, 270)
    )
    cats = [d for d in detect(session, frame) if d.label == "cat"]
    assert cats and box_iou(max(cats, key=lambda d: d.confidence).box, (300, 60, 606, 330)) > 0.7
