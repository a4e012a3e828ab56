"""Synthetic pedestrian detections: what a detector gives on a street filmed at about 10 fps.

No street video exists on this machine, so trackers are measured on generated detections with
the properties of the clip in issue 10: 6-7 walkers in view, on two pavements, in both
directions; boxes about 30 px wide that move 5-12 px a frame; box edges that jitter so much
that the IoU of one walker's boxes in consecutive frames has a median of about 0.45; walkers
that pass each other (the one behind is scored low while covered, and lost to the detector's
NMS when mostly covered); missed detections; scores that wander around the confidence
threshold; and false boxes (a lamp post, clutter).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from results import Detection
from tracker import box_iou

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Street:
    """The scene's parameters; the defaults are the clip of issue 10."""

    frames: int = 900
    size: tuple[int, int] = (640, 360)  # width, height
    in_view: int = 7  # walkers on the street at once (6-7 of them in view)
    pavements: tuple[tuple[float, float], ...] = ((0.55, 0.65), (0.82, 0.92))  # feet, of height
    speed: tuple[float, float] = (5.0, 12.0)  # px a frame
    width: tuple[float, float] = (24.0, 32.0)  # px, a walker's true box width
    edge_jitter: float = 5.0  # px, standard deviation of each edge of a box, independently
    miss: float = 0.05  # chance that a walker in view is not detected in a frame
    score_noise: float = 0.12  # standard deviation of a box's score around the walker's own
    nms_threshold: float = 0.5  # the detector's NMS, which drops the box of a covered walker
    lowest_score: float = 0.1  # the detector gives no box below this score
    clutter: float = 0.5  # false low-score boxes a frame, on average
    passing_gap: float = 10.0  # px between the feet rows of two walkers who pass each other


@dataclass(frozen=True)
class Sighting:
    """One box the detector gives: the walker it belongs to (None: a false box)."""

    walker: int | None
    detection: Detection


@dataclass(frozen=True)
class Scene:
    """The detector's boxes of each frame, and how many times two walkers crossed (their
    true boxes came to overlap with an IoU above 0.2)."""

    frames: list[list[Sighting]]
    crossings: int


@dataclass
class _Walker:
    number: int
    x: float  # centre
    feet: float  # bottom edge
    pavement: tuple[float, float]  # the rows its feet stay between
    speed: float  # px a frame, signed
    width: float
    score: float  # the walker's typical detection score

    def box(self) -> Box:
        height = self.width * 2.3
        return (self.x - self.width / 2, self.feet - height, self.x + self.width / 2, self.feet)


def street_scene(street: Street, seed: int) -> Scene:
    """Walkers cross the street's frame; a new one enters when one leaves."""
    rng = np.random.default_rng(seed)
    frame_width = street.size[0]
    walkers = [_new_walker(street, rng, number, entering=False) for number in range(street.in_view)]
    count = street.in_view
    frames = []
    crossings, overlapping = 0, set[tuple[int, int]]()
    for _ in range(street.frames):
        frames.append(_detect(street, rng, walkers))
        now = {
            (a.number, b.number)
            for a in walkers
            for b in walkers
            if a.number < b.number and box_iou(a.box(), b.box()) > 0.2
        }
        crossings, overlapping = crossings + len(now - overlapping), now
        _step(street, rng, walkers)
        for walker in [w for w in walkers if not -w.width < w.x < frame_width + w.width]:
            walkers.remove(walker)
            walkers.append(_new_walker(street, rng, count, entering=True))
            count += 1
    return Scene(frames, crossings)


def _step(street: Street, rng: np.random.Generator, walkers: list[_Walker]) -> None:
    """One frame of walking. Walkers who pass each other step aside, as people do: their feet
    rows move apart until they are `passing_gap` px apart."""
    aside = {walker.number: rng.normal(0, 0.7) for walker in walkers}
    for a in walkers:
        for b in walkers:
            passing = a is not b and abs(a.x - b.x) < (a.width + b.width) / 2
            if passing and 0 <= b.feet - a.feet < street.passing_gap:
                aside[a.number] -= 1.5
                aside[b.number] += 1.5
    for walker in walkers:
        walker.x += walker.speed + rng.normal(0, 0.5)
        walker.feet = float(np.clip(walker.feet + aside[walker.number], *walker.pavement))


def _new_walker(street: Street, rng: np.random.Generator, number: int, entering: bool) -> _Walker:
    """A walker anywhere in view, or entering from the left or right edge."""
    frame_width, frame_height = street.size
    width = float(rng.uniform(*street.width))
    direction = 1.0 if rng.random() < 0.5 else -1.0
    if not entering:
        x = float(rng.uniform(0, frame_width))
    elif direction > 0:
        x = -width / 2 - float(rng.uniform(0, 40))
    else:
        x = frame_width + width / 2 + float(rng.uniform(0, 40))
    low, high = street.pavements[int(rng.integers(len(street.pavements)))]
    pavement = (low * frame_height, high * frame_height)
    return _Walker(
        number=number,
        x=x,
        feet=float(rng.uniform(*pavement)),
        pavement=pavement,
        speed=direction * float(rng.uniform(*street.speed)),
        width=width,
        score=float(rng.uniform(0.45, 0.85)),
    )


def _detect(street: Street, rng: np.random.Generator, walkers: list[_Walker]) -> list[Sighting]:
    """One frame's boxes: jittered and scored, a covered walker scored low, then NMS."""
    frame_width, frame_height = street.size
    found: list[Sighting] = []
    for walker in walkers:
        if not walker.width / 2 < walker.x < frame_width - walker.width / 2:
            continue  # less than half in view
        if rng.random() < street.miss:
            continue
        covered = max(
            (_covered(walker.box(), other.box()) for other in walkers if other.feet > walker.feet),
            default=0.0,
        )
        score = (walker.score + rng.normal(0, street.score_noise)) * (1.0 - 0.7 * covered)
        if score >= street.lowest_score:
            box = _jittered(street, rng, walker.box())
            found.append(Sighting(walker.number, _person(box, score)))
    for _ in range(rng.poisson(street.clutter)):
        width = rng.uniform(15, 40)
        left = rng.uniform(0, frame_width - width)
        top = rng.uniform(0, frame_height - 2 * width)
        score = rng.uniform(street.lowest_score, 0.35)
        found.append(Sighting(None, _person((left, top, left + width, top + 2 * width), score)))
    if rng.random() < 0.5:  # a lamp post by the far pavement, sometimes above the threshold
        post = _jittered(street, rng, (300.0, 120.0, 312.0, 220.0))
        found.append(Sighting(None, _person(post, rng.uniform(0.2, 0.5))))
    return _nms(found, street.nms_threshold)


def _covered(box: Box, front: Box) -> float:
    """The share of `box` that `front` hides."""
    width = min(box[2], front[2]) - max(box[0], front[0])
    height = min(box[3], front[3]) - max(box[1], front[1])
    if width <= 0 or height <= 0:
        return 0.0
    return width * height / ((box[2] - box[0]) * (box[3] - box[1]))


def _jittered(street: Street, rng: np.random.Generator, box: Box) -> Box:
    left, top, right, bottom = np.asarray(box) + rng.normal(0, street.edge_jitter, 4)
    return (float(left), float(top), float(max(right, left + 4)), float(max(bottom, top + 8)))


def _person(box: Box, score: float) -> Detection:
    return Detection(0, "person", float(min(0.99, score)), box)


def _nms(found: list[Sighting], threshold: float) -> list[Sighting]:
    """Best score first; a box that overlaps a kept one above the threshold is dropped."""
    kept: list[Sighting] = []
    for sighting in sorted(found, key=lambda s: -s.detection.confidence):
        if all(box_iou(sighting.detection.box, k.detection.box) <= threshold for k in kept):
            kept.append(sighting)
    return kept
