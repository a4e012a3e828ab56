"""People matting: the selfie graph's edges, kept only where a network that knows what a person
is finds one.

MediaPipe's selfie segmentation draws good person edges but calls any salient thing a person:
a cat, a cup. So its mask is kept only near the people found by two person networks:
- DeepLabV3's "person" class (no cat or cup is a person to it). Where it finds a person, the
  selfie mask counts up to GATE_GROWTH around it, and its own person pixels, shrunk a little,
  are kept even where the selfie graph sees nothing (a half-hidden person).
- NanoDet's person boxes. A box at least SMALL_PERSON of the frame tall lets the selfie mask
  count inside it, unless DeepLabV3 sees an animal there: on a close-up of a cat NanoDet says
  "person" over the whole frame. A shorter box is a person far off, whom neither DeepLabV3
  (at its 257x257 input) nor the selfie graph sees: its box is kept, corners rounded.

The person networks cost 15-21 ms a frame each on two cores, so they take turns (SCHEDULE):
a frame runs one of them and uses the other's latest result; the first frame and a cut to
another picture run both. bench/background.py measures this against the alternatives
(README, "Benchmarks").
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

Box = tuple[float, float, float, float]  # left, top, right, bottom

PERSON = "person"
ANIMALS = ("bird", "cat", "cow", "dog", "horse", "sheep")  # the VOC classes that are animals
WORK_WIDTH = 320  # the masks are combined at this width, then scaled to the frame
# DeepLabV3 gets the working copy at half its size: it scales any picture to its 257x257 input,
# and answers at the size it was given, so a smaller picture saves it scaling 21 class maps
# (4 ms here), at no loss on the bench's scenes.
SEGMENTER_SHRINK = 2
GATE_GROWTH = 0.05  # selfie edges count this far (share of the frame width) around a person
CORE_SHRINK = 0.015  # DeepLabV3's person, shrunk by this, is kept whatever the selfie graph says
FEATHER = 0.02  # the width over which region edges soften, share of the frame width
SMALL_PERSON = 0.4  # NanoDet's person boxes shorter than this share of the frame: far off
ANIMAL_VETO = 0.3  # a tall person box this much covered by DeepLabV3's animals is an animal
# NanoDet's person boxes kept from this score. At its default, 0.4, it found a small "person"
# in the flag behind two test portraits (0.40, 0.42); the synthetic street's walkers mostly
# score 0.5-0.8 (bench/background_scenes.py).
PERSON_CONFIDENCE = 0.45
NMS_OVERLAP = 0.5
# A far person's box is kept with its corners rounded off: an ellipse inscribed in it cuts off
# heads and feet (80% of the street's walkers kept; 86% with this, and 4.9% of the road, post
# and car taken where 3.9% were).
ROUNDING = 1.2
PART_OF_LARGER = 0.7  # a small box this much inside a tall person's box is part of them
THUMBNAIL = (32, 24)
CUT_LEVEL = 30.0  # mean grey difference (0-255) of two frames' thumbnails that marks a cut
# Which person networks run on a frame, as (DeepLabV3, NanoDet): DeepLabV3 on two frames of
# three, NanoDet on the third. Both on every frame cost 42-45 ms a frame here; taking turns
# one by one, 24-27 ms, as NanoDet's frames cost 4-5 ms more than DeepLabV3's; this, 23-25 ms,
# within the 25 ms budget. The price: far walkers, from NanoDet boxes up to two frames old,
# are kept 71% where one by one keeps 86% (bench/background.py, README).
SEGMENTER, DETECTOR, BOTH = (True, False), (False, True), (True, True)
SCHEDULE = (SEGMENTER, SEGMENTER, DETECTOR)


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


def kernel(shape: int, radius: int) -> np.ndarray:
    """A structuring element (cv2.MORPH_RECT, MORPH_ELLIPSE) of this radius (pixels)."""
    side = 2 * max(1, radius) + 1
    return cv2.getStructuringElement(shape, (side, side))


def feathered(region: np.ndarray, width: float) -> np.ndarray:
    """A 0/1 uint8 region as float32 0-1 weights whose edges ramp over `width` pixels (a box
    filter over 0-255: a tenth of the time of a Gaussian over floats)."""
    side = max(1, round(width))
    return cv2.blur(region * np.uint8(255), (side, side)).astype(np.float32) * np.float32(1 / 255)


def pixels(box: Box) -> tuple[slice, slice]:
    """The rows and columns of a box (non-negative pixel coordinates)."""
    left, top, right, bottom = (max(0, round(v)) for v in box)
    return slice(top, bottom), slice(left, right)


def filled(boxes: Sequence[Box], shape: tuple[int, int], rounded: bool) -> np.ndarray:
    """uint8 0/1 of `shape` (height, width): each box filled, with its corners rounded if
    `rounded` (an ellipse ROUNDING times the box's size, clipped to the box)."""
    canvas = np.zeros(shape, np.uint8)
    for box in boxes:
        rows, columns = pixels(box)
        if not rounded:
            canvas[rows, columns] = 1
            continue
        left, top, right, bottom = box
        centre = ((left + right) / 2 - columns.start, (top + bottom) / 2 - rows.start)
        size = ((right - left) * ROUNDING, (bottom - top) * ROUNDING)
        cv2.ellipse(canvas[rows, columns], (centre, size, 0.0), (1,), -1)  # drawn in the box
    return canvas


def people_mask(
    selfie: np.ndarray,
    person: np.ndarray,
    near_people: Sequence[Box] = (),
    far_people: Sequence[Box] = (),
) -> np.ndarray:
    """Foreground weight 0-1, float32, at the size of `selfie` (the selfie graph's mask):
    - the selfie mask within GATE_GROWTH of `person` (uint8 0/1, DeepLabV3's person pixels)
      or of a box of `near_people`,
    - `person` shrunk by CORE_SHRINK, for what the selfie graph misses (a half-hidden person),
    - each box of `far_people`, its corners rounded.
    Boxes are in `selfie`'s pixels. No person and no box: all zero."""
    height, width = selfie.shape
    soft = FEATHER * width
    permitted = np.maximum(person, filled(near_people, (height, width), rounded=False))
    # grown by a square, some 30x faster than by a disc: the selfie graph draws the edge in it
    gate = cv2.dilate(permitted, kernel(cv2.MORPH_RECT, round(GATE_GROWTH * width)))
    core = cv2.erode(person, kernel(cv2.MORPH_ELLIPSE, round(CORE_SHRINK * width)))
    mask = np.maximum(selfie * feathered(gate, soft), feathered(core, soft))
    if far_people:
        far = filled(far_people, (height, width), rounded=True)
        mask = np.maximum(mask, feathered(far, soft))
    return mask


def inside(box: Box, other: Box) -> float:
    """The share of `box`'s area that lies inside `other`."""
    left, top = max(box[0], other[0]), max(box[1], other[1])
    right, bottom = min(box[2], other[2]), min(box[3], other[3])
    area = (box[2] - box[0]) * (box[3] - box[1])
    return max(0.0, right - left) * max(0.0, bottom - top) / area if area > 0 else 0.0


def near_and_far(
    people: Sequence[Box], classes: np.ndarray, animals: Sequence[int]
) -> tuple[list[Box], list[Box]]:
    """NanoDet's person boxes, in the pixels of `classes` (DeepLabV3's class map), split into
    - near: at least SMALL_PERSON of the frame tall, and less than ANIMAL_VETO of the box of
      the `animals` classes;
    - far: shorter, and not mostly (PART_OF_LARGER) inside a taller person's box, animal or
      not: such a box is a part of that person (a face) or a false find around it."""
    limit = SMALL_PERSON * classes.shape[0]
    tall = [box for box in people if box[3] - box[1] >= limit]
    near = [box for box in tall if np.isin(classes[pixels(box)], animals).mean() < ANIMAL_VETO]
    far = [
        box
        for box in people
        if box[3] - box[1] < limit and all(inside(box, big) < PART_OF_LARGER for big in tall)
    ]
    return near, far


class Turns:
    """Which person networks run on a frame, as (DeepLabV3, NanoDet): `schedule`'s steps in a
    cycle, and both on the first frame and on a cut (the frame's size changes, or its 32x24
    grey thumbnail differs from the last frame's by more than CUT_LEVEL on average), after
    which the cycle starts again."""

    def __init__(self, schedule: Sequence[tuple[bool, bool]] = SCHEDULE) -> None:
        self.schedule = schedule
        self._last: np.ndarray | None = None
        self._shape: tuple[int, ...] = ()
        self._step = 0

    def due(self, image: np.ndarray) -> tuple[bool, bool]:
        """(run DeepLabV3, run NanoDet) on this BGR frame (or its working copy)."""
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        thumbnail = cv2.resize(grey, THUMBNAIL, interpolation=cv2.INTER_AREA).astype(np.float32)
        cut = (
            self._last is None
            or image.shape != self._shape
            or float(np.abs(thumbnail - self._last).mean()) > CUT_LEVEL
        )
        self._last, self._shape = thumbnail, image.shape
        if cut:
            self._step = 0
            return BOTH
        step = self.schedule[self._step % len(self.schedule)]
        self._step += 1
        return step


@register_backend
class PeopleMatting(Backend):
    """Selfie segmentation kept where DeepLabV3 or NanoDet finds a person (see the module
    docstring). Files: `segmenter` (deeplabv3.tflite), `detector` (NanoDet ONNX) and its
    `labels`."""

    name = "people-matting"
    requires = ("mediapipe", "onnxruntime")
    per_camera = True  # its turns and the people it last saw follow one camera

    def __init__(self, entry: CatalogueEntry) -> None:
        self.segmenter = TaskSegmenter(part(entry, "segmenter"))
        self.detector = NanoDetDetector(part(entry, "detector", "labels"))
        self.selfie = SelfieSegmentation(entry, landscape=True)  # as good here, 40% cheaper
        labels = self.segmenter.labels
        self._person_class = labels.index(PERSON)
        self._animal_classes = [labels.index(animal) for animal in ANIMALS]
        self.schedule: Sequence[tuple[bool, bool]] = SCHEDULE
        self.forget()

    def forget(self) -> None:
        """Start afresh, as on a cut: the next frame runs both person networks."""
        self.turns = Turns(self.schedule)  # which person networks run on a frame
        self._classes: np.ndarray | None = None  # DeepLabV3's, at the working copy's size
        self._people: list[Box] = []  # NanoDet's, in the working copy's pixels

    def mask(self, image_bgr: np.ndarray) -> np.ndarray:
        """float32 0-1 foreground weight, HxW of the frame."""
        height, width = image_bgr.shape[:2]
        work = working_copy(image_bgr)
        run_segmenter, run_detector = self.turns.due(work)
        if run_segmenter or self._classes is None:
            self._classes = self.classes(work)
        if run_detector:
            self._people = [scaled(box, WORK_WIDTH / width) for box in self.people(image_bgr)]
        person = (self._classes == self._person_class).view(np.uint8)
        near, far = near_and_far(self._people, self._classes, self._animal_classes)
        # the selfie mask counts only near a person: with none, the graph need not run
        selfie = (
            self.selfie.mask(work) if near or person.any() else np.zeros(work.shape[:2], np.float32)
        )
        mask = people_mask(selfie, person, near, far)
        return cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)

    def classes(self, work: np.ndarray) -> np.ndarray:
        """DeepLabV3's class per pixel of `work` (the working copy), uint8."""
        size = (work.shape[1] // SEGMENTER_SHRINK, work.shape[0] // SEGMENTER_SHRINK)
        classes = self.segmenter.segment(cv2.resize(work, size, interpolation=cv2.INTER_AREA))
        return cv2.resize(classes, (work.shape[1], work.shape[0]), interpolation=cv2.INTER_NEAREST)

    def people(self, image_bgr: np.ndarray) -> list[Box]:
        """NanoDet's person boxes, in frame pixels."""
        found = self.detector.detect(image_bgr, PERSON_CONFIDENCE, NMS_OVERLAP)
        return [detection.box for detection in found if detection.label == PERSON]
