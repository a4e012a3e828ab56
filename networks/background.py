"""Background replacement: a person/foreground matte, composited over a blurred copy of the
frame, a green-screen colour or a generated backdrop."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import cv2
import numpy as np

from draw import Overlay
from frame import Frame
from model import NO_INPUTS, Inputs, Model, configure, setting
from results import BackgroundResult, DetectionResult

GREEN_SCREEN = (64, 177, 0)  # BGR of chroma-key green, RGB (0, 177, 64)
BLUR_DOWNSCALE = 8
BLUR_SIGMA = 3.0  # in downscaled pixels
# the backdrop: a diagonal gradient between these BGR colours with faint ripples on it
BACKDROP_FROM = np.array([120, 60, 40], np.float32)
BACKDROP_TO = np.array([170, 150, 60], np.float32)
RIPPLE_AMPLITUDE = 6.0
RIPPLE_FREQUENCY = 40.0


class Matting(Protocol):
    """A backend: a float32 0-1 foreground weight per pixel of a BGR frame, at its size.
    Optional: `configure(settings)`, called with the frame's settings before mask()
    (model.configure)."""

    def mask(self, image: np.ndarray) -> np.ndarray: ...


def blurred(image: np.ndarray) -> np.ndarray:
    """The frame strongly and cheaply blurred: downscaled, Gaussian-blurred, upscaled."""
    height, width = image.shape[:2]
    small = cv2.resize(
        image,
        (max(1, width // BLUR_DOWNSCALE), max(1, height // BLUR_DOWNSCALE)),
        interpolation=cv2.INTER_AREA,
    )
    small = cv2.GaussianBlur(small, (0, 0), BLUR_SIGMA)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def read_only(image: np.ndarray) -> np.ndarray:
    """The image, locked against writes (it is cached and shared)."""
    image.setflags(write=False)
    return image


@lru_cache(maxsize=4)
def green_screen(width: int, height: int) -> np.ndarray:
    """A frame-sized image of GREEN_SCREEN, cached per size."""
    return read_only(np.full((height, width, 3), GREEN_SCREEN, np.uint8))


@lru_cache(maxsize=4)
def backdrop(width: int, height: int) -> np.ndarray:
    """A generated backdrop (so no image file, no licence question): a soft diagonal gradient
    with faint concentric ripples. Cached per size."""
    y, x = np.ogrid[0 : 1 : complex(0, height), 0 : 1 : complex(0, width)]
    along = (0.6 * x + 0.4 * y)[..., None]
    ripple = RIPPLE_AMPLITUDE * np.sin(RIPPLE_FREQUENCY * np.hypot(x - 0.7, y - 0.3))
    image = BACKDROP_FROM + along * (BACKDROP_TO - BACKDROP_FROM) + ripple[..., None]
    return read_only(np.clip(np.rint(image), 0, 255).astype(np.uint8))


# mode -> the frame-sized uint8 BGR background for a frame
BACKGROUNDS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "blur": blurred,
    "colour": lambda image: green_screen(image.shape[1], image.shape[0]),
    "image": lambda image: backdrop(image.shape[1], image.shape[0]),
}


def composite(image: np.ndarray, mask: np.ndarray, background: np.ndarray) -> None:
    """image[:] = mask * image + (1 - mask) * background, in place; cv2.blendLinear does it in
    float32 and rounds, several times faster than the same in numpy."""
    image[:] = cv2.blendLinear(image, background, mask, 1.0 - mask)


@dataclass
class BackgroundSettings:
    mode: str = setting(
        "blur",
        help="what replaces the background: the frame blurred, a "
        "green-screen colour, or a generated image",
        choices=tuple(BACKGROUNDS),
        label="Background",
    )


class BackgroundModel(Model[BackgroundResult]):
    type = "background"
    Settings = BackgroundSettings

    def __init__(self, name: str, matting: Matting) -> None:
        super().__init__(name)
        self.matting = matting

    def process(self, frame: Frame, inputs: Inputs = NO_INPUTS) -> BackgroundResult:
        configure(self.matting, self.settings)
        mask = np.asarray(self.matting.mask(frame.image), np.float32)  # blendLinear's weights
        return BackgroundResult(frame.index, frame.timestamp, float(np.mean(mask > 0.5)), mask)

    def draw_overlay(self, overlay: Overlay, result: BackgroundResult) -> None:
        """The background replaced, except in the boxes of the frame's detections: what a
        box points at stays in view."""
        image = overlay.image
        detections = overlay.results.get("detection")
        mask = result.mask
        if isinstance(detections, DetectionResult) and detections.detections:
            mask = kept_in_boxes(mask, [d.box for d in detections.detections])
        composite(image, mask, BACKGROUNDS[self.settings.mode](image))


def kept_in_boxes(
    mask: np.ndarray, boxes: Iterable[tuple[float, float, float, float]]
) -> np.ndarray:
    """A copy of a foreground mask that is 1 (kept) inside each box."""
    kept = mask.copy()
    for box in boxes:
        left, top, right, bottom = (max(0, int(round(v))) for v in box)
        kept[top:bottom, left:right] = 1.0
    return kept
