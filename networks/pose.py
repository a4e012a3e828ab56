"""Pose estimation: named keypoints per person (or hand) and the links between them, drawn
as a skeleton."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from draw import BLACK, Overlay
from frame import Frame
from model import NO_INPUTS, Inputs, Model, configure, setting
from placement import Rect
from results import Keypoint, Pose, PoseResult
from scene_change import Change, SceneWatch

# A skeleton's line width: this fraction of the person's height (or width, if wider), at
# least MIN_LINE_WIDTH (3 px on a person 60 px tall) and at most MAX_LINE_SCALE of the frame's
# mean side (width + height) / 2, so that a close-up is not drawn with a brush. The keypoints'
# radius is half the line width and one pixel more; both are outlined in black, OUTLINE px wide.
LINE_SCALE = 0.05
MIN_LINE_WIDTH = 2
MAX_LINE_SCALE = 0.012
OUTLINE = 1
FACE_PARTS = {"nose", "eye", "ear", "mouth"}  # a keypoint whose name has one is on the face
# BGR colours of the people, in turn: saturated, and none green like segmentation's person
PERSON_COLOURS = [
    (40, 40, 230),  # red
    (230, 120, 20),  # blue
    (0, 150, 255),  # orange
    (210, 60, 210),  # magenta
    (230, 220, 0),  # cyan
    (0, 230, 255),  # yellow
]


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
        0.5,
        0.0,
        1.0,
        0.01,
        "keypoints less confident are left out; so is a person with none left",
        label="Min keypoint confidence",
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

    def draw_overlay(self, overlay: Overlay, result: PoseResult) -> None:
        for index, pose in enumerate(result.poses):
            draw_skeleton(overlay.image, pose, person_colour(index))


def person_colour(index: int) -> tuple[int, int, int]:
    """The colour of the index-th person of a pose result: its skeleton's, and its action
    label's."""
    return PERSON_COLOURS[index % len(PERSON_COLOURS)]


def extent(pose: Pose) -> Rect:
    """The box around a pose's keypoints: left, top, right, bottom in pixels."""
    xs = [kp.x for kp in pose.keypoints]
    ys = [kp.y for kp in pose.keypoints]
    return (
        int(math.floor(min(xs))),
        int(math.floor(min(ys))),
        int(math.ceil(max(xs))),
        int(math.ceil(max(ys))),
    )


def line_width(pose: Pose, image: np.ndarray) -> int:
    """The skeleton's line width: a fraction of the person's size, so that a small person's
    skeleton still reads, within bounds set by the frame's size."""
    left, top, right, bottom = extent(pose)
    frame_size = (image.shape[0] + image.shape[1]) / 2
    widest = max(MIN_LINE_WIDTH, round(MAX_LINE_SCALE * frame_size))
    return min(widest, max(MIN_LINE_WIDTH, round(LINE_SCALE * max(right - left, bottom - top))))


def draw_skeleton(image: np.ndarray, pose: Pose, colour: tuple[int, int, int]) -> None:
    """A pose's links and keypoints in one colour, outlined in black so that they stand out
    on any background; the face's at half the width, so that it is not smeared; in place."""
    width = line_width(pose, image)
    points = {kp.id: (int(round(kp.x)), int(round(kp.y))) for kp in pose.keypoints}
    on_face = {kp.id for kp in pose.keypoints if FACE_PARTS & set(kp.name.split("_"))}
    face_width = max(1, width // 2)
    for ink, grow in ((BLACK, OUTLINE), (colour, 0)):
        for a, b in pose.links:
            link_width = face_width if a in on_face and b in on_face else width
            cv2.line(image, points[a], points[b], ink, link_width + 2 * grow, cv2.LINE_AA)
        for keypoint_id, point in points.items():
            radius = (face_width if keypoint_id in on_face else width) // 2 + 1
            cv2.circle(image, point, radius + grow, ink, -1, cv2.LINE_AA)
