"""Fakes of the Jetson Python modules (jetson_inference, jetson_utils, and the legacy
jetson.inference / jetson.utils), for tests on machines without a Jetson. See README.md.

They are not on sys.path during the normal tests: on a PC the app must not find them. A test
that wants them installs them for its own duration:

    from fake_jetson import installed

    def test_something():
        with installed() as jetson:
            net = jetson.inference.detectNet()

or with a fixture of its own:

    @pytest.fixture
    def jetson() -> Iterator[FakeJetson]:
        with installed() as modules:
            yield modules

Each installation imports the modules afresh (so their counters and logs start at zero) and
removes them, and their folder from sys.path, afterwards.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

FAKE_DIR = Path(__file__).resolve().parent
PACKAGES = ("jetson_inference", "jetson_utils", "jetson")


@dataclass
class FakeJetson:
    """The installed fake modules."""

    inference: ModuleType  # jetson_inference
    utils: ModuleType  # jetson_utils


def _ours(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


@contextmanager
def installed() -> Iterator[FakeJetson]:
    """Put the fakes first on sys.path, import them fresh, and undo both afterwards (any
    jetson module imported before is put back)."""
    saved = {name: module for name, module in sys.modules.items() if _ours(name)}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(FAKE_DIR))
    importlib.invalidate_caches()
    try:
        yield FakeJetson(
            importlib.import_module("jetson_inference"), importlib.import_module("jetson_utils")
        )
    finally:
        if str(FAKE_DIR) in sys.path:
            sys.path.remove(str(FAKE_DIR))
        for name in [name for name in sys.modules if _ours(name)]:
            del sys.modules[name]
        sys.modules.update(saved)
        importlib.invalidate_caches()


@pytest.fixture
def fake_jetson() -> Iterator[FakeJetson]:
    """The fakes, installed for one test (import this fixture into a test module to use it)."""
    with installed() as modules:
        yield modules
