"""Benchmark of the detection tracker on synthetic street scenes (bench/walkers.py).

    .venv/bin/python -m bench.tracking [--seeds 5] [--frames 900] [--jitter 5] [--overlaps 0.2,0.3]

Prints figures, never passes or fails. The old IoU tracker (bench/iou_tracker.py) and the
ByteTracker (tracker.py) run on the same scenes with the dashboard's default settings; the
IoU tracker gets the boxes shown (at the confidence threshold or above), the ByteTracker those
and the low-score boxes too, as networks/detection.py gives them. With --overlaps the
ByteTracker runs again at each overlap threshold. If the `trackers` package (Roboflow's, with
supervision and scipy) can be imported, its ByteTrackTracker runs too, with the same settings.

Per tracker, over every scene, on the boxes of walkers that are shown:
- id switches: a walker's box gets another id than its last one; per 30-frame window, the
  largest count, the mean, and the share of windows with at most 2;
- ids per walker (1 is best), the median number of frames an id is shown, and fragmentation:
  how often a walker shown with an id is next shown without one, per walker;
- the share of walkers' boxes shown without an id; ms per update (mean).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bench.iou_tracker import IouTracker
from bench.walkers import Scene, Sighting, Street, street_scene
from networks.detection import DetectionSettings
from results import Detection
from tracker import ByteTracker, box_iou, by_confidence

WINDOW = 30  # frames: 3 s at 10 fps
THRESHOLD = DetectionSettings().confidence_threshold

Update = Callable[[list[Detection], list[Detection]], list[Detection]]
"""A tracker's update: (shown boxes, low-score boxes) -> the shown boxes with track ids."""


@dataclass(frozen=True)
class Run:
    """What one tracker gave on one scene: the ids of each frame's shown walkers' boxes
    (walker -> id or None), and the seconds of each update."""

    ids: list[dict[int, int | None]]
    seconds: list[float]


def run(scene: Scene, update: Update) -> Run:
    ids, seconds = [], []
    for frame in scene.frames:
        shown, low = by_confidence([sighting.detection for sighting in frame], THRESHOLD)
        walkers = {id(s.detection): s.walker for s in frame}
        start = time.perf_counter()
        tracked = update(shown, low)
        seconds.append(time.perf_counter() - start)
        ids.append(
            {
                walker: out.track_id
                for shown_box, out in zip(shown, tracked)
                if (walker := walkers[id(shown_box)]) is not None
            }
        )
    return Run(ids, seconds)


@dataclass(frozen=True)
class Figures:
    switches: list[int]  # per window
    ids_per_walker: list[int]
    id_lives: list[int]  # frames each id is shown
    fragments: int  # a walker shown with an id, next shown without one
    walkers: int
    shown: int
    without_id: int
    seconds: list[float]


def figures(result: Run) -> Figures:
    last_id: dict[int, int] = {}
    had_id: dict[int, bool] = {}
    switches: dict[int, int] = defaultdict(int)
    ids: dict[int, set[int]] = defaultdict(set)
    lives: dict[int, int] = defaultdict(int)
    fragments = shown = without_id = 0
    for frame, found in enumerate(result.ids):
        for walker, track_id in found.items():
            shown += 1
            if track_id is None:
                without_id += 1
                fragments += had_id.get(walker, False)
            else:
                ids[walker].add(track_id)
                lives[track_id] += 1
                switches[frame // WINDOW] += last_id.get(walker, track_id) != track_id
                last_id[walker] = track_id
            had_id[walker] = track_id is not None
    windows = len(result.ids) // WINDOW
    return Figures(
        switches=[switches[window] for window in range(windows)],
        ids_per_walker=[len(given) for given in ids.values()],
        id_lives=list(lives.values()),
        fragments=fragments,
        walkers=len({walker for found in result.ids for walker in found}),
        shown=shown,
        without_id=without_id,
        seconds=result.seconds,
    )


def merged(parts: Sequence[Figures]) -> Figures:
    return Figures(
        switches=[n for part in parts for n in part.switches],
        ids_per_walker=[n for part in parts for n in part.ids_per_walker],
        id_lives=[n for part in parts for n in part.id_lives],
        fragments=sum(part.fragments for part in parts),
        walkers=sum(part.walkers for part in parts),
        shown=sum(part.shown for part in parts),
        without_id=sum(part.without_id for part in parts),
        seconds=[s for part in parts for s in part.seconds],
    )


def report(name: str, scenes: Sequence[Scene], make: Callable[[], Update]) -> None:
    total = merged([figures(run(scene, make())) for scene in scenes])
    switches = total.switches
    print(
        f"  {name:<30} {max(switches):>3} {statistics.mean(switches):>5.2f}"
        f" {sum(n <= 2 for n in switches) / len(switches):>5.0%}"
        f" {statistics.mean(total.ids_per_walker):>6.2f} {statistics.median(total.id_lives):>5.0f}"
        f" {total.fragments / total.walkers:>5.2f} {total.without_id / total.shown:>7.1%}"
        f" {1000 * statistics.mean(total.seconds):>6.3f}"
    )


def iou_tracker() -> Update:
    tracker = IouTracker()
    return lambda shown, low: tracker.update(shown)


def byte_tracker(overlap: float | None = None) -> Callable[[], Update]:
    def make() -> Update:
        tracker = ByteTracker()
        if overlap is not None:
            tracker.overlap_threshold = overlap
        return tracker.update

    return make


def roboflow_tracker() -> Update:
    """The `trackers` package's ByteTrackTracker with the dashboard's settings (3 frames to
    confirm, 15 frames lost, the confidence threshold); ImportError if it is not installed."""
    import numpy as np
    import supervision  # type: ignore[import-not-found]
    import trackers  # type: ignore[import-not-found]

    settings = DetectionSettings()
    tracker = trackers.ByteTrackTracker(
        lost_track_buffer=settings.tracking_drop_frames,
        frame_rate=30.0,  # the buffer is in frames at 30 fps: 15 frames
        track_activation_threshold=THRESHOLD,
        minimum_consecutive_frames=settings.tracking_min_frames,
        minimum_iou_threshold=0.1,  # its default, and its best here (0.2: more switches)
        high_conf_det_threshold=THRESHOLD,
    )

    def update(shown: list[Detection], low: list[Detection]) -> list[Detection]:
        boxes = shown + low
        found = tracker.update(
            supervision.Detections(
                xyxy=np.array([d.box for d in boxes], np.float32).reshape(-1, 4),
                confidence=np.array([d.confidence for d in boxes], np.float32),
                class_id=np.array([d.class_id for d in boxes], int),
                data={"index": np.arange(len(boxes))},
            )
        )
        given = {int(i): int(t) for i, t in zip(found.data.get("index", []), found.tracker_id)}
        return [
            replace(d, track_id=given[i] if given.get(i, -1) >= 0 else None)
            for i, d in enumerate(shown)
        ]

    return update


def describe(scenes: Sequence[Scene]) -> None:
    """The scenes' figures: what makes them like the street of issue 10."""
    overlaps, in_view, walkers, below = [], [], set(), []
    for number, scene in enumerate(scenes):
        previous: dict[int, Sighting] = {}
        for frame in scene.frames:
            now = {s.walker: s for s in frame if s.walker is not None}
            in_view.append(len(now))
            walkers |= {(number, walker) for walker in now}
            below += [s.detection.confidence < THRESHOLD for s in now.values()]
            overlaps += [
                box_iou(previous[w].detection.box, s.detection.box)
                for w, s in now.items()
                if w in previous
            ]
            previous = now
    frames = sum(len(scene.frames) for scene in scenes)
    quartiles = statistics.quantiles(overlaps)
    print(
        f"{len(scenes)} scenes of {len(scenes[0].frames)} frames: {len(walkers)} walkers,"
        f" {statistics.mean(in_view):.1f} detected a frame on average;"
        f" IoU of a walker's boxes in consecutive frames: median {statistics.median(overlaps):.2f},"
        f" quartiles {quartiles[0]:.2f}-{quartiles[2]:.2f};"
        f" {statistics.mean(below):.0%} of walkers' boxes under the confidence threshold"
        f" {THRESHOLD}; {WINDOW * sum(s.crossings for s in scenes) / frames:.1f} crossings"
        f" (true boxes at IoU > 0.2) per {WINDOW} frames"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="scenes, one per random seed")
    parser.add_argument("--frames", type=int, default=900, help="frames per scene (10 fps)")
    parser.add_argument(
        "--jitter", type=float, default=Street.edge_jitter, help="px, of each edge of a box"
    )
    parser.add_argument("--overlaps", default="", help="also these overlap thresholds: 0.2,0.3")
    args = parser.parse_args()
    scenes = [
        street_scene(Street(frames=args.frames, edge_jitter=args.jitter), seed)
        for seed in range(args.seeds)
    ]
    describe(scenes)
    print(
        f"  {'tracker':<30} id switches per {WINDOW} frames: max, mean, share of windows <= 2;"
        " ids per walker; median frames an id is shown; fragmentation per walker;"
        " without an id; ms per update"
    )
    report("IoU tracker (before)", scenes, iou_tracker)
    report("ByteTracker (tracker.py)", scenes, byte_tracker())
    for overlap in [float(value) for value in args.overlaps.split(",") if value]:
        report(f"ByteTracker, overlap {overlap}", scenes, byte_tracker(overlap))
    try:
        report("trackers' ByteTrackTracker", scenes, roboflow_tracker)
    except ImportError:
        print("  (the trackers package is not installed: its ByteTrackTracker is left out)")


if __name__ == "__main__":
    main()
