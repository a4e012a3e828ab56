"""Plain-data results of the networks, as /results serves them (see README, "Results")."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Detection:
    """One object: pixel box in the frame (left, top, right, bottom), class and confidence."""

    class_id: int
    label: str
    confidence: float
    box: tuple[float, float, float, float]
    track_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "class_id": self.class_id,
                "confidence": round(float(self.confidence), 4),
                "box": [round(float(v), 1) for v in self.box], "track_id": self.track_id}


@dataclass
class ClassScore:
    """One class of a classification, with its confidence."""

    id: int
    label: str
    confidence: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "confidence": round(float(self.confidence), 4)}


@dataclass
class FrameResult:
    """What one network found in one frame: `data` is the per-type payload. Keys starting
    with "_" are for drawing only (a mask, say) and are left out of the JSON."""

    frame: int
    timestamp: float
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        public = {key: value for key, value in self.data.items() if not key.startswith("_")}
        return {"frame": self.frame, "timestamp": self.timestamp, **public}


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two (left, top, right, bottom) boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    overlap = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap
    return overlap / union if union > 0 else 0.0
