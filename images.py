"""The image a Frame holds: a BGR numpy array on a PC, a jetson_utils.cudaImage (bgr8, in mapped
memory) from jetson-utils' videoSource on a Jetson. One pipeline handles both.

On a Jetson the CPU and the GPU share mapped memory: `host_view()` gives the cudaImage as a
numpy array over the same bytes (jetson_utils.cudaToNumpy), so drawing with OpenCV and the JPEG
encode read it in place, with no copy. GPU work is asynchronous, so `host_view()` first waits
for it (cudaDeviceSynchronize); the pipeline asks for one view per frame, before it draws.

Copies of a cudaImage come from an ImagePool: mapped memory is slow to allocate (it is pinned
host memory), so buffers are reused once no frame holds them any more.
"""

from __future__ import annotations

import importlib
import sys
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


def device_image(array: np.ndarray) -> Any:
    """The cudaImage whose mapped memory a host_view() array is, or None for an array of the
    CPU's own (cudaToNumpy's array holds the image as its base)."""
    base = array.base
    return base if base is not None and is_cuda(base) and hasattr(base, "ptr") else None


class ImagePool:
    """Copies of images, of the same kind: a numpy copy for a numpy array; for a cudaImage, a
    GPU-to-GPU copy into a mapped cudaImage of this pool that nothing else holds any more.

    A buffer is free when the pool's own list is its only holder (CPython's reference count):
    a Frame, a network still working on it, or an encoder keeps it from being written over.
    Buffers of another size or format than the newest image's are let go."""

    def __init__(self) -> None:
        self._images: list[Any] = []

    def copy(self, image: Any) -> Any:
        if not is_cuda(image):
            return image.copy()
        cuda = _jetson_utils()
        target = self._free_like(image)
        if target is None:
            target = cuda.cudaAllocMapped(like=image)
            self._images.append(target)
        cuda.cudaMemcpy(target, image)
        return target

    def __len__(self) -> int:
        return len(self._images)

    def _free_like(self, image: Any) -> Any:
        shape = (image.width, image.height, image.format)
        self._images = [held for held in self._images if _shape(held) == shape]
        for index in range(len(self._images)):
            if sys.getrefcount(self._images[index]) <= 2:  # the list's, and the argument's
                return self._images[index]
        return None


def _shape(image: Any) -> tuple[int, int, str]:
    return image.width, image.height, image.format
