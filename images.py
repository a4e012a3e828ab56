"""The image a Frame holds: a BGR numpy array on a PC, a jetson_utils.cudaImage (bgr8, in mapped
memory) from jetson-utils' videoSource on a Jetson. One pipeline handles both.

On a Jetson the CPU and the GPU share mapped memory: `host_view()` gives the cudaImage as a
numpy array over the same bytes (jetson_utils.cudaToNumpy), so drawing with OpenCV and the JPEG
encode read it in place, with no copy. GPU work is asynchronous, so `host_view()` first waits
for it (cudaDeviceSynchronize); the pipeline asks for one view per frame, before it draws.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np


def is_cuda(image: Any) -> bool:
    """Whether `image` is a cudaImage rather than a numpy array."""
    return not isinstance(image, np.ndarray)


def _jetson_utils() -> Any:
    return importlib.import_module("jetson_utils")


def host_view(image: Any) -> np.ndarray:
    """The image as a numpy array the CPU may read now: itself, or, once the GPU's work is
    done, a cudaImage's mapped memory (no copy)."""
    if not is_cuda(image):
        return image
    cuda = _jetson_utils()
    cuda.cudaDeviceSynchronize()
    return cuda.cudaToNumpy(image)


def copy_of(image: Any) -> Any:
    """A copy of the image to draw on, of the same kind: on the GPU for a cudaImage."""
    if not is_cuda(image):
        return image.copy()
    cuda = _jetson_utils()
    copy = cuda.cudaAllocMapped(like=image)
    cuda.cudaMemcpy(copy, image)
    return copy
