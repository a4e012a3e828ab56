"""MediaPipe Tasks for .tflite models that carry metadata (labels inside).

mediapipe is imported when a network is made (see backends/registry.py).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from backends.registry import Backend, register_backend
from catalogue import CatalogueEntry


def _srgb(image_bgr: np.ndarray) -> Any:
    """A BGR frame as a MediaPipe RGB image."""
    import mediapipe as mp

    return mp.Image(
        image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    )


@register_backend
class TaskClassifier(Backend):
    """An ImageClassifier returning one score per label, in label order."""

    name = "mediapipe-classifier"
    requires = ("mediapipe",)

    def __init__(self, entry: CatalogueEntry) -> None:
        from mediapipe.tasks.python import BaseOptions, vision

        options = vision.ImageClassifierOptions(
            base_options=BaseOptions(model_asset_path=str(entry.file("model"))), max_results=-1
        )
        self._classifier = vision.ImageClassifier.create_from_options(options)
        blank = self._categories(np.zeros((32, 32, 3), np.uint8))
        self.labels = [""] * len(blank)
        for category in blank:
            self.labels[category.index] = category.category_name or category.display_name

    def _categories(self, image_bgr: np.ndarray) -> list:
        return self._classifier.classify(_srgb(image_bgr)).classifications[0].categories

    def classify(self, image: np.ndarray) -> np.ndarray:
        scores = np.zeros(len(self.labels), np.float32)
        for category in self._categories(image):
            scores[category.index] = category.score
        return scores


@register_backend
class TaskSegmenter(Backend):
    """An ImageSegmenter returning a class id per pixel, at the frame's size."""

    name = "mediapipe-segmenter"
    requires = ("mediapipe",)

    def __init__(self, entry: CatalogueEntry) -> None:
        from mediapipe.tasks.python import BaseOptions, vision

        options = vision.ImageSegmenterOptions(
            base_options=BaseOptions(model_asset_path=str(entry.file("model"))),
            output_confidence_masks=False,
            output_category_mask=True,
        )
        self._segmenter = vision.ImageSegmenter.create_from_options(options)
        # mediapipe 0.10.21's ImageSegmenter has a `labels` property, read from the TFLite
        # metadata (deeplabv3.tflite's labelmap.txt: the 21 VOC classes, background first).
        self.labels: list[str] = list(self._segmenter.labels)

    def segment(self, image_bgr: np.ndarray) -> np.ndarray:
        """uint8 class ids, HxW of the frame."""
        result = self._segmenter.segment(_srgb(image_bgr))
        # a copy: the view is only valid while `result` lives
        classes: np.ndarray = np.array(result.category_mask.numpy_view(), np.uint8)
        height, width = image_bgr.shape[:2]
        if classes.shape != (height, width):
            classes = cv2.resize(classes, (width, height), interpolation=cv2.INTER_NEAREST)
        return classes
