"""Image classification: top classes with confidences, smoothed over frames, drawn as text."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from draw import draw_label
from model import Model, setting
from results import ClassScore

TOP_K = 5
DRAWN = 3


class Classifier(Protocol):
    """A backend: one score per label for a BGR frame."""

    labels: list[str]

    def classify(self, image: np.ndarray) -> np.ndarray: ...


@dataclass
class ClassificationSettings:
    confidence_threshold: float = setting(0.05, 0.0, 1.0, 0.01, "classes scoring less are not "
                                          "reported")
    output_smoothing: float = setting(0.0, 0.0, 1.0, 0.01, "weight of past frames in an "
                                      "exponential moving average of the scores; 0: none")


class ClassificationModel(Model):
    type = "classification"
    Settings = ClassificationSettings

    def __init__(self, name: str, classifier: Classifier) -> None:
        super().__init__(name)
        self.classifier = classifier
        self._smoothed: np.ndarray | None = None

    def process(self, image: np.ndarray) -> dict[str, Any]:
        scores = np.asarray(self.classifier.classify(image), dtype=np.float32)
        weight = self.settings.output_smoothing
        if weight > 0 and self._smoothed is not None and self._smoothed.shape == scores.shape:
            scores = weight * self._smoothed + (1 - weight) * scores
        self._smoothed = scores
        top = np.argsort(scores)[::-1][:TOP_K]
        labels = self.classifier.labels
        classes = [ClassScore(int(i), labels[i] if i < len(labels) else f"class {i}",
                              float(scores[i]))
                   for i in top if scores[i] >= self.settings.confidence_threshold]
        return {"classes": [c.to_json() for c in classes]}

    def draw(self, image: np.ndarray, result: dict[str, Any]) -> None:
        y = 30
        for score in result["classes"][:DRAWN]:
            text = f"{score['confidence'] * 100:5.1f}% {score['label']}"
            y += draw_label(image, text, (10, y), background=(60, 60, 60), scale=0.7)
