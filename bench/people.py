"""People at street scale: HOG before and now, and NanoDet, on synthetic street scenes.

    .venv/bin/python -m bench.people [--frames 20] [--save scene.png]

Prints figures, never passes or fails. Each 640x480 frame of bench/street_scene.py holds five
whole-body walkers 60-100 px tall (composites of the test portraits: see that module for what
they are and are not), on a street with facades, windows and posts (even seeds) or a plain
noisy wall (odd seeds). A detection is right when its IoU with a walker's tight box is at
least 0.5, each walker taken once. Thresholds are the detection defaults (confidence 0.4,
clustering 0.5). Rows:
- HOG before: frames shrunk to 320 px wide, the whole 64x128 window as the box;
- HOG at 320 and 640 px wide with the person's box (the window less its margins);
- HOG now: 1024 px wide (a 640 px frame upscaled 1.6 times), the person's box;
- OpenCV's Haar full-body cascade, the other people detector inside an installed wheel;
- NanoDet's person boxes (the default detector), for comparison.
Recall is also given by walker height. --save draws the first frame's walkers (green) and
what HOG now found (red) into a PNG.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

import backends
from backends.opencv_hog import HogPeopleDetector
from bench.matching import Box, matched
from bench.street_scene import street_scene
from catalogue import Catalogue
from results import Detection
from tracker import box_iou

CONFIDENCE, CLUSTERING = 0.4, 0.5  # DetectionSettings' defaults
BANDS = ((60, 75), (75, 90), (90, 101))  # walker heights, px
Detect = Callable[[np.ndarray], list[Detection]]


def hog(catalogue: Catalogue, width: int, whole_window: bool = False) -> Detect:
    entry = catalogue.find("detection", "hog-people")
    detector = HogPeopleDetector(dataclasses.replace(entry, input={"width": width}))
    if whole_window:
        detector.window_margin = (0, 0)
    return lambda image: detector.detect(image, CONFIDENCE, CLUSTERING)


def nanodet_people(catalogue: Catalogue) -> Detect:
    detector = backends.build(catalogue.find("detection", "nanodet-coco"))

    def people(image: np.ndarray) -> list[Detection]:
        found = detector.detect(image, CONFIDENCE, CLUSTERING)
        return [d for d in found if d.label == "person"]

    return people


def haar_full_body() -> Detect:
    """OpenCV's Haar cascade for whole bodies (in the opencv-python-headless wheel), on the
    grey frame; it gives no confidence."""
    cascade = cv2.CascadeClassifier(
        str(Path(cv2.__file__).parent / "data" / "haarcascade_fullbody.xml")
    )

    def bodies(image: np.ndarray) -> list[Detection]:
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        return [
            Detection(0, "person", 1.0, (float(x), float(y), float(x + w), float(y + h)))
            for x, y, w, h in cascade.detectMultiScale(grey, 1.05, 3)
        ]

    return bodies


def evaluate(rows: dict[str, Detect], scenes: Sequence[tuple[np.ndarray, list[Box]]]) -> None:
    """Each detector's recall, precision, recall by walker height and median ms; the
    detectors run in turn on each frame, so that the machine's load falls on all alike."""
    found: dict[str, list[list[Detection]]] = {name: [] for name in rows}
    times: dict[str, list[float]] = {name: [] for name in rows}
    for image, _ in scenes:
        for name, detect in rows.items():
            started = time.perf_counter()
            found[name].append(detect(image))
            times[name].append((time.perf_counter() - started) * 1000)
    walkers = sum(len(truth) for _, truth in scenes)
    for name, per_frame in found.items():
        hits = sum(matched(ds, truth) for ds, (_, truth) in zip(per_frame, scenes))
        boxes = sum(map(len, per_frame))
        by_height = " | ".join(f"{band_recall(per_frame, scenes, band):.2f}" for band in BANDS)
        print(
            f"| {name} | {hits / walkers:.2f} | {hits / max(1, boxes):.2f} | {by_height}"
            f" | {statistics.median(times[name]):.0f} |"
        )


def band_recall(
    per_frame: list[list[Detection]],
    scenes: Sequence[tuple[np.ndarray, list[Box]]],
    band: tuple[int, int],
) -> float:
    """Recall of the walkers whose height is in the band."""
    hits = walkers = 0
    for detections, (_, truth) in zip(per_frame, scenes):
        in_band = [box for box in truth if band[0] <= box[3] - box[1] < band[1]]
        walkers += len(in_band)
        hits += matched(detections, in_band)
    return hits / max(1, walkers)


def save(path: str, image: np.ndarray, truth: list[Box], detections: list[Detection]) -> None:
    drawn = image.copy()
    for left, top, right, bottom in truth:
        cv2.rectangle(drawn, (int(left), int(top)), (int(right), int(bottom)), (0, 200, 0), 1)
    for detection in detections:
        left, top, right, bottom = (int(v) for v in detection.box)
        cv2.rectangle(drawn, (left, top), (right, bottom), (0, 0, 255), 1)
        best = max((box_iou(detection.box, box) for box in truth), default=0.0)
        cv2.putText(
            drawn, f"{best:.2f}", (left, top - 3), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 255)
        )
    cv2.imwrite(path, drawn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--save", help="a PNG of the first frame: walkers, HOG now's boxes")
    args = parser.parse_args()
    scenes = [street_scene(seed, plain=seed % 2 == 1) for seed in range(args.frames)]
    catalogue = Catalogue()
    rows = {
        "HOG before: 320 px wide, whole window": hog(catalogue, 320, whole_window=True),
        "HOG 320 px wide, person box": hog(catalogue, 320),
        "HOG 640 px wide, person box": hog(catalogue, 640),
        "HOG now: 1024 px wide, person box": hog(catalogue, 1024),
        "Haar full-body cascade (OpenCV)": haar_full_body(),
        "NanoDet, person class": nanodet_people(catalogue),
    }
    walkers = sum(len(truth) for _, truth in scenes)
    print(
        f"{len(scenes)} frames 640x480, {walkers} walkers 60-100 px tall;"
        f" OpenCV threads {cv2.getNumThreads()}\n"
    )
    bands = " | ".join(f"recall {low}-{high - 1} px" for low, high in BANDS)
    print(f"| detector | recall | precision | {bands} | median ms |")
    print("|---|---|---|---|---|---|---|")
    evaluate(rows, scenes)
    if args.save:
        image, truth = scenes[0]
        save(args.save, image, truth, rows["HOG now: 1024 px wide, person box"](image))


if __name__ == "__main__":
    main()
