"""Pre- and post-processing of ONNX object detectors, in numpy and OpenCV only.

Nothing here loads a model: the decoders take the output arrays of a session, so they can be
tested on crafted tensors. Boxes are (left, top, right, bottom) in network-input pixels until
`to_detections` maps them to the frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from results import Detection, class_label

NANODET_MEAN = np.array([103.53, 116.28, 123.675], dtype=np.float32)
NANODET_STD = np.array([57.375, 57.12, 58.395], dtype=np.float32)

Decoded = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(boxes [M,4] float32 l,t,r,b; scores [M] float32; class_ids [M] int64)."""

NANODET_STRIDES = (8, 16, 32)
NANODET_BINS = 11  # distance bins per box side
# Boxes of different classes that overlap this much are one object with two labels: the less
# confident label goes (bench/detections.py measures it on the test pictures).
SAME_OBJECT_IOU = 0.85


def nanodet_blob(
    frame_bgr: np.ndarray, size: int = 416, keep_ratio: bool = True
) -> tuple[np.ndarray, float, float]:
    """A BGR frame as NanoDet's normalised size x size input.

    With keep_ratio (as NanoDet is trained and evaluated: `keep_ratio: True` in its COCO
    configs), the frame is scaled to fit, its shape kept, in the top left corner of a black
    square; otherwise it is stretched to the square. Returns the [1,3,size,size] float32 blob
    and the factors (x, y) that map input-pixel boxes back to the frame.
    """
    height, width = frame_bgr.shape[:2]
    scale_x, scale_y = width / size, height / size
    if keep_ratio:
        scale_x = scale_y = max(scale_x, scale_y)
        fitted = cv2.resize(
            frame_bgr,
            (min(size, max(1, round(width / scale_x))), min(size, max(1, round(height / scale_y)))),
            interpolation=cv2.INTER_AREA if scale_x > 1 else cv2.INTER_LINEAR,
        )
        frame_bgr = np.zeros((size, size, 3), np.uint8)
        frame_bgr[: fitted.shape[0], : fitted.shape[1]] = fitted
    params = cv2.dnn.Image2BlobParams(
        scalefactor=(*(1 / NANODET_STD).tolist(), 0.0),
        size=(size, size),
        mean=(*NANODET_MEAN.tolist(), 0.0),
        swapRB=False,
        ddepth=cv2.CV_32F,
    )
    return cv2.dnn.blobFromImageWithParams(frame_bgr, params), scale_x, scale_y


def _best_class(
    scores: np.ndarray, score_threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of [N,C] scores whose best score is above the threshold: (row indices, best
    scores float32, their classes int64)."""
    class_ids = scores.argmax(axis=1)
    best = scores[np.arange(len(scores)), class_ids]
    keep = np.flatnonzero(best > score_threshold)
    return keep, best[keep].astype(np.float32), class_ids[keep].astype(np.int64)


def _dfl_distances(logits: np.ndarray, bins: int) -> np.ndarray:
    """[M, 4*bins] side-major bin logits -> [M,4] expected distances in bins (softmax mean)."""
    logits = logits.reshape(len(logits), 4, bins)
    weights = np.exp(logits - logits.max(axis=2, keepdims=True))
    weights /= weights.sum(axis=2, keepdims=True)
    return weights @ np.arange(bins, dtype=np.float32)


def _pair_nanodet_outputs(
    outputs: Sequence[np.ndarray], box_dim: int
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Map N (cells of a level) -> (scores [N,C], box logits [N,box_dim]) by shape, not name."""
    scores = {o.shape[1]: o.reshape(o.shape[1], -1) for o in outputs if o.shape[-1] != box_dim}
    boxes = {o.shape[1]: o.reshape(o.shape[1], -1) for o in outputs if o.shape[-1] == box_dim}
    if scores.keys() != boxes.keys() or len(scores) * 2 != len(outputs):
        raise ValueError(f"cannot pair outputs {[o.shape for o in outputs]} by cell count")
    return {n: (scores[n], boxes[n]) for n in scores}


def decode_nanodet(
    outputs: Sequence[np.ndarray], input_size: int = 416, score_threshold: float = 0.35
) -> Decoded:
    """Decode NanoDet's per-stride outputs, in any order.

    Per stride s in NANODET_STRIDES (grid g = input_size // s, N = g*g cells) the model gives
    scores [1,N,C] (already sigmoid) and box logits [1,N,4*NANODET_BINS] (left, top, right,
    bottom, each NANODET_BINS logits). The expected bin of each side's softmax, times s, is
    the distance from the cell's centre ((k % g + 0.5) * s, (k // g + 0.5) * s), as NanoDet's
    GFL head has it (measured from the corner, boxes of objects pasted at known places come
    out shifted up-left by half a stride). Keeps per cell the best class if its score is
    above the threshold; no NMS.
    """
    levels = _pair_nanodet_outputs(outputs, box_dim=4 * NANODET_BINS)
    found = []
    for stride in NANODET_STRIDES:
        grid = input_size // stride
        scores, logits = levels[grid * grid]
        cells, best, class_ids = _best_class(scores, score_threshold)
        point = (np.stack([cells % grid, cells // grid], axis=1) + 0.5) * stride
        distance = _dfl_distances(logits[cells].astype(np.float32), NANODET_BINS) * stride
        boxes = np.concatenate([point - distance[:, :2], point + distance[:, 2:]], axis=1)
        boxes = boxes.astype(np.float32)
        found.append((boxes, best, class_ids))
    boxes, scores, class_ids = (np.concatenate(parts) for parts in zip(*found))
    return boxes, scores, class_ids


def decode_ssd(
    boxes: np.ndarray,
    scores: np.ndarray,
    width: float = 1.0,
    height: float = 1.0,
    score_threshold: float = 0.35,
) -> Decoded:
    """Decode a pytorch-ssd pair: boxes [1,N,4] as (x1, y1, x2, y2) normalised to 0..1, and
    scores [1,N,C] whose column 0 is the background class. That column is dropped, so class
    ids count from the first real class. Boxes come back scaled by width and height (pass the
    input size to use scale factors, or the frame size with factors 1).
    """
    boxes = boxes.reshape(-1, 4).astype(np.float32)
    scores = scores.reshape(len(boxes), -1)[:, 1:]
    keep, best, class_ids = _best_class(scores, score_threshold)
    return boxes[keep] * np.array([width, height, width, height], np.float32), best, class_ids


def decode_yolo(output: np.ndarray, score_threshold: float = 0.35) -> Decoded:
    """Decode a YOLO head: boxes as (cx, cy, w, h) in input pixels.

    v5 layout: [1,N,5+C] rows of (cx, cy, w, h, objectness, C class scores); the score is
    objectness x class score. v8 layout: [1,4+C,N] (transposed, no objectness).
    It is v8 when the middle dimension is the smaller one (e.g. [1,84,8400] vs [1,25200,85]).
    """
    rows = output.reshape(output.shape[-2], output.shape[-1])
    if rows.shape[0] < rows.shape[1]:  # v8
        rows = rows.T
        scores = rows[:, 4:]
    else:
        scores = rows[:, 5:] * rows[:, 4:5]
    keep, best, class_ids = _best_class(scores, score_threshold)
    centre, size = rows[keep, 0:2], rows[keep, 2:4]
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1).astype(np.float32)
    return boxes, best, class_ids


def nms(
    boxes: np.ndarray,
    scores: np.ndarray,
    class_ids: np.ndarray,
    iou_threshold: float = 0.5,
    score_threshold: float = 0.35,
    same_object_iou: float | None = SAME_OBJECT_IOU,
) -> np.ndarray:
    """Non-maximum suppression within each class (OpenCV's NMSBoxesBatched), then across
    classes at a high overlap: one object, one label.

    Boxes are [M,4] (l,t,r,b); returns the indices kept, best score first. A box is dropped
    when its IoU with a better box of its class is above iou_threshold, or with a better box
    of any class above same_object_iou (or iou_threshold, if that is higher; None: never).
    """
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    xywh = np.asarray(boxes, np.float64).copy()
    xywh[:, 2:] -= xywh[:, :2]
    confidences = np.asarray(scores, np.float32)
    kept = np.asarray(
        cv2.dnn.NMSBoxesBatched(
            xywh.tolist(),
            confidences.tolist(),
            np.asarray(class_ids).astype(int).tolist(),
            score_threshold,
            iou_threshold,
        ),
        np.int64,
    ).reshape(-1)
    if same_object_iou is None or len(kept) < 2:
        return kept
    across = cv2.dnn.NMSBoxes(
        xywh[kept].tolist(),
        confidences[kept].tolist(),
        score_threshold,
        max(same_object_iou, iou_threshold),
    )
    return kept[np.asarray(across, np.int64).reshape(-1)]


def to_detections(
    boxes: np.ndarray,
    scores: np.ndarray,
    class_ids: np.ndarray,
    labels: Sequence[str],
    scale_x: float,
    scale_y: float,
    frame_width: int,
    frame_height: int,
) -> list[Detection]:
    """Detections in frame pixels: boxes times (scale_x, scale_y), clipped to the frame.

    A class id without a label is named "class N".
    """
    scaled = np.asarray(boxes, np.float64) * np.array([scale_x, scale_y, scale_x, scale_y])
    scaled[:, 0::2] = scaled[:, 0::2].clip(0, frame_width)
    scaled[:, 1::2] = scaled[:, 1::2].clip(0, frame_height)
    return [
        Detection(
            class_id=int(c),
            label=class_label(labels, int(c)),
            confidence=float(s),
            box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
        )
        for box, s, c in zip(scaled, scores, class_ids)
    ]
