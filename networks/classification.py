"""Image classification: top classes with confidences, smoothed over frames, drawn as text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from draw import Overlay
from frame import Frame
from model import NO_INPUTS, Inputs, Model, configure, setting
from results import ClassificationResult, ClassScore, class_label

TOP_K = 5
DRAWN = 3
TEXT_SCALE = 1.2  # times the frame's text scale


class Classifier(Protocol):
    """A backend: one score per label for a BGR frame. Optional: `configure(settings)`, called
    with the frame's settings before classify() (model.configure), and a class attribute
    `smooths = True` if it applies output_smoothing itself (then the model does not)."""

    labels: list[str]

    def classify(self, image: np.ndarray) -> np.ndarray: ...


@dataclass
class ClassificationSettings:
    confidence_threshold: float = setting(
        0.15, 0.0, 1.0, 0.01, "classes scoring less are not reported", label="Min confidence"
    )
    output_smoothing: float = setting(
        0.0,
        0.0,
        1.0,
        0.01,
        "weight of past frames in an exponential moving average of the scores; 0: none",
        label="Smoothing (0 = none)",
    )


class ClassificationModel(Model[ClassificationResult]):
    type = "classification"
    Settings = ClassificationSettings

    def __init__(self, name: str, classifier: Classifier) -> None:
        super().__init__(name)
        self.classifier = classifier
        self._smoothed: np.ndarray | None = None

    def process(self, frame: Frame, inputs: Inputs = NO_INPUTS) -> ClassificationResult:
        configure(self.classifier, self.settings)
        scores = np.asarray(self.classifier.classify(frame.image), dtype=np.float32)
        weight = (
            0.0 if getattr(self.classifier, "smooths", False) else self.settings.output_smoothing
        )
        if weight > 0 and self._smoothed is not None and self._smoothed.shape == scores.shape:
            scores = weight * self._smoothed + (1 - weight) * scores
        self._smoothed = scores
        top = np.argsort(scores)[::-1][:TOP_K]
        classes = tuple(
            ClassScore(int(i), class_label(self.classifier.labels, int(i)), float(scores[i]))
            for i in top
            if scores[i] >= self.settings.confidence_threshold
        )
        return ClassificationResult(frame.index, frame.timestamp, classes)

    def draw_overlay(self, overlay: Overlay, result: ClassificationResult) -> None:
        """The best classes, one a line, in the top-left corner."""
        lines = [f"{score.confidence * 100:5.1f}% {score.label}" for score in result.classes]
        if lines:
            panel = overlay.panel(lines[:DRAWN], (60, 60, 60), scale=TEXT_SCALE)
            overlay.place_in_corner(panel, "top-left")
