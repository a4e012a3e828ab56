"""The IoU tracker used before tracker.ByteTracker: the baseline of bench/tracking.py."""

from __future__ import annotations

from dataclasses import dataclass, replace

from results import Detection
from tracker import box_iou


@dataclass(eq=False)
class _Track:
    """One tracked object: its class, latest box, matched-frame count and lost-frame count."""

    class_id: int
    box: tuple[float, float, float, float]
    hits: int = 1
    lost: int = 0
    track_id: int | None = None


class IouTracker:
    """Frame-to-frame IoU tracker (Bochinski et al. 2017), as jetson-inference's objectTrackerIOU.

    The settings are plain attributes, read on every update, so they may be changed between frames:
    `min_frames` matched frames confirm a track (it gets an id; 0 and 1 both confirm an object in
    the frame it is first seen), a track unmatched for more than `drop_frames` consecutive frames
    is dropped, and a detection matches a track of its class when their IoU is at least
    `overlap_threshold`.
    """

    def __init__(self) -> None:
        self.min_frames = 3
        self.drop_frames = 15
        self.overlap_threshold = 0.5
        self._tracks: list[_Track] = []
        self._next_id = 0

    def update(self, detections: list[Detection]) -> list[Detection]:
        """Track one frame: copies of `detections`, in order, each with its confirmed track's
        id or None."""
        # drop here rather than after the last miss, so a lowered drop_frames applies at once
        self._tracks = [track for track in self._tracks if track.lost <= self.drop_frames]
        matches = self._match(detections)
        matched = set(matches.values())  # tracks compare and hash by identity
        for old in self._tracks:
            if old not in matched:
                old.lost += 1
        tracked = []
        for index, detection in enumerate(detections):
            track = matches.get(index)
            if track is None:
                track = _Track(detection.class_id, detection.box)
                self._tracks.append(track)
            else:
                track.box, track.hits, track.lost = detection.box, track.hits + 1, 0
            if track.track_id is None and track.hits >= self.min_frames:
                track.track_id, self._next_id = self._next_id, self._next_id + 1
            tracked.append(replace(detection, track_id=track.track_id))
        return tracked

    def _match(self, detections: list[Detection]) -> dict[int, _Track]:
        """Greedy matching, highest IoU first: detection index -> track of the same class."""
        threshold = self.overlap_threshold
        pairs = [
            (iou, track_index, index)
            for track_index, track in enumerate(self._tracks)
            for index, detection in enumerate(detections)
            if detection.class_id == track.class_id
            and (iou := box_iou(track.box, detection.box)) > 0
            and iou >= threshold
        ]
        pairs.sort(key=lambda pair: -pair[0])  # stable: ties go to the older track, first detection
        matches: dict[int, _Track] = {}
        taken: set[int] = set()
        for _, track_index, index in pairs:
            if track_index not in taken and index not in matches:
                taken.add(track_index)
                matches[index] = self._tracks[track_index]
        return matches
