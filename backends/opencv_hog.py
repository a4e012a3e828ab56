"""OpenCV's HOG + linear SVM people detector: no weights file, people only."""

from __future__ import annotations

import cv2
import numpy as np

from backends.registry import Backend, register_backend
from catalogue import CatalogueEntry
from results import Detection

BORDER = 32
WINDOW = (64, 128)  # the default people detector's window, width x height
# Dalal and Triggs's windows hold the person with about 16 px of margin on every side: the
# person is the middle 32x96 px, which is the box reported (the whole window's box overlaps a
# person's tight box by IoU 0.375 at best).
WINDOW_MARGIN = (16, 16)
DEFAULT_WIDTH = 1024  # a 640 px wide frame upscaled 1.6 times: people from 60 px tall


@register_backend
class HogPeopleDetector(Backend):
    """People at a working width of input.width pixels: a frame W px wide finds people from
    96 * W / input.width px tall (so 60 px in a 640 px frame at the default 1024); a frame
    narrower than that is upscaled, as the window cannot shrink. Smaller: faster, misses
    small people.

    The SVM's margin is not a probability; it is mapped to 0-1 with a logistic function so that
    the confidence threshold means roughly the same as for the other detectors.
    """

    name = "opencv-hog"
    requires = ("cv2",)
    labels = ["person"]

    def __init__(self, entry: CatalogueEntry) -> None:
        self._width = int(entry.input.get("width", DEFAULT_WIDTH))
        # (0, 0) reports the whole window, as before (bench/people.py compares)
        self.window_margin = WINDOW_MARGIN
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(
            np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), np.float32)
        )

    def detect(
        self, image: np.ndarray, confidence_threshold: float, nms_threshold: float
    ) -> list[Detection]:
        height, width = image.shape[:2]
        scale = self._width / width
        working = cv2.resize(
            image,
            (max(1, round(width * scale)), max(1, round(height * scale))),
            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
        )
        # A grey border lets the 64x128 window fit people cut off by the frame's edges.
        working = cv2.copyMakeBorder(
            working, BORDER, BORDER, BORDER, BORDER, cv2.BORDER_CONSTANT, value=(127, 127, 127)
        )
        if working.shape[1] < WINDOW[0] or working.shape[0] < WINDOW[1]:
            return []  # no window fits; OpenCV 4.11 crashes the process on such images
        boxes, margins = self._hog.detectMultiScale(
            working, winStride=(8, 8), padding=(8, 8), scale=1.05
        )
        if len(boxes) == 0:
            return []
        confidences = 1.0 / (1.0 + np.exp(-np.asarray(margins, np.float32).ravel()))
        keep = cv2.dnn.NMSBoxes(
            [list(map(int, b)) for b in boxes],
            confidences.tolist(),
            confidence_threshold,
            nms_threshold,
        )
        detections = []
        for i in np.asarray(keep, dtype=int).ravel():
            x, y, w, h = boxes[i]
            margin_x = w * self.window_margin[0] / WINDOW[0]
            margin_y = h * self.window_margin[1] / WINDOW[1]
            left = max(0.0, (x + margin_x - BORDER) / scale)
            top = max(0.0, (y + margin_y - BORDER) / scale)
            right = min(float(width), (x + w - margin_x - BORDER) / scale)
            bottom = min(float(height), (y + h - margin_y - BORDER) / scale)
            detections.append(
                Detection(0, "person", float(confidences[i]), (left, top, right, bottom))
            )
        return detections
