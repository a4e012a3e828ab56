"""Multi-object tracker for detections: ByteTrack's motion model and two-stage association,
driven by the settings of jetson-inference's detectNet tracker."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from results import Detection

Box = tuple[float, float, float, float]

LOW_BOX_OVERLAP = 0.5
"""IoU a low-score box needs with a track's predicted box to continue it (ByteTrack's)."""
IOU_WEIGHT = 0.3
"""How much IoU counts against centre distance when pairs are ranked (bench/tracking.py)."""
AMBIGUITY_MARGIN = 0.075
"""A box whose two nearest tracks differ by less than this (in cost: centre distance in track
heights, less IOU_WEIGHT x IoU) is ambiguous and continues neither (bench/tracking.py)."""

_POSITION_NOISE = 1 / 20  # of the box height: ByteTrack's (and DeepSORT's) noise weights
_VELOCITY_NOISE = 1 / 160
_TRANSITION = np.eye(8) + np.eye(8, k=4)  # constant velocity, one frame a step
_OBSERVATION = np.eye(4, 8)


class KalmanBox:
    """A box's constant-velocity Kalman filter, as ByteTrack's: the state is the centre x and
    y, the aspect ratio (width / height), the height, and their velocities; every noise is
    proportional to the height, so small and large boxes are followed alike."""

    def __init__(self, box: Box) -> None:
        measured = _measurement(box)
        self.mean = np.concatenate([measured, np.zeros(4)])
        height = measured[3]
        position, velocity = 2 * _POSITION_NOISE * height, 10 * _VELOCITY_NOISE * height
        deviations = [position, position, 1e-2, position, velocity, velocity, 1e-5, velocity]
        self.covariance = np.diag(np.square(deviations))

    def predict(self, lost: bool) -> None:
        """One frame ahead; a lost box stops growing or shrinking, as in ByteTrack."""
        if lost:
            self.mean[7] = 0.0
        height = self.mean[3]
        position, velocity = _POSITION_NOISE * height, _VELOCITY_NOISE * height
        noise = np.square([position, position, 1e-2, position, velocity, velocity, 1e-5, velocity])
        self.mean = _TRANSITION @ self.mean
        self.covariance = _TRANSITION @ self.covariance @ _TRANSITION.T + np.diag(noise)

    def update(self, box: Box) -> None:
        """Correct the state with a measured box."""
        position = _POSITION_NOISE * self.mean[3]
        innovation_covariance = _OBSERVATION @ self.covariance @ _OBSERVATION.T + np.diag(
            np.square([position, position, 1e-1, position])
        )
        gain = np.linalg.solve(innovation_covariance, _OBSERVATION @ self.covariance).T
        self.mean = self.mean + gain @ (_measurement(box) - _OBSERVATION @ self.mean)
        self.covariance = self.covariance - gain @ innovation_covariance @ gain.T

    def box(self) -> Box:
        """The estimated (left, top, right, bottom)."""
        x, y, aspect, height = self.mean[:4]
        height = max(float(height), 1.0)
        width = max(float(aspect), 0.0) * height
        return (x - width / 2, y - height / 2, x + width / 2, y + height / 2)

    def distance(self, box: Box) -> float:
        """From the estimated centre to the box's centre, in estimated heights."""
        centre = _measurement(box)[:2]
        return float(np.hypot(*(centre - self.mean[:2]))) / max(float(self.mean[3]), 1.0)


def _measurement(box: Box) -> np.ndarray:
    left, top, right, bottom = box
    height = max(bottom - top, 1e-3)
    return np.array([(left + right) / 2, (top + bottom) / 2, (right - left) / height, height])


@dataclass(eq=False)
class _Track:
    """One followed object: its class, motion, matched-frame count and lost-frame count."""

    class_id: int
    motion: KalmanBox
    hits: int = 1
    lost: int = 0
    track_id: int | None = None


@dataclass
class _Matching:
    """Detection index -> its track, and the detections left out as ambiguous."""

    tracks: dict[int, _Track]
    ambiguous: set[int]


class ByteTracker:
    """ByteTrack (Zhang et al. 2022) with greedy matching, for jetson-inference's settings.

    Each frame, every track's Kalman filter predicts its box. The detections shown (`update`'s
    `detections`) continue confirmed tracks first, then the low-score boxes (`low`, which are
    not shown) continue tracks that were seen in the previous frame but found no shown box, as
    a person half hidden by another is scored low; then the shown boxes left continue
    unconfirmed tracks, and those still left start tracks. A box continues a track of its
    class whose predicted box it overlaps with an IoU of at least `overlap_threshold` (low-score
    boxes at least LOW_BOX_OVERLAP too); pairs are taken nearest first, by centre distance less
    a share of the IoU, and a box almost equally near two tracks continues neither.

    The settings are plain attributes, read on every update: a track gets its id once
    `min_frames` boxes have continued it (0 and 1: in its first frame), and is dropped when no
    box has continued it for more than `drop_frames` frames; until then its box keeps moving
    as predicted. Ids are never reused, not even after reset().
    """

    def __init__(self) -> None:
        self.min_frames = 3
        self.drop_frames = 15
        self.overlap_threshold = 0.1
        self._tracks: list[_Track] = []
        self._next_id = 0
        self._lock = threading.Lock()

    def new_id(self) -> int:
        """A track id never given before, by this method or by update(): for the tracks of a
        backend that tracks itself (detectNet), so that ids are not reused across a switch."""
        with self._lock:
            return self._take_id()

    def reset(self) -> None:
        """Forget all tracks; ids keep increasing, so none is ever reused."""
        with self._lock:
            self._tracks = []

    def update(
        self, detections: Sequence[Detection], low: Sequence[Detection] = ()
    ) -> list[Detection]:
        """Track one frame: copies of `detections`, in order, each with its confirmed track's
        id or None. `low`: the frame's boxes under the confidence threshold, which may continue
        tracks but never start one, and are not returned."""
        with self._lock:
            # drop here rather than after the last miss, so a lowered drop_frames applies at once
            self._tracks = [track for track in self._tracks if track.lost <= self.drop_frames]
            matched, matched_low, ambiguous = self._associate(detections, low)
            for index, track in matched.items():
                track.motion.update(detections[index].box)
            for index, track in matched_low.items():
                track.motion.update(low[index].box)
            continued = set(matched.values()) | set(matched_low.values())
            for track in self._tracks:
                if track in continued:
                    track.hits, track.lost = track.hits + 1, 0
                else:
                    track.lost += 1
            for index, detection in enumerate(detections):
                if index not in matched and index not in ambiguous:
                    matched[index] = _Track(detection.class_id, KalmanBox(detection.box))
                    self._tracks.append(matched[index])
            for track in self._tracks:
                if track.track_id is None and track.hits >= self.min_frames:
                    track.track_id = self._take_id()
            return [
                replace(detection, track_id=matched[i].track_id if i in matched else None)
                for i, detection in enumerate(detections)
            ]

    def _associate(
        self, detections: Sequence[Detection], low: Sequence[Detection]
    ) -> tuple[dict[int, _Track], dict[int, _Track], set[int]]:
        """Predict every track, then ByteTrack's stages: (shown box index -> its track,
        low-score box index -> its track, indices of the shown boxes left out as ambiguous)."""
        seen_last_frame = {track for track in self._tracks if track.lost == 0}
        for track in self._tracks:
            track.motion.predict(lost=track.lost > 0)
        confirmed = [track for track in self._tracks if track.track_id is not None]
        first = self._match(confirmed, detections, range(len(detections)), self.overlap_threshold)
        continued = set(first.tracks.values())  # tracks compare and hash by identity
        second = self._match(
            [track for track in confirmed if track in seen_last_frame - continued],
            low,
            range(len(low)),
            max(self.overlap_threshold, LOW_BOX_OVERLAP),
        )
        unconfirmed = [track for track in self._tracks if track.track_id is None]
        left = [
            i for i in range(len(detections)) if i not in first.tracks and i not in first.ambiguous
        ]
        third = self._match(unconfirmed, detections, left, self.overlap_threshold)
        return first.tracks | third.tracks, second.tracks, first.ambiguous | third.ambiguous

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    @staticmethod
    def _match(
        tracks: Sequence[_Track],
        detections: Sequence[Detection],
        indices: Sequence[int],
        threshold: float,
    ) -> _Matching:
        """Greedy matching of detections[indices] to tracks of their class, nearest first, in
        rounds: a box almost equally near two tracks waits for a later round, where the tracks
        that other boxes took no longer count; it is ambiguous if it is still in the last."""
        costs: dict[int, list[tuple[float, int]]] = {index: [] for index in indices}
        for number, track in enumerate(tracks):
            predicted = track.motion.box()
            for index in indices:
                detection = detections[index]
                if detection.class_id != track.class_id:
                    continue
                iou = box_iou(predicted, detection.box)
                if iou > 0 and iou >= threshold:
                    cost = track.motion.distance(detection.box) - IOU_WEIGHT * iou
                    costs[index].append((cost, number))
        matched: dict[int, _Track] = {}
        taken: set[int] = set()
        waiting = {index for index, candidates in costs.items() if candidates}
        while True:
            pairs, ambiguous = [], set()
            for index in waiting:
                free = sorted(candidate for candidate in costs[index] if candidate[1] not in taken)
                if len(free) > 1 and free[1][0] - free[0][0] < AMBIGUITY_MARGIN:
                    ambiguous.add(index)
                else:
                    pairs += [(cost, number, index) for cost, number in free]
            pairs.sort()  # ties go to the older track, then the first detection
            for _, number, index in pairs:
                if number not in taken and index not in matched:
                    taken.add(number)
                    matched[index] = tracks[number]
            if not pairs:
                return _Matching(matched, ambiguous)
            waiting = ambiguous


def by_confidence(
    detections: Sequence[Detection], threshold: float
) -> tuple[list[Detection], list[Detection]]:
    """(the detections at `threshold` or above, to show; the others: low-score boxes, for the
    tracker only)."""
    shown = [detection for detection in detections if detection.confidence >= threshold]
    return shown, [detection for detection in detections if detection.confidence < threshold]


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two (left, top, right, bottom) boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    overlap = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap
    return overlap / union if union > 0 else 0.0
