"""Object detection: boxes with labels and confidences, NMS, a tracker, drawn boxes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

import cv2
import numpy as np

from draw import Overlay, blend_box, class_colour
from frame import Frame
from model import NO_INPUTS, Inputs, Model, configure, setting
from results import Detection, DetectionResult
from tracker import ByteTracker, by_confidence

LOWEST_TRACKED_SCORE = 0.1
"""While the model tracks, the backend gives boxes from this score up (ByteTrack's lowest): those
under the confidence threshold are not shown, but may continue a track (a person half hidden)."""

SMALL_OBJECT = 0.02  # of the frame's area: labels keep clear of boxes this small if they can


class Detector(Protocol):
    """A backend: detections in frame pixels, above a confidence, after NMS at an IoU.
    Optional: `configure(settings)`, called with the frame's settings before detect()
    (model.configure), and a class attribute `tracks = True` if it applies the tracking
    settings and gives the track ids itself (then the model's ByteTracker is not used)."""

    labels: list[str]

    def detect(
        self, image: np.ndarray, confidence_threshold: float, nms_threshold: float
    ) -> list[Detection]: ...


@dataclass
class DetectionSettings:
    confidence_threshold: float = setting(
        0.4, 0.0, 1.0, 0.01, "minimum confidence of a box", label="Min confidence"
    )
    clustering_threshold: float = setting(
        0.5,
        0.0,
        1.0,
        0.01,
        "IoU above which overlapping boxes of one class are merged (NMS)",
        label="Merge overlapping boxes above (IoU)",
    )
    overlay_alpha: float = setting(
        80.0,
        0.0,
        255.0,
        1.0,
        "opacity of the box fill (the API takes 0-255); none while segmentation is drawn",
        label="Box fill opacity",
        percent=True,
    )
    tracking_enabled: bool = setting(
        False, help="follow objects across frames with stable track ids", label="Track objects"
    )
    tracking_min_frames: int = setting(
        3,
        0,
        60,
        1,
        "frames an object is seen before it gets a track id; 0 or 1: at once",
        label="Frames seen before a track id",
    )
    tracking_drop_frames: int = setting(
        15,
        0,
        60,
        1,
        "frames an object may be lost before its track is dropped",
        label="Frames lost before a track ends",
    )
    tracking_overlap_threshold: float = setting(
        0.1,
        0.0,
        1.0,
        0.01,
        "IoU a box needs with a track's predicted box to continue it",
        label="Overlap to continue a track (IoU)",
    )


class DetectionModel(Model[DetectionResult]):
    type = "detection"
    Settings = DetectionSettings

    def __init__(self, name: str, detector: Detector) -> None:
        super().__init__(name)
        self.detector = detector
        self.tracker = ByteTracker()
        self._ids: dict[int, int] = {}  # a tracking backend's track id -> the one reported

    def take_over(self, previous: Model[Any]) -> None:
        """The tracker's id count: no track id is used twice, across swaps too."""
        if isinstance(previous, DetectionModel):
            previous.tracker.reset()
            self.tracker = previous.tracker

    def process(self, frame: Frame, inputs: Inputs = NO_INPUTS) -> DetectionResult:
        settings = self.settings
        configure(self.detector, settings)
        backend_tracks = getattr(self.detector, "tracks", False)
        tracking = settings.tracking_enabled and not backend_tracks
        threshold = settings.confidence_threshold
        detections = self.detector.detect(
            frame.image,
            min(threshold, LOWEST_TRACKED_SCORE) if tracking else threshold,
            settings.clustering_threshold,
        )
        if backend_tracks:  # its ids renumbered
            self.tracker.reset()
            if not settings.tracking_enabled:
                self._ids.clear()
            detections = self._renumbered(detections)
        elif tracking:
            self.tracker.min_frames = settings.tracking_min_frames
            self.tracker.drop_frames = settings.tracking_drop_frames
            self.tracker.overlap_threshold = settings.tracking_overlap_threshold
            detections = self.tracker.update(*by_confidence(detections, threshold))
        else:
            self.tracker.reset()
        return DetectionResult(frame.index, frame.timestamp, tuple(detections))

    def _renumbered(self, detections: list[Detection]) -> list[Detection]:
        """A tracking backend's detections with its track ids replaced by ids of the model's
        tracker, which outlives switches of network: no id is used twice, as with our own
        tracker, though a new network's tracker counts from 0 again."""
        renumbered = []
        for detection in detections:
            if detection.track_id is not None:
                if detection.track_id not in self._ids:
                    self._ids[detection.track_id] = self.tracker.new_id()
                detection = replace(detection, track_id=self._ids[detection.track_id])
            renumbered.append(detection)
        return renumbered

    def draw_overlay(self, overlay: Overlay, result: DetectionResult) -> None:
        """Each box outlined, filled at overlay_alpha unless a segmentation tint is drawn
        too (the two would stack into mud), and its label placed by it, where it hides no
        small object if it can."""
        image = overlay.image
        alpha = 0.0 if "segmentation" in overlay.results else self.settings.overlay_alpha / 255
        height, width = image.shape[:2]
        thickness = max(2, round((width + height) / 500))
        boxes = []
        for detection in result.detections:
            left, top, right, bottom = (int(round(v)) for v in detection.box)
            box = max(0, left), max(0, top), min(width - 1, right), min(height - 1, bottom)
            colour = self.colour(detection.class_id)
            blend_box(image, box, colour, alpha)
            cv2.rectangle(image, box[:2], box[2:], colour, thickness)
            if (box[2] - box[0]) * (box[3] - box[1]) <= SMALL_OBJECT * width * height:
                overlay.layout.keep_clear(box)
            boxes.append((detection, box, colour))
        for detection, box, colour in boxes:
            text = f"{detection.label} {detection.confidence * 100:.0f}%"
            if detection.track_id is not None:
                text += f" #{detection.track_id}"
            overlay.place_by(overlay.panel([text], colour), box)

    def colour(self, class_id: int) -> tuple[int, int, int]:
        """A class's colour: from the network's colours file, else draw.class_colour."""
        return (
            self.colours[class_id] if 0 <= class_id < len(self.colours) else class_colour(class_id)
        )
