"""Detections matched to true boxes, for the bench scripts (IoU: tracker.box_iou)."""

from __future__ import annotations

from collections.abc import Sequence

from results import Detection
from tracker import box_iou

Box = tuple[float, float, float, float]  # left, top, right, bottom


def matched(detections: Sequence[Detection], truth: Sequence[Box], threshold: float = 0.5) -> int:
    """How many detections, most confident first, each take a true box not yet taken with an
    IoU of at least `threshold` (the others are false positives)."""
    free = list(truth)
    hits = 0
    for detection in sorted(detections, key=lambda d: -d.confidence):
        overlaps = [box_iou(detection.box, box) for box in free]
        if overlaps and max(overlaps) >= threshold:
            free.pop(overlaps.index(max(overlaps)))
            hits += 1
    return hits
