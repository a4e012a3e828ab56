"""What scene_change.py's thresholds sit between, and a slideshow through the pose network.

    .venv/bin/python -m bench.scene_cuts

Prints figures, never passes or fails.
1. For each kind of frame pair, the range of the three measures on 32x24 grey thumbnails
   (largest difference, mean difference, correlation) and what compare() calls them:
   cuts between the test pictures and between synthetic streets (640x480), an unchanging
   picture sent again with camera noise and JPEG, exposure changes, a 70 px walker moving
   1-12 px, a whole picture panning 1-30 px, and a dark empty scene's noise; then what
   SceneWatch calls the walker moving 1 px a frame.
2. BlazePose on a slideshow (astronaut, chelsea, grace_hopper, coffee, chelsea, 10 frames
   each): frames of the cat and the cup with a person found, with the tracking carried from
   picture to picture (reset hidden from the model) and as the model runs now.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import cv2
import numpy as np

from bench.street_scene import DATA, as_sent_again, paste, street, street_scene, walker
from catalogue import Catalogue
from frame import Frame
from networks import load_model
from networks.pose import PoseModel
from scene_change import (
    CUT_CORRELATION,
    CUT_LEVEL,
    SAME_LEVEL,
    SceneWatch,
    compare,
    correlation,
    thumbnail,
)

PICTURES = ("astronaut.jpg", "chelsea.jpg", "coffee.jpg", "grace_hopper.jpg")
Pair = tuple[np.ndarray, np.ndarray]


def slide(name: str) -> np.ndarray:
    image = cv2.imread(str(DATA / name), cv2.IMREAD_COLOR)
    return cv2.resize(image, (640, 480), interpolation=cv2.INTER_AREA)


def cuts() -> Iterator[Pair]:
    pictures = [slide(name) for name in PICTURES] + [street_scene(seed)[0] for seed in range(3)]
    return itertools.permutations(pictures, 2)


def unchanging() -> Iterator[Pair]:
    rng = np.random.default_rng(0)
    for name, noise in itertools.product(PICTURES, (3.0, 6.0)):
        yield as_sent_again(slide(name), rng, noise), as_sent_again(slide(name), rng, noise)


def exposure() -> Iterator[Pair]:
    for name in PICTURES:
        image = slide(name)
        yield image, cv2.convertScaleAbs(image, alpha=1.0, beta=20)
        yield image, cv2.convertScaleAbs(image, alpha=1.2)


def walker_frames(lefts: Iterable[int]) -> list[np.ndarray]:
    """A 70 px walker on a street at these distances from the left edge, one frame each."""
    rng = np.random.default_rng(1)
    background = street(rng)
    figure, cover = walker(rng, 70)
    frames = []
    for left in lefts:
        frame = background.copy()
        paste(frame, figure, cover, left, 300)
        frames.append(frame)
    return frames


def walking() -> Iterator[Pair]:
    frames = walker_frames((200, 201, 205, 212))
    return ((frames[0], moved) for moved in frames[1:])


def slow_walk() -> str:
    """What SceneWatch calls 20 frames of the walker moving 1 px a frame."""
    watch = SceneWatch()
    return "".join(watch.update(frame).value[0] for frame in walker_frames(range(200, 220)))


def panning() -> Iterator[Pair]:
    for name, step in itertools.product(PICTURES, (1, 3, 10, 30)):
        yield slide(name), np.roll(slide(name), step, axis=1)


def dark_noise() -> Iterator[Pair]:
    rng = np.random.default_rng(2)
    dark = np.full((480, 640, 3), 12, np.uint8)
    for _ in range(5):
        yield as_sent_again(dark, rng, 20.0), as_sent_again(dark, rng, 20.0)


def measure(kind: str, pairs: Iterator[Pair]) -> None:
    largest, mean, correlated, verdicts = [], [], [], Counter[str]()
    for before, after in pairs:
        a, b = thumbnail(before), thumbnail(after)
        difference = np.abs(a - b)
        largest.append(float(difference.max()))
        mean.append(float(difference.mean()))
        correlated.append(correlation(a, b))
        verdicts[compare(a, b).value] += 1
    called = ", ".join(f"{verdict} {count}" for verdict, count in sorted(verdicts.items()))
    print(
        f"| {kind} | {len(mean)} | {min(largest):.0f}-{max(largest):.0f}"
        f" | {min(mean):.1f}-{max(mean):.1f} | {min(correlated):.2f}-{max(correlated):.2f}"
        f" | {called} |"
    )


class WithoutReset:
    """A pose backend with its reset() hidden, as the pose network was before cuts were
    seen: it follows people from one picture to the next."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.keypoint_names = backend.keypoint_names
        self.links = backend.links

    def estimate(self, image: np.ndarray) -> list[list[tuple[float, float, float]]]:
        return self._backend.estimate(image)


def people_on_pictures_of_nobody(model: PoseModel) -> int:
    """Frames of the slideshow showing the cat or the cup on which a person is found."""
    found = 0
    slideshow = ("astronaut.jpg", "chelsea.jpg", "grace_hopper.jpg", "coffee.jpg", "chelsea.jpg")
    for index, name in enumerate(n for n in slideshow for _ in range(10)):
        result = model.process(Frame(slide(name), index, index / 30))
        found += bool(result.poses) and name in ("chelsea.jpg", "coffee.jpg")
    return found


def main() -> None:
    print(
        f"Thresholds: same if the largest difference <= {SAME_LEVEL:g}; cut if the correlation"
        f" < {CUT_CORRELATION:g} and the mean difference >= {CUT_LEVEL:g} (grey levels).\n"
    )
    print("| frame pair | pairs | largest difference | mean difference | correlation | called |")
    print("|---|---|---|---|---|---|")
    measure("another picture (test stills, synthetic streets)", cuts())
    measure("the same picture sent again (noise 3 or 6, JPEG q80)", unchanging())
    measure("exposure +20 levels or x1.2", exposure())
    measure("a 70 px walker moving 1, 5, 12 px", walking())
    measure("the whole picture panning 1, 3, 10, 30 px", panning())
    measure("a dark empty scene, noise 20", dark_noise())
    print(
        "\nSceneWatch compares with the last frame that changed: the walker at 1 px a frame,"
        f" 20 frames (first, same, moved, cut): {slow_walk()}"
    )

    catalogue = Catalogue()
    now = load_model(catalogue.find("pose", "mediapipe-body"))
    before = load_model(catalogue.find("pose", "mediapipe-body"))
    assert isinstance(now, PoseModel) and isinstance(before, PoseModel)
    before.estimator = WithoutReset(before.estimator)
    print(
        "\nBlazePose on a slideshow: frames of the cat and the cup (30) with a person found:"
        f" tracking carried across pictures {people_on_pictures_of_nobody(before)},"
        f" now {people_on_pictures_of_nobody(now)}"
    )


if __name__ == "__main__":
    main()
