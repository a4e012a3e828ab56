"""People matting: the selfie graph's edges, kept only where a network that knows what a person
is finds one.

MediaPipe's selfie segmentation (4 ms) draws good person edges but calls any salient thing a
person: a cat, a cup. So its mask is kept only near people found by
- DeepLabV3's "person" class, for people near the camera (no cat or cup is a person to it),
  and
- NanoDet's person boxes no taller than SMALL_PERSON of the frame, for people far off, whom
  DeepLabV3 at its 257x257 input does not see (and whom the selfie graph misses too): each
  becomes a soft ellipse in its box. Taller boxes are left to DeepLabV3: on a close-up of a
  cat NanoDet says "person" over the whole frame.

Each person network costs about 17 ms a frame on two cores, so they take turns: a frame runs
one of them and uses the other's evidence from the frame before; a cut to another picture
runs both. bench/background.py measures this against the alternatives (README, "Background").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cv2
import numpy as np

from backends.mediapipe_solutions import SelfieSegmentation
from backends.mediapipe_tasks import TaskSegmenter
from backends.onnx import NanoDetDetector
from backends.registry import Backend, register_backend
from catalogue import CatalogueEntry
from results import Detection

PERSON = "person"
WORK_WIDTH = 320  # the masks are combined at this width, then scaled to the frame
SEGMENTER_SIZE = (257, 257)  # DeepLabV3's input: given at this size, it answers at it
GATE_GROWTH = 0.05  # selfie edges count this far (share of the frame width) around a person
CORE_SHRINK = 0.015  # DeepLabV3's person, shrunk by this, is kept whatever the selfie graph says
FEATHER = 0.01  # Gaussian sigma that softens the region edges, share of the frame width
SMALL_PERSON = 0.4  # person boxes shorter than this share of the frame height: NanoDet's
# NanoDet's person boxes kept from this score. At its default, 0.4, it found a small "person"
# in the flag behind two test portraits (0.40, 0.42); the synthetic street's walkers mostly
# score 0.5-0.8 (bench/background_scenes.py).
PERSON_CONFIDENCE = 0.45
NMS_OVERLAP = 0.5
PART_OF_LARGER = 0.7  # a small box this much inside a tall person's box is part of them
THUMBNAIL = (32, 24)
Box = tuple[float, float, float, float]  # left, top, right, bottom
CUT_LEVEL = 30.0  # mean grey difference (0-255) of two frames' thumbnails that marks a cut


def part(entry: CatalogueEntry, model: str, labels: str | None = None) -> CatalogueEntry:
    """The entry of one of its networks: its file `model` (and `labels`) under the roles
    the single-network backends read."""
    files = {"model": entry.files[model]}
    if labels is not None:
        files["labels"] = entry.files[labels]
    return dataclasses.replace(entry, files=files, input={})


def working_copy(image: np.ndarray) -> np.ndarray:
    """The frame at WORK_WIDTH, its aspect kept: the masks are combined at this size."""
    height, width = image.shape[:2]
    size = (WORK_WIDTH, max(1, round(height * WORK_WIDTH / width)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def scaled(box: Box, factor: float) -> Box:
    left, top, right, bottom = box
    return left * factor, top * factor, right * factor, bottom * factor


def disc(radius: int) -> np.ndarray:
    """A round structuring element of this radius (pixels)."""
    side = 2 * max(1, radius) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))


def feathered(region: np.ndarray, sigma: float) -> np.ndarray:
    """A 0/1 uint8 region as float32 0-1 weights with soft edges."""
    return cv2.GaussianBlur(region.astype(np.float32), (0, 0), max(sigma, 0.5))


def ellipses(boxes: Sequence[Box], shape: tuple[int, int]) -> np.ndarray:
    """uint8 0/1, `shape` (height, width): the ellipse inscribed in each box."""
    canvas = np.zeros(shape, np.uint8)
    for left, top, right, bottom in boxes:
        centre = ((left + right) / 2, (top + bottom) / 2)
        cv2.ellipse(canvas, (centre, (right - left, bottom - top), 0.0), (1,), -1)
    return canvas


def people_mask(
    selfie: np.ndarray,
    person: np.ndarray,
    small_people: Sequence[Box],
) -> np.ndarray:
    """Foreground weight 0-1, float32, at the size of `selfie` (the selfie graph's mask):
    - the selfie mask within GATE_GROWTH of `person` (uint8 0/1, DeepLabV3's person pixels),
    - `person` shrunk by CORE_SHRINK, for what the selfie graph misses (a half-hidden person),
    - an ellipse in each of `small_people` (boxes in `selfie`'s pixels).
    No person and no box: all zero."""
    height, width = selfie.shape
    sigma = FEATHER * width
    gate = feathered(cv2.dilate(person, disc(round(GATE_GROWTH * width))), sigma)
    core = feathered(cv2.erode(person, disc(round(CORE_SHRINK * width))), sigma)
    mask = np.maximum(selfie * gate, core)
    if small_people:
        mask = np.maximum(mask, feathered(ellipses(small_people, (height, width)), sigma))
    return mask


class Turns:
    """Which person networks run on a frame: DeepLabV3 and NanoDet by turns, both on the
    first frame and on a cut (the frame's size changes, or its 32x24 grey thumbnail differs
    from the last frame's by more than CUT_LEVEL on average)."""

    def __init__(self) -> None:
        self._last: np.ndarray | None = None
        self._shape: tuple[int, ...] = ()
        self._segmenter_next = True

    def due(self, image: np.ndarray) -> tuple[bool, bool]:
        """(run DeepLabV3, run NanoDet) on this BGR frame."""
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        thumbnail = cv2.resize(grey, THUMBNAIL, interpolation=cv2.INTER_AREA).astype(np.float32)
        cut = (
            self._last is None
            or image.shape != self._shape
            or float(np.abs(thumbnail - self._last).mean()) > CUT_LEVEL
        )
        self._last, self._shape = thumbnail, image.shape
        if cut:
            self._segmenter_next = True
            return True, True
        segmenter = self._segmenter_next
        self._segmenter_next = not segmenter
        return segmenter, not segmenter


@register_backend
class PeopleMatting(Backend):
    """Selfie segmentation gated by DeepLabV3's person class and NanoDet's small people (see
    the module docstring). Files: `segmenter` (deeplabv3.tflite), `detector` (NanoDet ONNX)
    and its `labels`."""

    name = "people-matting"
    requires = ("mediapipe", "onnxruntime")

    def __init__(self, entry: CatalogueEntry) -> None:
        self.segmenter = TaskSegmenter(part(entry, "segmenter"))
        self.detector = NanoDetDetector(part(entry, "detector", "labels"))
        self.selfie = SelfieSegmentation(entry)
        self._person_class = self.segmenter.labels.index(PERSON)
        self.turns = Turns()  # which person networks run on a frame
        self._person: np.ndarray | None = None  # DeepLabV3's person pixels, work size
        self._small_people: list[Box] = []  # frame pixels

    def mask(self, image_bgr: np.ndarray) -> np.ndarray:
        """float32 0-1 foreground weight, HxW of the frame."""
        height, width = image_bgr.shape[:2]
        work = working_copy(image_bgr)
        run_segmenter, run_detector = self.turns.due(image_bgr)
        if run_segmenter or self._person is None:
            self._person = self.person_pixels(image_bgr, (work.shape[1], work.shape[0]))
        if run_detector:
            self._small_people = self.small_people(image_bgr)
        scale = WORK_WIDTH / width
        boxes = [scaled(box, scale) for box in self._small_people]
        mask = people_mask(self.selfie.mask(work), self._person, boxes)
        return cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)

    def person_pixels(self, image_bgr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """uint8 0/1 at `size` (width, height): DeepLabV3's person class."""
        small = cv2.resize(image_bgr, SEGMENTER_SIZE, interpolation=cv2.INTER_AREA)
        person = (self.segmenter.segment(small) == self._person_class).view(np.uint8)
        return cv2.resize(person, size, interpolation=cv2.INTER_NEAREST)

    def small_people(self, image_bgr: np.ndarray) -> list[Box]:
        """NanoDet's person boxes shorter than SMALL_PERSON of the frame, in frame pixels."""
        found: list[Detection] = self.detector.detect(image_bgr, PERSON_CONFIDENCE, NMS_OVERLAP)
        return far_off([d.box for d in found if d.label == PERSON], image_bgr.shape[0])


def inside(box: Box, other: Box) -> float:
    """The share of `box`'s area that lies inside `other`."""
    left, top = max(box[0], other[0]), max(box[1], other[1])
    right, bottom = min(box[2], other[2]), min(box[3], other[3])
    area = (box[2] - box[0]) * (box[3] - box[1])
    return max(0.0, right - left) * max(0.0, bottom - top) / area if area > 0 else 0.0


def far_off(people: Sequence[Box], frame_height: int) -> list[Box]:
    """The person boxes shorter than SMALL_PERSON of the frame that do not lie mostly
    (PART_OF_LARGER) inside a taller person's box: those are parts of that person (a face, an
    arm), or NanoDet's false finds around it, and the taller person is DeepLabV3's to find."""
    limit = SMALL_PERSON * frame_height
    small = [box for box in people if box[3] - box[1] < limit]
    large = [box for box in people if box[3] - box[1] >= limit]
    return [box for box in small if all(inside(box, big) < PART_OF_LARGER for big in large)]
