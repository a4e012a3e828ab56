"""A synthetic street: whole-body walkers 60-100 px tall pasted into 640x480 frames.

No pedestrian footage ships with the project, and its two photographs of people
(tests/data/astronaut.jpg, grace_hopper.jpg) are head-and-shoulders portraits, which is not
what a pedestrian detector is trained on (upright whole bodies, INRIA / Daimler). So each
walker is a composite: the person cut out of a portrait (GrabCut, started from a hand-drawn
outline) and scaled so that the head-to-shoulder distance is that of a standing adult, the
torso continued down to the hips in the clothes' colour, and two drawn legs in trousers and
shoes in a walking stride. At 60-100 px tall this has the outline that matters to a detector
(head, shoulders, torso, legs), but it is not a photograph of a pedestrian: the figures are
stiff, front-facing and lit like a studio portrait, so figures measured on them are an
indication, not a street's.

Every frame comes from a seed: the same seed gives the same picture and boxes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from bench.matching import Box

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
FRAME_SIZE = (640, 480)


@dataclass(frozen=True)
class Portrait:
    """A test photograph of a person: an outline around them ("x,y x,y ...", drawn by hand as
    GrabCut's start), the rows of the top of the head and of the shoulder line."""

    file: str
    outline: str
    head_top: int
    shoulders: int

    def polygon(self) -> np.ndarray:
        return np.array([point.split(",") for point in self.outline.split()], np.int32)


PORTRAITS = (
    Portrait(
        "astronaut.jpg",
        "225,15 280,30 300,80 300,130 305,200 300,260 345,300 360,340 300,350 285,420 280,512"
        " 20,512 20,380 30,280 110,240 115,190 140,160 155,110 155,60 180,25",
        head_top=15,
        shoulders=280,
    ),
    Portrait(
        "grace_hopper.jpg",
        "260,25 355,60 372,110 365,180 370,200 355,300 330,330 450,380 500,420 512,450 512,600"
        " 10,600 15,440 60,380 200,320 170,290 155,200 148,120 160,70 200,40",
        head_top=25,
        shoulders=390,
    ),
)

# Heights as fractions of the whole figure, head top 0, soles 1.
SHOULDER_LINE = 0.19
HIP_LINE = 0.5
ANKLE_LINE = 0.96
THIGH_WIDTH = 0.085
ANKLE_WIDTH = 0.05
HIP_JOINT_OFFSET = 0.045  # each hip joint from the body's centre line
MAX_STRIDE = 0.26  # the feet's largest distance apart, walking


@functools.cache
def cutout(portrait: Portrait) -> tuple[np.ndarray, np.ndarray]:
    """(BGR pixels, 0-1 float32 alpha) of the person in a portrait, cropped to them."""
    image = cv2.imread(str(DATA / portrait.file), cv2.IMREAD_COLOR)
    inside = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(inside, [portrait.polygon()], [1])
    mask = np.where(inside > 0, cv2.GC_PR_FGD, cv2.GC_BGD).astype(np.uint8)
    mask[cv2.erode(inside, np.ones((41, 41), np.uint8)) > 0] = cv2.GC_FGD
    cv2.setRNGSeed(0)
    background, foreground = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.grabCut(image, mask, (0, 0, 0, 0), background, foreground, 5, cv2.GC_INIT_WITH_MASK)
    alpha = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.float32)
    x, y, w, h = cv2.boundingRect(alpha.astype(np.uint8))
    return image[y : y + h, x : x + w], alpha[y : y + h, x : x + w]


def walker(rng: np.random.Generator, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(BGR, 0-1 alpha) of one whole-body walker `height` px tall: a portrait's upper body on
    a continued torso and drawn legs in a random stride; see the module docstring."""
    portrait = PORTRAITS[int(rng.integers(len(PORTRAITS)))]
    pixels, alpha = cutout(portrait)
    scale = SHOULDER_LINE * height / (portrait.shoulders - portrait.head_top)
    size = (max(1, round(pixels.shape[1] * scale)), max(1, round(pixels.shape[0] * scale)))
    upper = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    upper_alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        upper, upper_alpha = upper[:, ::-1], upper_alpha[:, ::-1]
    width = max(size[0], round(MAX_STRIDE * height + 2 * THIGH_WIDTH * height)) + 4
    canvas = np.zeros((height, width, 3), np.uint8)
    cover = np.zeros((height, width), np.float32)
    centre = width / 2
    # the torso, continued from the cut-off bottom of the portrait to the hips
    bottom = min(size[1], round(HIP_LINE * height))
    last_row = np.flatnonzero(upper_alpha[bottom - 1] > 0.5)
    left = (width - size[0]) // 2
    if len(last_row):
        coat = np.median(upper[bottom - 1, last_row], axis=0)
        torso_left = left + last_row[0] + 0.1 * (last_row[-1] - last_row[0])
        torso_right = left + last_row[-1] - 0.1 * (last_row[-1] - last_row[0])
        hip_half = max(HIP_JOINT_OFFSET + THIGH_WIDTH / 2, 0.08) * height
        polygon = [
            (left + last_row[0], bottom - 1),
            (left + last_row[-1], bottom - 1),
            (max(torso_right, centre + hip_half), HIP_LINE * height + 2),
            (min(torso_left, centre - hip_half), HIP_LINE * height + 2),
        ]
        _fill(canvas, cover, polygon, coat)
    # the legs: trousers from the hip joints to the ankles, shoes below
    trousers = rng.integers(20, 120, 3)
    stride = rng.uniform(0.05, MAX_STRIDE) * height
    for side in (-1, 1):
        hip_x = centre + side * HIP_JOINT_OFFSET * height
        foot_x = centre + side * stride / 2
        hip_y, ankle_y = HIP_LINE * height, ANKLE_LINE * height
        thigh, ankle = THIGH_WIDTH * height / 2, ANKLE_WIDTH * height / 2
        leg = [
            (hip_x - thigh, hip_y),
            (hip_x + thigh, hip_y),
            (foot_x + ankle, ankle_y),
            (foot_x - ankle, ankle_y),
        ]
        _fill(canvas, cover, leg, trousers * (0.85 if side < 0 else 1.0))
        shoe = [
            (foot_x - ankle * 1.2, ankle_y - 1),
            (foot_x + ankle * 1.2 + side * ankle, ankle_y - 1),
            (foot_x + ankle * 1.2 + side * ankle, height - 1),
            (foot_x - ankle * 1.2, height - 1),
        ]
        _fill(canvas, cover, shoe, np.array([25, 25, 30]))
    # the upper body on top
    region = (slice(0, bottom), slice(left, left + size[0]))
    weight = upper_alpha[:bottom, :, None]
    canvas[region] = (weight * upper[:bottom] + (1 - weight) * canvas[region]).astype(np.uint8)
    cover[region] = np.maximum(cover[region], upper_alpha[:bottom])
    return canvas, cover


def _fill(
    canvas: np.ndarray,
    cover: np.ndarray,
    polygon: list[tuple[float, float]],
    colour: np.ndarray,
) -> None:
    """Paint a polygon (fractional pixels, anti-aliased) on the canvas and mark it covered."""
    points = np.round(np.array(polygon) * 16).astype(np.int32)  # 4 fractional bits
    cv2.fillPoly(canvas, [points], [float(c) for c in colour], cv2.LINE_AA, shift=4)
    cv2.fillPoly(cover, [points], [1.0], cv2.LINE_AA, shift=4)


def street(rng: np.random.Generator, plain: bool = False) -> np.ndarray:
    """A 640x480 background: a grey wall with noise (plain), or a street: facades with
    windows and doors, posts, a pavement and a road."""
    width, height = FRAME_SIZE
    noise = rng.normal(0, 6, (height, width, 1))
    if plain:
        image = np.full((height, width, 3), rng.integers(90, 170), np.float64) + noise
        return image.clip(0, 255).astype(np.uint8)
    image = np.zeros((height, width, 3), np.float64)
    horizon = int(height * 0.5)
    image[:horizon] = rng.integers(60, 200, 3)
    x = 0
    while x < width:  # facades of varying width and colour, each with rows of windows
        facade = int(rng.integers(120, 260))
        colour = rng.integers(70, 200, 3)
        image[: horizon + 20, x : x + facade] = colour
        pane = int(rng.integers(14, 26))
        for wy in range(int(rng.integers(8, 20)), horizon - 10, pane * 2):
            for wx in range(x + 8, x + facade - pane, int(pane * 1.8)):
                image[wy : wy + pane, wx : wx + pane] = colour * 0.35
        door = x + facade // 3
        image[horizon - 40 : horizon + 20, door : door + 22] = colour * 0.3
        x += facade
    image[horizon + 20 :] = (150, 150, 150)  # the pavement
    road = int(height * 0.9)
    image[road:] = (70, 70, 75)
    for px in rng.integers(0, width, 3):  # posts
        image[horizon - 120 : road, px : px + 5] = (40, 45, 40)
    return (image + noise).clip(0, 255).astype(np.uint8)


def street_scene(seed: int, people: int = 5, plain: bool = False) -> tuple[np.ndarray, list[Box]]:
    """A 640x480 frame with `people` walkers 60-100 px tall (taller nearer the bottom, as
    on a street seen from above head height) that do not overlap, and their tight boxes."""
    rng = np.random.default_rng(seed)
    frame = street(rng, plain)
    width, height = FRAME_SIZE
    boxes: list[Box] = []
    for _ in range(people * 20):
        if len(boxes) == people:
            break
        feet = rng.uniform(0.62, 0.97) * height
        tall = round(60 + 40 * (feet - 0.62 * height) / (0.35 * height))
        figure, cover = walker(rng, tall)
        left = int(rng.integers(0, width - figure.shape[1]))
        top = int(feet) - tall
        ys, xs = np.nonzero(cover > 0.5)
        box = (left + xs.min(), top + ys.min(), left + xs.max() + 1.0, top + ys.max() + 1.0)
        if any(box[0] < other[2] + 4 and other[0] < box[2] + 4 for other in boxes):
            continue  # side by side only: a detector is not asked to split a crowd here
        paste(frame, figure, cover, left, top)
        boxes.append(tuple(float(v) for v in box))  # type: ignore[arg-type]
    return frame, boxes


def paste(frame: np.ndarray, figure: np.ndarray, cover: np.ndarray, left: int, top: int) -> None:
    """Blend a figure into a frame in place, its top left corner at (left, top)."""
    height, width = cover.shape
    region = frame[top : top + height, left : left + width]
    weight = cover[:, :, None]
    region[:] = (weight * figure + (1 - weight) * region).astype(np.uint8)


def as_sent_again(image: np.ndarray, rng: np.random.Generator, noise: float = 6.0) -> np.ndarray:
    """An unchanging picture as a camera sends it once more: sensor noise, then JPEG at
    quality 80."""
    noisy = (image + rng.normal(0, noise, image.shape)).clip(0, 255).astype(np.uint8)
    return cv2.imdecode(cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 80])[1], 1)
