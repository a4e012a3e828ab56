"""OpenCV's HOG + linear SVM people detector: no weights file, light, people only."""

from __future__ import annotations

import cv2
import numpy as np

from backends.registry import Backend, register_backend
from catalogue import CatalogueEntry
from results import Detection

BORDER = 32
WINDOW = (64, 128)  # the default people detector's window, width x height


@register_backend
class HogPeopleDetector(Backend):
    """People at a working width of input.width pixels (smaller: faster, misses small people).

    The SVM's margin is not a probability; it is mapped to 0-1 with a logistic function so that
    the confidence threshold means roughly the same as for the other detectors.
    """

    name = "opencv-hog"
    requires = ("cv2",)
    labels = ["person"]

    def __init__(self, entry: CatalogueEntry) -> None:
        self._width = int(entry.input.get("width", 320))
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(
            np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), np.float32)
        )

    def detect(
        self, image: np.ndarray, confidence_threshold: float, nms_threshold: float
    ) -> list[Detection]:
        height, width = image.shape[:2]
        scale = min(1.0, self._width / width)
        small = cv2.resize(
            image,
            (max(1, round(width * scale)), max(1, round(height * scale))),
            interpolation=cv2.INTER_AREA,
        )
        # A grey border lets the 64x128 window fit people cut off by the frame's edges.
        small = cv2.copyMakeBorder(
            small, BORDER, BORDER, BORDER, BORDER, cv2.BORDER_CONSTANT, value=(127, 127, 127)
        )
        if small.shape[1] < WINDOW[0] or small.shape[0] < WINDOW[1]:
            return []  # no window fits; OpenCV 4.11 crashes the process on such images
        boxes, margins = self._hog.detectMultiScale(
            small, winStride=(8, 8), padding=(8, 8), scale=1.05
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
            left, top = max(0.0, (x - BORDER) / scale), max(0.0, (y - BORDER) / scale)
            right = min(float(width), (x + w - BORDER) / scale)
            bottom = min(float(height), (y + h - BORDER) / scale)
            detections.append(
                Detection(0, "person", float(confidences[i]), (left, top, right, bottom))
            )
        return detections
