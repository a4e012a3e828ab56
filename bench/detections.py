"""Labels on the test pictures: false whole-frame boxes and objects with two labels, NanoDet
before and now; HOG's boxes on them; NanoDet's people at street scale before and now.

    .venv/bin/python -m bench.detections

Prints figures, never passes or fails. The four test pictures (tests/data), each whole, as
centre crops of 4:3, 16:9, 1:1 and 3:4, and mirrored: 24 images, 6 of each picture. What each
shows was judged by eye: its subject (astronaut and grace_hopper a person, chelsea a cat,
coffee a cup) and what else may be named on it (a tie on grace_hopper; the dining table and
the spoon under the cup). Any other label is false; a false box covering at least 80 % of the
image is a false whole-frame box. Two boxes of different classes that overlap by IoU 0.5 or
more are one object with two labels. Thresholds are the detection defaults (confidence 0.4,
clustering 0.5). NanoDet runs four ways: the frame stretched to its square input or its shape
kept (letterboxed, as NanoDet is trained), each with suppression within classes only or also
across classes at IoU 0.85.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Iterator

import cv2
import numpy as np

import backends
from backends.onnx import NanoDetDetector
from bench.matching import matched
from bench.street_scene import DATA, street_scene
from catalogue import Catalogue
from networks.detection import Detector
from results import Detection
from tracker import box_iou

CONFIDENCE, CLUSTERING = 0.4, 0.5  # DetectionSettings' defaults
WHOLE_FRAME = 0.8
SUBJECT = {"astronaut.jpg": "person", "chelsea.jpg": "cat", "coffee.jpg": "cup"}
SUBJECT["grace_hopper.jpg"] = "person"
ALSO_THERE = {"grace_hopper.jpg": {"tie"}, "coffee.jpg": {"dining table", "spoon"}}
SHAPES = {"4:3": 4 / 3, "16:9": 16 / 9, "1:1": 1.0, "3:4": 3 / 4}


def variants(image: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """The picture whole, as centre crops of each shape, and mirrored."""
    height, width = image.shape[:2]
    yield "whole", image
    for shape, ratio in SHAPES.items():
        if width / height > ratio:
            crop = round(height * ratio)
            yield shape, image[:, (width - crop) // 2 : (width - crop) // 2 + crop]
        else:
            crop = round(width / ratio)
            yield shape, image[(height - crop) // 2 : (height - crop) // 2 + crop]
    yield "mirrored", image[:, ::-1]


def images() -> Iterator[tuple[str, str, np.ndarray]]:
    for name in SUBJECT:
        picture = cv2.imread(str(DATA / name), cv2.IMREAD_COLOR)
        for variant, image in variants(picture):
            yield name, variant, np.ascontiguousarray(image)


def nanodet(catalogue: Catalogue, keep_ratio: bool, across_classes: bool) -> NanoDetDetector:
    detector = backends.build(catalogue.find("detection", "nanodet-coco"))
    assert isinstance(detector, NanoDetDetector)
    detector.keep_ratio = keep_ratio
    if not across_classes:
        detector.same_object_iou = None
    return detector


def area_fraction(detection: Detection, image: np.ndarray) -> float:
    left, top, right, bottom = detection.box
    return (right - left) * (bottom - top) / (image.shape[0] * image.shape[1])


def false_boxes(name: str, found: list[Detection]) -> list[Detection]:
    plausible = {SUBJECT[name]} | ALSO_THERE.get(name, set())
    return [d for d in found if d.label not in plausible]


def two_labels(found: list[Detection]) -> int:
    return sum(
        a.label != b.label and box_iou(a.box, b.box) >= 0.5
        for a, b in itertools.combinations(found, 2)
    )


def describe(found: list[Detection], image: np.ndarray) -> str:
    return ", ".join(
        f"{d.label} {d.confidence:.2f} ({area_fraction(d, image) * 100:.0f} %)" for d in found
    )


Found = list[tuple[str, str, np.ndarray, list[Detection]]]  # picture, variant, image, boxes


def run_all(detectors: dict[str, NanoDetDetector]) -> tuple[dict[str, Found], dict[str, float]]:
    """Each detector's boxes on the 24 images, and its median ms (the detectors run in turn
    on each image, so that the machine's load falls on all alike)."""
    found: dict[str, Found] = {row: [] for row in detectors}
    times: dict[str, list[float]] = {row: [] for row in detectors}
    for name, variant, image in images():
        for row, detector in detectors.items():
            started = time.perf_counter()
            detections = detector.detect(image, CONFIDENCE, CLUSTERING)
            times[row].append((time.perf_counter() - started) * 1000)
            found[row].append((name, variant, image, detections))
    return found, {row: statistics.median(ms) for row, ms in times.items()}


def print_counts(found: dict[str, Found], ms: dict[str, float]) -> None:
    print(
        "| NanoDet | subject found (of 24) | false boxes | false whole-frame boxes"
        " | objects with two labels | median ms |"
    )
    print("|---|---|---|---|---|---|")
    for row, results in found.items():
        subjects = sum(any(d.label == SUBJECT[name] for d in ds) for name, _, _, ds in results)
        wrong = [(image, false_boxes(name, ds)) for name, _, image, ds in results]
        whole = sum(area_fraction(d, image) >= WHOLE_FRAME for image, ds in wrong for d in ds)
        doubled = sum(two_labels(ds) for _, _, _, ds in results)
        print(
            f"| {row} | {subjects} | {sum(len(ds) for _, ds in wrong)} | {whole} | {doubled}"
            f" | {ms[row]:.0f} |"
        )


def print_mistakes(row: str, results: Found) -> None:
    print(f"\n{row}:")
    for name, variant, image, ds in results:
        wrong = false_boxes(name, ds)
        missed = "" if any(d.label == SUBJECT[name] for d in ds) else f"no {SUBJECT[name]}; "
        if wrong or missed:
            print(f"  {name} {variant}: {missed}false {describe(wrong, image) or 'none'}")


def whole_pictures(detectors: dict[str, NanoDetDetector], hog: Detector) -> None:
    print("\nEach picture whole (label, confidence, % of the picture):\n")
    print("| picture | " + " | ".join(detectors) + " | HOG now |")
    print("|---|" + "---|" * (len(detectors) + 1))
    for name, variant, image in images():
        if variant != "whole":
            continue
        cells = [
            describe(d.detect(image, CONFIDENCE, CLUSTERING), image) for d in detectors.values()
        ]
        hog_found = hog.detect(image, CONFIDENCE, CLUSTERING)
        print(f"| {name} | " + " | ".join(cells + [describe(hog_found, image)]) + " |")


def street_people(detectors: dict[str, NanoDetDetector]) -> None:
    scenes = [street_scene(seed, plain=seed % 2 == 1) for seed in range(20)]
    walkers = sum(len(truth) for _, truth in scenes)
    print(
        f"\nNanoDet's people on bench/people.py's 20 street frames ({walkers} walkers 60-100 px):"
    )
    for row, detector in detectors.items():
        hits = found = 0
        for image, truth in scenes:
            people = [
                d for d in detector.detect(image, CONFIDENCE, CLUSTERING) if d.label == "person"
            ]
            hits += matched(people, truth)
            found += len(people)
        print(f"  {row}: recall {hits / walkers:.2f}, precision {hits / max(1, found):.2f}")


def main() -> None:
    catalogue = Catalogue()
    detectors = {
        "before: stretched, within classes": nanodet(catalogue, False, False),
        "stretched, across classes too": nanodet(catalogue, False, True),
        "shape kept, within classes": nanodet(catalogue, True, False),
        "now: shape kept, across classes too": nanodet(catalogue, True, True),
    }
    before_and_now = ("before: stretched, within classes", "now: shape kept, across classes too")
    found, ms = run_all(detectors)
    print_counts(found, ms)
    for row in before_and_now:
        print_mistakes(row, found[row])
    whole_pictures(detectors, backends.build(catalogue.find("detection", "hog-people")))
    street_people({row: detectors[row] for row in before_and_now})


if __name__ == "__main__":
    main()
