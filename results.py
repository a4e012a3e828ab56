"""Typed results of the networks, one class per network type.

Each result knows the frame it came from (`frame`, `timestamp`) and turns itself into the
documented JSON with `to_json()` (README, "Results"; docs/results.schema.json). Data that is
only for drawing, such as a mask, is a field of the result but never part of its JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def class_label(labels: Sequence[str], class_id: int) -> str:
    """The label of a class, or "class N" for a class the labels do not name."""
    return (
        labels[class_id]
        if 0 <= class_id < len(labels) and labels[class_id]
        else (f"class {class_id}")
    )


@dataclass(frozen=True)
class Result:
    """What one network found in one frame."""

    frame: int  # the capture index of the frame it came from
    timestamp: float  # that frame's capture time, Unix seconds

    def to_json(self) -> dict[str, Any]:
        return {"frame": self.frame, "timestamp": self.timestamp, **self.payload()}

    def payload(self) -> dict[str, Any]:
        """The type's own fields, as JSON."""
        raise NotImplementedError


@dataclass(frozen=True)
class ClassScore:
    """One class of a classification, with its confidence."""

    id: int
    label: str
    confidence: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "confidence": round(float(self.confidence), 4)}


@dataclass(frozen=True)
class ClassificationResult(Result):
    classes: tuple[ClassScore, ...]  # best first

    def payload(self) -> dict[str, Any]:
        return {"classes": [c.to_json() for c in self.classes]}


@dataclass(frozen=True)
class Detection:
    """One object: pixel box in the frame (left, top, right, bottom), class and confidence."""

    class_id: int
    label: str
    confidence: float
    box: tuple[float, float, float, float]
    track_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "class_id": self.class_id,
            "confidence": round(float(self.confidence), 4),
            "box": [round(float(v), 1) for v in self.box],
            "track_id": self.track_id,
        }


@dataclass(frozen=True)
class DetectionResult(Result):
    detections: tuple[Detection, ...]

    def payload(self) -> dict[str, Any]:
        return {"detections": [d.to_json() for d in self.detections]}


@dataclass(frozen=True)
class ClassShare:
    """One class present in a segmentation, and the fraction of the frame it covers."""

    class_id: int
    label: str
    fraction: float

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "class_id": self.class_id,
            "fraction": round(float(self.fraction), 4),
        }


@dataclass(frozen=True)
class SegmentationResult(Result):
    classes: tuple[ClassShare, ...]  # largest first
    mask: np.ndarray = field(repr=False, compare=False)  # uint8 class id per pixel

    def payload(self) -> dict[str, Any]:
        return {"classes": [c.to_json() for c in self.classes]}


@dataclass(frozen=True)
class Keypoint:
    """One named point of a pose, in frame pixels."""

    id: int
    name: str
    x: float
    y: float
    confidence: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "x": round(float(self.x), 1),
            "y": round(float(self.y), 1),
            "confidence": round(float(self.confidence), 4),
        }


@dataclass(frozen=True)
class Pose:
    """One person (or hand): its keypoints and the links between them, as keypoint ids."""

    keypoints: tuple[Keypoint, ...]
    links: tuple[tuple[int, int], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "keypoints": [k.to_json() for k in self.keypoints],
            "links": [[a, b] for a, b in self.links],
        }


@dataclass(frozen=True)
class PoseResult(Result):
    poses: tuple[Pose, ...]

    def payload(self) -> dict[str, Any]:
        return {"poses": [p.to_json() for p in self.poses]}


@dataclass(frozen=True)
class ActionResult(Result):
    label: str | None  # None when no action is sure enough
    confidence: float
    scores: dict[str, float]  # every action's confidence

    def payload(self) -> dict[str, Any]:
        return {"label": self.label, "confidence": self.confidence, "scores": dict(self.scores)}


@dataclass(frozen=True)
class BackgroundResult(Result):
    foreground_fraction: float
    mask: np.ndarray = field(repr=False, compare=False)  # float32 0-1 foreground weight

    def payload(self) -> dict[str, Any]:
        return {"foreground_fraction": round(float(self.foreground_fraction), 4)}
