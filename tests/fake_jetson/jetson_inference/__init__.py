"""A fake of jetson-inference's Python module `jetson_inference`, for tests on machines without
a Jetson.

Test scaffolding: see tests/fake_jetson/README.md for what it fakes, from which sources, and
what it does not. The names below are the binding's; the `fake_*` names are the fake's own.
"""

import jetson_utils  # noqa: F401 - the real module loads jetson_utils first, as this does

from ._base import FakeInferenceConfig, fake_config, tensorNet
from ._classify import actionNet, imageNet
from ._detect import detectNet
from ._pose import poseNet
from ._segment import backgroundNet, segNet

VERSION = "1.0.0"

__all__ = [
    "VERSION",
    "actionNet",
    "backgroundNet",
    "detectNet",
    "imageNet",
    "poseNet",
    "segNet",
    "tensorNet",
    # the fake's own
    "FakeInferenceConfig",
    "fake_config",
]
