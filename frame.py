"""The frame: one object from capture to publish."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Frame:
    """A captured picture (BGR), its capture index and its capture time (Unix seconds)."""

    image: np.ndarray
    index: int
    timestamp: float
