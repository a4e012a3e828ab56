"""The frame: one object from capture to publish."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Frame:
    """A captured picture, its capture index and its capture time (Unix seconds), and the name of
    the camera it comes from. The picture is a BGR numpy array, or on a Jetson a bgr8
    jetson_utils.cudaImage (images.py)."""

    image: Any
    index: int
    timestamp: float
    camera: str = ""
