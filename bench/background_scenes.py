"""Test scenes for background matting, each with a reference of where the person is.

No picture of a street with walkers exists on this machine, so the street is synthetic:
drawn buildings, pavement, road, a lamp post and a car, and walkers made of the two
portraits' head and shoulders (cut along a hand-drawn outline) on a drawn jacket and legs,
60-150 px tall, moving 5-12 px a frame as pedestrians filmed at 10 fps do. The reference of a
portrait's person is the same hand-drawn outline, not any network's output, so no network is
graded against itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sources import PatternSource

PICTURES = Path(__file__).resolve().parents[1] / "tests" / "data"
# The person in each portrait, outlined by hand (x, y), and boxes of what is surely background
# (left, top, right, bottom): the flag and the rocket; the flag and the sky.
PERSON_OUTLINES = {
    "astronaut.jpg": [
        (165, 130), (160, 60), (200, 20), (260, 18), (300, 60), (290, 160), (310, 200),
        (350, 290), (360, 345), (300, 390), (280, 512), (30, 512), (40, 330), (70, 260),
        (130, 200), (160, 175),
    ],
    "grace_hopper.jpg": [
        (190, 30), (260, 20), (330, 40), (355, 90), (370, 150), (350, 200), (340, 260),
        (330, 320), (420, 370), (490, 410), (512, 460), (512, 600), (10, 600), (20, 480),
        (40, 400), (150, 340), (170, 300), (160, 230), (155, 150), (150, 100),
    ],
}  # fmt: skip
KNOWN_BACKGROUND = {
    "astronaut.jpg": [(0, 0, 100, 230), (340, 0, 512, 240)],
    "grace_hopper.jpg": [(0, 0, 140, 330), (380, 0, 512, 330)],
}
STREET_SIZE = (640, 480)
PAVEMENT, ROAD = 260, 330  # rows where the pavement and the road begin
LAMP_POST = (418, 110, 424, 335)
# walkers: portrait, height px, where the feet are at the first frame (x, y), px per frame
WALKERS = [
    ("astronaut.jpg", 100, (250, 320), 6),
    ("grace_hopper.jpg", 90, (330, 325), -5),
    ("astronaut.jpg", 70, (480, 310), 8),
    ("grace_hopper.jpg", 80, (560, 318), -9),
    ("grace_hopper.jpg", 120, (300, 460), 12),
    ("astronaut.jpg", 150, (560, 470), -7),
]


@dataclass
class Scene:
    """A BGR picture, where its person is (bool) and where surely no person is (bool)."""

    image: np.ndarray
    person: np.ndarray
    background: np.ndarray


def read(name: str) -> np.ndarray:
    image = cv2.imread(str(PICTURES / name))
    if image is None:
        raise FileNotFoundError(PICTURES / name)
    return image


def outline_mask(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """bool: inside the hand-drawn outline of the portrait's person."""
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.array(PERSON_OUTLINES[name], np.int32)], (1,))
    return mask.astype(bool)


def no_person_stills() -> dict[str, np.ndarray]:
    """Pictures with no person: a cat, a cup, and the test pattern's upper half (colour bars,
    ball and clock; its lower half holds the photograph of a person)."""
    pattern = PatternSource(640, 960, 30).read()[:480]
    return {"cat": read("chelsea.jpg"), "cup": read("coffee.jpg"), "test pattern": pattern}


def person_still(name: str) -> Scene:
    """A portrait, its hand-outlined person and its surely-background boxes."""
    image = read(name)
    background = np.zeros(image.shape[:2], bool)
    for left, top, right, bottom in KNOWN_BACKGROUND[name]:
        background[top:bottom, left:right] = True
    person = outline_mask(name, image.shape)
    return Scene(image, person, background & ~person)


def cut_by_the_edge() -> Scene:
    """Grace Hopper's portrait cut through the face by the right edge of the frame."""
    scene = person_still("grace_hopper.jpg")
    keep = slice(0, 300)
    return Scene(scene.image[:, keep].copy(), scene.person[:, keep], scene.background[:, keep])


def behind_a_desk() -> Scene:
    """The astronaut with a desk over her lower half and a monitor over her right arm: only
    her head, neck and left shoulder show."""
    scene = person_still("astronaut.jpg")
    image, person = scene.image.copy(), scene.person.copy()
    covers = [((0, 300, 512, 512), (60, 90, 120)), ((0, 150, 180, 300), (50, 50, 50))]
    background = scene.background.copy()
    for (left, top, right, bottom), colour in covers:
        cv2.rectangle(image, (left, top), (right - 1, bottom - 1), colour, -1)
        person[top:bottom, left:right] = False
        background[top:bottom, left:right] = True
    return Scene(image, person, background)


def street_backdrop(seed: int = 1) -> np.ndarray:
    """The street without people: buildings with windows, pavement, road, lamp post, car."""
    rng = np.random.default_rng(seed)
    width, height = STREET_SIZE
    image = np.full((height, width, 3), (200, 180, 150), np.uint8)  # sky
    left = 0
    while left < width:
        wide, tall = int(rng.integers(80, 160)), int(rng.integers(150, 260))
        colour = tuple(int(c) for c in rng.integers(60, 200, 3))
        cv2.rectangle(image, (left, PAVEMENT - tall), (left + wide, PAVEMENT), colour, -1)
        for y in range(PAVEMENT - tall + 15, PAVEMENT - 10, 30):
            for x in range(left + 10, left + wide - 15, 25):
                cv2.rectangle(image, (x, y), (x + 12, y + 16), (70, 60, 50), -1)
        left += wide
    image[PAVEMENT:ROAD] = (170, 170, 175)
    image[ROAD:] = (80, 80, 85)
    for x in range(0, width, 80):
        cv2.rectangle(image, (x, 400), (x + 40, 406), (230, 230, 230), -1)
    post_left, post_top, post_right, post_bottom = LAMP_POST
    cv2.rectangle(image, (post_left, post_top), (post_right, post_bottom), (40, 40, 40), -1)
    cv2.ellipse(image, (post_right + 6, post_top), (18, 7), 0, 0, 360, (40, 40, 40), -1)
    cv2.rectangle(image, (60, 350), (200, 410), (40, 40, 150), -1)
    cv2.rectangle(image, (85, 325), (175, 352), (60, 60, 160), -1)
    for x in (90, 170):
        cv2.circle(image, (x, 412), 14, (20, 20, 20), -1)
    return image


def bust(name: str, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The portrait's person, cut along its outline, scaled to `height`: BGR and uint8 0/1."""
    image = read(name)
    mask = outline_mask(name, image.shape).view(np.uint8)
    left, top, wide, tall = cv2.boundingRect(mask)
    size = (max(1, round(wide * height / tall)), height)
    crop = (slice(top, top + tall), slice(left, left + wide))
    return (
        cv2.resize(image[crop], size, interpolation=cv2.INTER_AREA),
        cv2.resize(mask[crop], size, interpolation=cv2.INTER_NEAREST),
    )


def walker(
    name: str, height: int, stride: int, trousers: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """A pedestrian `height` px tall: the portrait's head and shoulders (a third of the
    height), a jacket in the colour of its lower edge down to 55%, then two legs `stride` px
    apart at the feet. BGR and uint8 0/1."""
    top, top_mask = bust(name, round(height * 0.34))
    bust_height, wide = top_mask.shape
    image = np.zeros((height, wide, 3), np.uint8)
    mask = np.zeros((height, wide), np.uint8)
    image[:bust_height], mask[:bust_height] = top, top_mask
    columns = np.flatnonzero(top_mask[-3:].any(axis=0))
    left, right = int(columns.min()), int(columns.max())
    jacket = tuple(int(c) for c in np.median(top[-4:][top_mask[-4:] > 0], axis=0))
    waist, inset = round(height * 0.55), (right - left) // 8
    body = [(left, bust_height - 1), (right, bust_height - 1), (right - inset, waist),
            (left + inset, waist)]  # fmt: skip
    cv2.fillPoly(image, [np.array(body, np.int32)], jacket)
    cv2.fillPoly(mask, [np.array(body, np.int32)], (1,))
    centre, leg = (left + right) // 2, max(2, (right - left) // 7)
    for side in (-1, 1):
        hip, foot = centre + side * leg, centre + side * (leg + stride // 2)
        shape = [(hip - leg, waist - 1), (hip + leg, waist - 1),
                 (foot + leg * 3 // 4, height - 1), (foot - leg * 3 // 4, height - 1)]  # fmt: skip
        cv2.fillPoly(image, [np.array(shape, np.int32)], trousers)
        cv2.fillPoly(mask, [np.array(shape, np.int32)], (1,))
    return image, mask


def nearer_walkers() -> Scene:
    """The street with two walkers 220 and 300 px tall (46% and 63% of the frame): too tall
    to be far off, small for DeepLabV3. `background` is the lamp post, the car and the road."""
    image = street_backdrop()
    person = np.zeros(image.shape[:2], bool)
    for name, tall, centre in (("astronaut.jpg", 220, 150), ("grace_hopper.jpg", 300, 420)):
        figure, shape = walker(name, tall, 20, (60, 50, 40))
        left = centre - shape.shape[1] // 2
        rows, columns = slice(470 - tall, 470), slice(left, left + shape.shape[1])
        image[rows, columns][shape > 0] = figure[shape > 0]
        person[rows, columns] |= shape > 0
    return Scene(image, person, sure_background() & ~person)


def sure_background() -> np.ndarray:
    """bool: the street's lamp post, car and road."""
    width, height = STREET_SIZE
    sure = np.zeros((height, width), bool)
    left, top, right, bottom = LAMP_POST
    sure[top:bottom, left:right] = True
    sure[350:426, 60:200] = True  # the car
    sure[ROAD:] = True
    return sure


def street(frames: int = 12) -> list[Scene]:
    """The street with six walkers, `frames` frames at 10 fps: each walks at its speed (5-12
    px a frame), its legs swinging. `background` is the lamp post, the car and the road."""
    backdrop = street_backdrop()
    width, height = STREET_SIZE
    sure = sure_background()
    rng = np.random.default_rng(7)
    trousers = [tuple(int(c) for c in rng.integers(20, 90, 3)) for _ in WALKERS]
    scenes = []
    for index in range(frames):
        image, person = backdrop.copy(), np.zeros((height, width), bool)
        for (name, tall, (x, y), speed), colour in zip(WALKERS, trousers):
            stride = round(0.25 * tall * np.sin(index * 1.3 + x))
            figure, shape = walker(name, tall, stride, colour)
            wide = shape.shape[1]
            left = x + speed * index - wide // 2
            columns = slice(max(0, left), min(width, left + wide))
            if columns.start >= columns.stop:
                continue
            cut = slice(columns.start - left, columns.stop - left)
            rows = slice(y - tall, y)
            inside = shape[:, cut].astype(bool)
            image[rows, columns][inside] = figure[:, cut][inside]
            person[rows, columns] |= inside
        scenes.append(Scene(image, person, sure & ~person))
    return scenes
