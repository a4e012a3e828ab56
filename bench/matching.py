"""Boxes against boxes, for the bench scripts: IoU, and detections matched to true boxes."""

from __future__ import annotations

from collections.abc import Sequence

from results import Detection

Box = tuple[float, float, float, float]  # left, top, right, bottom


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes; 0 when they do not touch."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def matched(detections: Sequence[Detection], truth: Sequence[Box], threshold: float = 0.5) -> int:
    """How many detections, most confident first, each take a true box not yet taken with an
    IoU of at least `threshold` (the others are false positives)."""
    free = list(truth)
    hits = 0
    for detection in sorted(detections, key=lambda d: -d.confidence):
        overlaps = [iou(detection.box, box) for box in free]
        if overlaps and max(overlaps) >= threshold:
            free.pop(overlaps.index(max(overlaps)))
            hits += 1
    return hits
