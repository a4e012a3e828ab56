"""A fake of jetson-utils' Python module `jetson_utils`, for tests on machines without a Jetson.

Test scaffolding: see tests/fake_jetson/README.md for what it fakes, from which sources, and
what it does not. The names below are the binding's; the `fake_*` names are the fake's own.
"""

from ._binding import Call
from ._cuda import (
    FakeCounters,
    adaptFontSize,
    cudaAllocMapped,
    cudaConvertColor,
    cudaCrop,
    cudaDeviceSynchronize,
    cudaDrawCircle,
    cudaDrawLine,
    cudaDrawRect,
    cudaEventCreate,
    cudaEventDestroy,
    cudaEventElapsedTime,
    cudaEventQuery,
    cudaEventRecord,
    cudaEventSynchronize,
    cudaFromNumpy,
    cudaImage,
    cudaMalloc,
    cudaMallocMapped,
    cudaMemcpy,
    cudaMemory,
    cudaNormalize,
    cudaOverlay,
    cudaResize,
    cudaStreamCreate,
    cudaStreamDestroy,
    cudaStreamSynchronize,
    cudaStreamWaitEvent,
    cudaToNumpy,
    fake_calls,
    fake_counters,
    loadImage,
    loadImageRGBA,
    logUsage,
    saveImage,
    saveImageRGBA,
)
from ._font import Log, cudaFont
from ._video import FakeVideoConfig, fake_config, videoOutput, videoSource

VERSION = "1.0.0"
__version__ = VERSION


def fake_reset() -> None:
    """Fake-only: zero `fake_counters` and empty `fake_calls`."""
    fake_counters.reset()
    fake_calls.clear()


__all__ = [
    "VERSION",
    "Log",
    "adaptFontSize",
    "cudaAllocMapped",
    "cudaConvertColor",
    "cudaCrop",
    "cudaDeviceSynchronize",
    "cudaDrawCircle",
    "cudaDrawLine",
    "cudaDrawRect",
    "cudaEventCreate",
    "cudaEventDestroy",
    "cudaEventElapsedTime",
    "cudaEventQuery",
    "cudaEventRecord",
    "cudaEventSynchronize",
    "cudaFont",
    "cudaFromNumpy",
    "cudaImage",
    "cudaMalloc",
    "cudaMallocMapped",
    "cudaMemcpy",
    "cudaMemory",
    "cudaNormalize",
    "cudaOverlay",
    "cudaResize",
    "cudaStreamCreate",
    "cudaStreamDestroy",
    "cudaStreamSynchronize",
    "cudaStreamWaitEvent",
    "cudaToNumpy",
    "loadImage",
    "loadImageRGBA",
    "logUsage",
    "saveImage",
    "saveImageRGBA",
    "videoOutput",
    "videoSource",
    # the fake's own
    "Call",
    "FakeCounters",
    "FakeVideoConfig",
    "fake_calls",
    "fake_config",
    "fake_counters",
    "fake_reset",
]
