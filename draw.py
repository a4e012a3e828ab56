"""Overlay drawing shared by the pipeline and the networks: colours, text panels, boxes, and
the Overlay of a frame, through which its networks place their labels (placement.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import cv2
import numpy as np

from placement import LabelLayout, Point, Rect, along_edge, around_box
from results import Result

FONT = cv2.FONT_HERSHEY_SIMPLEX
BGR = tuple[int, int, int]
BLACK: BGR = (0, 0, 0)
WHITE: BGR = (255, 255, 255)
DARK_GREY: BGR = (40, 40, 40)
# text scale: the frame's shorter side over this, within the bounds (0.5 at 480 px)
TEXT_SCALE_SIDE = 960
TEXT_SCALE_BOUNDS = (0.4, 1.2)
MIN_TEXT_SCALE = 0.2  # a panel too large for its frame shrinks down to this


def class_colour(class_id: int) -> BGR:
    """A stable, distinct BGR colour per class (golden-ratio hues)."""
    hue = int((class_id * 0.618033988749895 % 1.0) * 180)
    hsv = np.array([[[hue, 220, 200]]], np.uint8)
    blue, green, red = (int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])
    return blue, green, red


def luminance(colour: BGR) -> float:
    """The relative luminance of an sRGB colour given as BGR, 0 (black) to 1 (white), as WCAG
    defines it."""
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        for c in (channel / 255 for channel in colour)
    ]
    blue, green, red = linear
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(a: BGR, b: BGR) -> float:
    """The WCAG contrast ratio of two colours, 1 (the same) to 21 (black and white)."""
    lighter, darker = sorted((luminance(a), luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour(background: BGR) -> BGR:
    """Black or white, whichever stands out more on `background` (black on light colours)."""
    return max((BLACK, WHITE), key=lambda colour: contrast(colour, background))


def text_scale(width: int, height: int) -> float:
    """The font scale of overlay text on a frame of this size: larger on larger frames."""
    low, high = TEXT_SCALE_BOUNDS
    return min(high, max(low, min(width, height) / TEXT_SCALE_SIDE))


@dataclass(frozen=True)
class Panel:
    """Lines of text on a filled rectangle; with `swatches`, a square of that colour before
    each line (a legend). The text is black or white, whichever contrasts with the fill."""

    lines: tuple[str, ...]
    background: BGR
    scale: float
    swatches: tuple[BGR, ...] = ()

    @property
    def thickness(self) -> int:
        return 1 if self.scale < 0.8 else 2

    def _metrics(self) -> tuple[int, int, int]:
        """Height of a capital, height of a line, padding around the text."""
        (_, cap), descent = cv2.getTextSize("Hg", FONT, self.scale, self.thickness)
        pad = max(2, round(cap * 0.4))
        return cap, cap + descent + pad, pad

    def size(self) -> tuple[int, int]:
        """Width and height in pixels."""
        cap, line, pad = self._metrics()
        text = max(cv2.getTextSize(t, FONT, self.scale, self.thickness)[0][0] for t in self.lines)
        swatch = cap + pad if self.swatches else 0
        return text + swatch + 2 * pad, line * len(self.lines) + pad

    def draw(self, image: np.ndarray, corner: Point) -> None:
        """Draw it with its top-left corner at `corner`, in place."""
        cap, line, pad = self._metrics()
        width, height = self.size()
        x, y = corner
        cv2.rectangle(image, (x, y), (x + width - 1, y + height - 1), self.background, -1)
        ink = text_colour(self.background)
        for index, text in enumerate(self.lines):
            baseline = y + pad + cap + index * line
            left = x + pad
            if self.swatches:
                top_left = (left, baseline - cap)
                cv2.rectangle(image, top_left, (left + cap, baseline), self.swatches[index], -1)
                left += cap + pad
            cv2.putText(
                image, text, (left, baseline), FONT, self.scale, ink, self.thickness, cv2.LINE_AA
            )


class Overlay:
    """The overlays of one frame being drawn: its image, the results drawn on it by type (one
    network's drawing may depend on another's), and the layout of its labels.

    Shapes (tints, boxes, skeletons) are drawn at once; text panels are placed at once, where
    they cover no other panel and stay inside the frame (placement.py), and drawn by finish()
    on top of every shape, so that nothing paints over them."""

    def __init__(self, image: np.ndarray, results: Mapping[str, Result] | None = None) -> None:
        self.image = image
        self.results: Mapping[str, Result] = results or {}
        height, width = image.shape[:2]
        self.layout = LabelLayout(width, height)
        self.scale = text_scale(width, height)
        self.placed: list[tuple[Panel, Rect]] = []  # the panels placed, and where

    @property
    def size(self) -> tuple[int, int]:
        return self.layout.width, self.layout.height

    @property
    def margin(self) -> int:
        """The gap between a panel in a corner and the frame's edges."""
        return max(2, round(16 * self.scale))

    @property
    def labels(self) -> list[Rect]:
        """The rectangles of the panels placed so far."""
        return [rect for _, rect in self.placed]

    def panel(
        self,
        lines: Iterable[str],
        background: BGR,
        scale: float = 1.0,
        swatches: tuple[BGR, ...] = (),
    ) -> Panel:
        """A panel of these lines at `scale` times the frame's text scale, smaller if need be
        to fit in the frame within its margins."""
        panel = Panel(tuple(lines), background, self.scale * scale, swatches)
        room = self.layout.width - 2 * self.margin, self.layout.height - 2 * self.margin
        while True:
            width, height = panel.size()
            shrink = min(room[0] / width, room[1] / height)
            if shrink >= 1 or panel.scale <= MIN_TEXT_SCALE:
                return panel
            panel = replace(panel, scale=max(MIN_TEXT_SCALE, panel.scale * min(0.9, shrink)))

    def place(self, panel: Panel, corners: Iterable[Point]) -> Rect | None:
        """Place a panel at the best free one of its candidate corners (LabelLayout.place);
        its rectangle, or None if there is no room for it (it is then not drawn)."""
        rect = self.layout.place(panel.size(), corners)
        if rect is not None:
            self.placed.append((panel, rect))
        return rect

    def place_by(self, panel: Panel, box: Rect) -> Rect | None:
        """Place a panel by a box: above, below, inside or beside it (placement.around_box)."""
        return self.place(panel, around_box(box, panel.size()))

    def place_in_corner(self, panel: Panel, corner: str) -> Rect | None:
        """Place a panel in a corner of the frame, or as near it along the side as is free."""
        margin = self.margin
        return self.place(panel, along_edge(self.size, panel.size(), corner, margin, margin))

    def finish(self) -> None:
        """Draw the panels placed, on top of everything drawn before."""
        for panel, rect in self.placed:
            panel.draw(self.image, (rect[0], rect[1]))


def blend_box(image: np.ndarray, box: Rect, colour: BGR, alpha: float) -> None:
    """Fill a box with `colour` at opacity `alpha` (0-1), in place."""
    left, top, right, bottom = box
    region = image[top:bottom, left:right]
    if region.size and alpha > 0:
        tint = np.empty_like(region)
        tint[:] = colour
        cv2.addWeighted(tint, alpha, region, 1 - alpha, 0, dst=region)
