"""Semantic segmentation: a class per pixel, each class's share of the frame, a tinted overlay
with a legend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from draw import FONT, class_colour, draw_label
from frame import Frame
from model import NO_INPUTS, Inputs, Model, configure, setting
from results import ClassShare, SegmentationResult, class_label

BACKGROUND = 0  # the class id left untinted
# class id -> BGR colour: a lookup table (cv2.LUT) for whole class maps, whose ids are uint8
PALETTE = np.array([[class_colour(class_id)] for class_id in range(256)], np.uint8)
LEGEND_SCALE = 0.5
LEGEND_MARGIN = 10
SWATCH = 12


class Segmenter(Protocol):
    """A backend: a uint8 class id per pixel of a BGR frame, at the frame's size. Optional:
    `configure(settings)`, called with the frame's settings before segment() (model.configure).
    """

    labels: list[str]

    def segment(self, image: np.ndarray) -> np.ndarray: ...


@dataclass
class SegmentationSettings:
    overlay_alpha: float = setting(150.0, 0.0, 255.0, 1.0, "opacity of the class colours, 0-255")


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

    def draw(self, image: np.ndarray, result: SegmentationResult) -> None:
        tint(image, result.mask, self.settings.overlay_alpha / 255.0)
        draw_legend(image, [c for c in result.classes if c.class_id != BACKGROUND])


def tint(image: np.ndarray, classes: np.ndarray, alpha: float) -> None:
    """Blend each pixel's class colour over it at opacity `alpha` (0-1), background left as
    is; in place."""
    if alpha <= 0:
        return
    colours = cv2.LUT(cv2.merge((classes,) * 3), PALETTE)
    blended = cv2.addWeighted(colours, alpha, image, 1.0 - alpha, 0.0)
    cv2.copyTo(blended, (classes != BACKGROUND).view(np.uint8), image)


def draw_legend(image: np.ndarray, classes: list[ClassShare]) -> None:
    """A colour swatch and label per class, stacked in the top-right corner; in place."""
    if not classes:
        return
    text_width = max(cv2.getTextSize(c.label, FONT, LEGEND_SCALE, 1)[0][0] for c in classes)
    x = image.shape[1] - LEGEND_MARGIN - text_width
    y = LEGEND_MARGIN + SWATCH
    for entry in classes:
        cv2.rectangle(
            image, (x - SWATCH - 8, y - SWATCH), (x - 8, y), class_colour(entry.class_id), -1
        )
        y += draw_label(image, entry.label, (x, y), background=(40, 40, 40), scale=LEGEND_SCALE)
