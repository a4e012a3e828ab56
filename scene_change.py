"""How a frame differs from the one before: not at all, by motion in one scene, or by a cut.

Networks that carry state from frame to frame (MediaPipe's pose tracking, the action rules'
history) use it to start fresh when a slideshow moves to another picture, and to take an
unchanging frame for what it is. The comparison is on 32x24 grey thumbnails (about 0.1 ms):

- the same picture: no thumbnail pixel differs by more than SAME_LEVEL grey levels;
- a cut: the thumbnails are poorly correlated (below CUT_CORRELATION) and differ by at least
  CUT_LEVEL on average, so neither a change of exposure (correlation stays near 1) nor the
  noise of a dark, empty scene (small differences) counts as one;
- otherwise the scene moved.

bench/scene_cuts.py measures the figures the thresholds sit between: cuts between the test
pictures, camera noise and JPEG on an unchanging picture, exposure changes, people moving.
"""

from __future__ import annotations

import enum

import cv2
import numpy as np

from images import host_view

THUMBNAIL = (32, 24)
SAME_LEVEL = 3.0
CUT_CORRELATION = 0.7
CUT_LEVEL = 8.0


class Change(enum.Enum):
    FIRST = "first"  # no frame before it: nothing to forget, nothing to hold
    SAME = "same"
    MOVED = "moved"
    CUT = "cut"


def thumbnail(image: np.ndarray) -> np.ndarray:
    """The 32x24 grey thumbnail of a BGR (or grey) frame, float32."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return cv2.resize(grey, THUMBNAIL, interpolation=cv2.INTER_AREA).astype(np.float32)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two thumbnails; 0 when either is flat."""
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / norm if norm > 1e-6 else 0.0


def compare(previous: np.ndarray, current: np.ndarray) -> Change:
    """How the thumbnail `current` differs from `previous`."""
    difference = np.abs(current - previous)
    if float(difference.max()) <= SAME_LEVEL:
        return Change.SAME
    if correlation(previous, current) < CUT_CORRELATION and float(difference.mean()) >= CUT_LEVEL:
        return Change.CUT
    return Change.MOVED


class SceneWatch:
    """Compares each frame given with the last one that was not the same: motion too slow to
    tell between two frames (a small walker's 1 px) adds up until it shows."""

    def __init__(self) -> None:
        self._reference: np.ndarray | None = None

    def update(self, image: object) -> Change:
        current = thumbnail(host_view(image))
        if self._reference is None:
            self._reference = current
            return Change.FIRST
        change = compare(self._reference, current)
        if change is not Change.SAME:
            self._reference = current
        return change
