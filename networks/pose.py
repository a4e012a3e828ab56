"""Pose estimation: named keypoints per person (or hand) and the links between them, drawn
as a skeleton."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from draw import class_colour
from frame import Frame
from model import NO_INPUTS, Inputs, Model, configure, setting
from results import Keypoint, Pose, PoseResult
from scene_change import Change, SceneWatch

# Dot radius and line width as fractions of the frame's mean side (width + height) / 2.
KEYPOINT_SCALE = 0.007
LINK_SCALE = 0.003


class PoseEstimator(Protocol):
    """A backend: per person, one (x, y, confidence) per keypoint in frame pixels, in the
    order of keypoint_names; links are pairs of keypoint indices. Optional:
    `configure(settings)`, called with the frame's settings before estimate() (model.configure),
    and `reset()` for one that follows people from frame to frame: it forgets them, and is
    called when the picture changes to another scene (forget_at_cut)."""

    keypoint_names: list[str]
    links: list[tuple[int, int]]

    def estimate(self, image: np.ndarray) -> list[list[tuple[float, float, float]]]: ...


@dataclass
class PoseSettings:
    confidence_threshold: float = setting(
        0.5, 0.0, 1.0, 0.01, "keypoints less confident are left out; so is a person with none left"
    )


def make_pose(
    keypoints: Sequence[tuple[float, float, float]],
    names: Sequence[str],
    links: Sequence[tuple[int, int]],
    threshold: float,
) -> Pose:
    """One person's keypoints at or above `threshold` (ids are the landmark indices) and the
    links between the kept ones."""
    kept = tuple(
        Keypoint(index, names[index], x, y, confidence)
        for index, (x, y, confidence) in enumerate(keypoints)
        if confidence >= threshold
    )
    ids = {keypoint.id for keypoint in kept}
    return Pose(kept, tuple((a, b) for a, b in links if a in ids and b in ids))


def forget_at_cut(estimator: PoseEstimator, scenes: SceneWatch, image: object) -> Change:
    """How `image` differs from the frame before (scene_change.py); at a cut, the estimator
    forgets whom it was following, if it follows anyone, so that a slideshow's next picture
    does not inherit the last one's people."""
    change = scenes.update(image)
    reset = getattr(estimator, "reset", None)
    if change is Change.CUT and reset is not None:
        reset()
    return change


class PoseModel(Model[PoseResult]):
    type = "pose"
    Settings = PoseSettings

    def __init__(self, name: str, estimator: PoseEstimator) -> None:
        super().__init__(name)
        self.estimator = estimator
        self._scenes = SceneWatch()

    def process(self, frame: Frame, inputs: Inputs = NO_INPUTS) -> PoseResult:
        estimator, threshold = self.estimator, self.settings.confidence_threshold
        configure(estimator, self.settings)
        if hasattr(estimator, "reset"):  # only one that tracks needs the frames compared
            forget_at_cut(estimator, self._scenes, frame.image)
        poses = (
            make_pose(person, estimator.keypoint_names, estimator.links, threshold)
            for person in estimator.estimate(frame.image)
        )
        return PoseResult(
            frame.index, frame.timestamp, tuple(pose for pose in poses if pose.keypoints)
        )

    def draw(self, image: np.ndarray, result: PoseResult) -> None:
        size = (image.shape[0] + image.shape[1]) / 2
        radius = max(2, round(KEYPOINT_SCALE * size))
        thickness = max(1, round(LINK_SCALE * size))
        for index, pose in enumerate(result.poses):
            points = {kp.id: (int(round(kp.x)), int(round(kp.y))) for kp in pose.keypoints}
            for a, b in pose.links:
                cv2.line(image, points[a], points[b], class_colour(index), thickness, cv2.LINE_AA)
            for keypoint_id, point in points.items():
                cv2.circle(image, point, radius, class_colour(keypoint_id), -1, cv2.LINE_AA)
