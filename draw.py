"""Overlay drawing shared by the pipeline and the networks: labels, boxes, colours."""

from __future__ import annotations

import cv2
import numpy as np

FONT = cv2.FONT_HERSHEY_SIMPLEX


def class_colour(class_id: int) -> tuple[int, int, int]:
    """A stable, distinct BGR colour per class (golden-ratio hues)."""
    hue = int((class_id * 0.618033988749895 % 1.0) * 180)
    hsv = np.array([[[hue, 220, 200]]], np.uint8)
    blue, green, red = (int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])
    return blue, green, red


def draw_label(
    image: np.ndarray,
    text: str,
    origin: tuple[int, int],
    background: tuple[int, int, int] = (0, 0, 0),
    scale: float = 0.6,
) -> int:
    """White text on a filled box, its baseline at `origin`, drawn in place; the box height."""
    (width, height), baseline = cv2.getTextSize(text, FONT, scale, 1)
    x, y = origin
    cv2.rectangle(image, (x - 4, y - height - 4), (x + width + 4, y + baseline + 2), background, -1)
    cv2.putText(image, text, (x, y), FONT, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return height + baseline + 6


def blend_box(
    image: np.ndarray, box: tuple[int, int, int, int], colour: tuple[int, int, int], alpha: float
) -> None:
    """Fill a box with `colour` at opacity `alpha` (0-1), in place."""
    left, top, right, bottom = box
    region = image[top:bottom, left:right]
    if region.size and alpha > 0:
        tint = np.empty_like(region)
        tint[:] = colour
        cv2.addWeighted(tint, alpha, region, 1 - alpha, 0, dst=region)
