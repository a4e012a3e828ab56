"""A Model is one network of one type: its live settings, process() and draw().

Each network type (networks/<type>.py) subclasses Model with a settings dataclass whose fields
are its live settings (jetson-inference's names and ranges), declared with `setting()`. The
backend that runs the network (backends/) is handed in ready-loaded.

A ModelSlot holds the Model of one type for the pipeline: its settings (which outlive a switch
of network), its REST properties, timing and failures, its latest result, and the background
loading behind `PUT /<type>/network`.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from typing import Any, Callable, ClassVar

import numpy as np

from results import FrameResult
from utils import Average, PropertyRegistry, attribute_property, rest_property

log = logging.getLogger(__name__)

FAILURES_BEFORE_DISABLE = 3
# The network types, in the order their overlays are drawn (later ones on top).
NETWORK_TYPES = ("background", "segmentation", "classification", "detection", "pose", "action")


def setting(default: Any, minimum: float | None = None, maximum: float | None = None,
            step: float | None = None, help: str = "",  # noqa: A002
            choices: tuple[str, ...] | None = None) -> Any:
    """A dataclass field that is a live setting, with its range and help text."""
    return dataclasses.field(default=default, metadata={
        "minimum": minimum, "maximum": maximum, "step": step, "help": help, "choices": choices})


class Model:
    """One loaded network of one type. Subclasses set `type`, `Settings`, and implement
    process() (plain-data result) and draw() (overlay, in place).

    A model whose `uses` names another type gets that network's result of the same frame
    (its `data`, or None if that network is not loaded or not enabled) as process()'s second
    argument; the pipeline runs it after the others.
    """

    type: ClassVar[str]
    Settings: ClassVar[type]
    uses: ClassVar[str | None] = None

    def __init__(self, name: str, settings: Any | None = None) -> None:
        self.name = name
        self.settings = settings if settings is not None else self.Settings()

    def process(self, image: np.ndarray) -> dict[str, Any]:
        raise NotImplementedError

    def draw(self, image: np.ndarray, result: dict[str, Any]) -> None:
        raise NotImplementedError

    def take_over(self, previous: Model) -> None:
        """Carry over what must outlive a switch of network from the model this one replaces:
        its settings (and, in subclasses, state such as track ids)."""
        self.settings = previous.settings


class ModelSlot:
    """The pipeline's place for one network type; see the module docstring."""

    def __init__(self, model: Model, load: Callable[[str], Model],
                 choices: tuple[str, ...]) -> None:
        self.type = model.type
        self.model = model
        self.enabled = True
        self.settings = model.settings
        self.result: FrameResult | None = None
        self.ms = Average(weight=0.2)
        self.failures = 0
        self._draw_failed = False
        self.error: str | None = None
        self.loading: str | None = None
        self._wanted = model.name  # the network last asked for; an older load is not swapped in
        self._load = load
        self._choices = choices
        self._frame_lock = threading.Lock()  # the pipeline's, once declare_properties() runs

    @property
    def network(self) -> str:
        return self.model.name

    def declare_properties(self, registry: PropertyRegistry) -> None:
        """Its settings as properties of `registry`; swaps then share the registry's lock,
        which the pipeline holds while it processes a frame."""
        self._frame_lock = registry.lock
        group = f"/{self.type}"
        rest_property(registry, f"{group}/enabled", lambda: self.enabled, self._set_enabled,
                      bool, help=f"run the {self.type} network")
        for field in dataclasses.fields(self.settings):
            attribute_property(registry, f"{group}/{field.name}", self.settings, field.name,
                               type(field.default), **field.metadata)
        rest_property(registry, f"{group}/network", lambda: self.network, self._switch, str,
                      choices=self._choices,
                      help="the network; a PUT loads another in the background, then swaps")

    def _set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        if enabled:
            self.failures, self._draw_failed, self.error = 0, False, None

    def _switch(self, name: str) -> None:
        """Load network `name` in a background thread, then swap it in between frames. The
        last request wins: asking for the network in force cancels a load under way."""
        self._wanted = name
        if name == self.network:
            self.loading = None
            return
        if name == self.loading:
            return
        self.loading = name
        threading.Thread(target=self._load_and_swap, args=(name,), name=f"load-{self.type}",
                         daemon=True).start()

    def _load_and_swap(self, name: str) -> None:
        try:
            model = self._load(name)
        except Exception as error:
            log.error("%s: loading %s failed: %s", self.type, name, error)
            self.error = f"loading {name} failed: {error}"
        else:
            with self._frame_lock:  # between two frames, and not during a PUT
                if self._wanted != name:
                    log.info("%s: %s loaded but no longer wanted", self.type, name)
                    return
                model.take_over(self.model)
                self.model, self.failures, self._draw_failed, self.error = model, 0, False, None
            log.info("%s: now running %s", self.type, name)
        finally:
            if self.loading == name:
                self.loading = None

    @property
    def uses(self) -> str | None:
        return self.model.uses

    def run(self, image: np.ndarray, frame: int, timestamp: float,
            used: FrameResult | None = None) -> FrameResult | None:
        """Process one frame (`used`: the result of the type this model uses, if any); a
        network that throws is reported, and after FAILURES_BEFORE_DISABLE failures in a
        row switched off. The stream goes on."""
        if not self.enabled:
            return None
        model = self.model
        started = time.perf_counter()
        try:
            if model.uses is None:
                data = model.process(image)
            else:
                data = model.process(image, used.data if used else None)
        except Exception as error:
            self._fail(f"{type(error).__name__}: {error}")
            return None
        self.ms.add((time.perf_counter() - started) * 1000)
        if not self._draw_failed:  # a frame whose drawing failed is no success
            self.failures = 0
        self.result = FrameResult(frame, timestamp, data)
        return self.result

    def _fail(self, message: str) -> None:
        self.failures += 1
        self.error = message
        log.warning("%s network %s failed (%d in a row): %s", self.type, self.network,
                    self.failures, message)
        if self.failures >= FAILURES_BEFORE_DISABLE:
            self.enabled = False
            self.error = f"switched off after {self.failures} failures in a row: {message}"
            log.error("%s network %s %s", self.type, self.network, self.error)

    def draw(self, image: np.ndarray, result: FrameResult) -> None:
        try:
            self.model.draw(image, result.data)
        except Exception as error:
            self._draw_failed = True
            self._fail(f"drawing: {type(error).__name__}: {error}")
        else:
            self._draw_failed = False

    def stats(self) -> dict[str, Any]:
        return {"network": self.network, "enabled": self.enabled,
                "ms": self.ms.rounded(),
                "failures": self.failures, "error": self.error, "loading": self.loading}
