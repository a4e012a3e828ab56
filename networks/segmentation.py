"""Semantic segmentation: a class per pixel, each class's share of the frame, a tinted overlay
with a legend."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from draw import DARK_GREY, Overlay, class_colour
from frame import Frame
from model import NO_INPUTS, Inputs, Model, configure, setting
from results import ClassShare, SegmentationResult, class_label

BACKGROUND = 0  # the class id left untinted
# class id -> BGR colour: a lookup table (cv2.LUT) for whole class maps, whose ids are uint8
PALETTE = np.array([[class_colour(class_id)] for class_id in range(256)], np.uint8)
LEGEND_MIN_FRACTION = 0.005  # classes covering less of the frame are left out of the legend


class Segmenter(Protocol):
    """A backend: a uint8 class id per pixel of a BGR frame, at the frame's size. Optional:
    `configure(settings)`, called with the frame's settings before segment() (model.configure).
    """

    labels: list[str]

    def segment(self, image: np.ndarray) -> np.ndarray: ...


@dataclass
class SegmentationSettings:
    overlay_alpha: float = setting(
        150.0,
        0.0,
        255.0,
        1.0,
        "opacity of the class colours (the API takes 0-255)",
        label="Colour opacity",
        percent=True,
    )


class SegmentationModel(Model[SegmentationResult]):
    type = "segmentation"
    Settings = SegmentationSettings

    def __init__(self, name: str, segmenter: Segmenter) -> None:
        super().__init__(name)
        self.segmenter = segmenter

    def process(self, frame: Frame, inputs: Inputs = NO_INPUTS) -> SegmentationResult:
        configure(self.segmenter, self.settings)
        classes = self.segmenter.segment(frame.image)
        counts = np.bincount(classes.ravel(), minlength=1)
        present = sorted(np.flatnonzero(counts), key=lambda class_id: -counts[class_id])
        shares = tuple(
            ClassShare(
                int(class_id),
                class_label(self.segmenter.labels, int(class_id)),
                float(counts[class_id]) / classes.size,
            )
            for class_id in present
        )
        return SegmentationResult(frame.index, frame.timestamp, shares, classes)

    def draw_overlay(self, overlay: Overlay, result: SegmentationResult) -> None:
        tint(overlay.image, result.mask, self.settings.overlay_alpha / 255.0)
        place_legend(overlay, result.classes)


def tint(image: np.ndarray, classes: np.ndarray, alpha: float) -> None:
    """Blend each pixel's class colour over it at opacity `alpha` (0-1), background left as
    is; in place."""
    if alpha <= 0:
        return
    colours = cv2.LUT(cv2.merge((classes,) * 3), PALETTE)
    blended = cv2.addWeighted(colours, alpha, image, 1.0 - alpha, 0.0)
    cv2.copyTo(blended, (classes != BACKGROUND).view(np.uint8), image)


def place_legend(overlay: Overlay, classes: Iterable[ClassShare]) -> None:
    """A legend in the top-right corner: a colour swatch, label and share per class that
    covers at least LEGEND_MIN_FRACTION of the frame, background left out."""
    shown = [c for c in classes if c.class_id != BACKGROUND and c.fraction >= LEGEND_MIN_FRACTION]
    if shown:
        legend = overlay.panel(
            [f"{c.label} {percent(c.fraction)}" for c in shown],
            DARK_GREY,
            swatches=tuple(class_colour(c.class_id) for c in shown),
        )
        overlay.place_in_corner(legend, "top-right")


def percent(fraction: float) -> str:
    """A share of the frame as a percentage: a decimal below 10%, so 0.5% is not "0%"."""
    value = fraction * 100
    return f"{value:.1f}%" if value < 10 else f"{value:.0f}%"
