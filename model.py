"""A Model is one network of one type: its live settings, process() and draw().

Each network type (networks/<type>.py) subclasses Model with a settings dataclass whose fields
are its live settings (jetson-inference's names and ranges), declared with `setting()`. The
backend that runs the network (backends/) is handed in ready-loaded.

A Model takes a Frame and returns its type's typed Result (results.py); a network that needs
another's result of the same frame (action needs pose) says so in `needs`, and the pipeline
passes that result in.

A ModelSlot holds the Model of one type for the pipeline: its live settings (which outlive a
switch of network), its REST properties, timing, rate and failures, its latest result, and the
background loading behind `PUT /<type>/network`.
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
from prometheus_client import Counter, Histogram

from draw import Overlay
from fair import FairLock
from frame import Frame
from images import host_view, is_cuda
from meters import SECONDS_BUCKETS, Average, RateMeter
from priority import lower_this_thread
from results import Result
from utils import PropertyRegistry, attribute_property, rest_property

log = logging.getLogger(__name__)

FAILURES_BEFORE_DISABLE = 3
RECENT_RESULTS = 3  # kept for result_up_to()
# The network types, in the order their overlays are drawn (later ones on top).
NETWORK_TYPES = ("background", "segmentation", "classification", "detection", "pose", "action")


def setting(
    default: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    step: float | None = None,
    help: str = "",  # noqa: A002
    choices: tuple[str, ...] | None = None,
    label: str = "",
    percent: bool = False,
) -> Any:
    """A dataclass field that is a live setting, with its range and help text, and what the page
    calls it (`label`; with `percent`, the value is shown as a percentage of the maximum)."""
    return dataclasses.field(
        default=default,
        metadata={
            "minimum": minimum,
            "maximum": maximum,
            "step": step,
            "help": help,
            "choices": choices,
            "label": label,
            "percent": percent,
        },
    )


R = TypeVar("R", bound=Result)
Inputs = Mapping[str, Result]  # network type -> its result of the same frame
NO_INPUTS: Inputs = MappingProxyType({})


def configure(backend: object, settings: Any) -> None:
    """Hand a backend the frame's copy of the live settings, if it takes them: an optional
    `configure(settings)` of the type's Protocol, called by process() before the network runs.
    jetson-inference's networks apply them with their own setters (backends/jetson.py); the
    PC backends have none and get the settings as arguments, or not at all."""
    method = getattr(backend, "configure", None)
    if method is not None:
        method(settings)


class Model(Generic[R]):
    """One loaded network of one type. Subclasses set `type`, `Settings` (and `needs`), and
    implement process() (the frame's typed result) and draw_overlay() (its overlay, in place).

    `settings` is the copy of the live settings that process() and draw() read; the ModelSlot
    hands the model a fresh copy at each frame boundary, so no request changes it mid-frame.
    """

    type: ClassVar[str]
    Settings: ClassVar[builtins.type[Any]]
    needs: ClassVar[tuple[str, ...]] = ()  # types whose result of the frame process() is given

    def __init__(self, name: str) -> None:
        self.name = name
        self.settings: Any = self.Settings()
        # BGR colour of class N, from a colors file (--colors); draw.class_colour for the rest
        self.colours: list[tuple[int, int, int]] = []
        # whether process() takes a frame whose image is a cudaImage (the jetson backend's
        # networks do); the others get a numpy view of its mapped memory (images.py)
        self.takes_cuda = False

    def process(self, frame: Frame, inputs: Inputs = NO_INPUTS) -> R:
        """This network's result for `frame`; `inputs` has the results of the types in `needs`
        that ran on the same frame."""
        raise NotImplementedError

    def draw(self, image: np.ndarray, result: R, overlay: Overlay | None = None) -> None:
        """Draw a result on `image`, in place. `overlay` is the frame's, shared by the networks
        drawn on it (stream.draw_overlays), which draws their labels last; without one the
        result is drawn alone, its labels included."""
        if overlay is not None:
            self.draw_overlay(overlay, result)
            return
        alone = Overlay(image)
        self.draw_overlay(alone, result)
        alone.finish()

    def draw_overlay(self, overlay: Overlay, result: R) -> None:
        """Draw a result's shapes on overlay.image and place its labels in the overlay."""
        raise NotImplementedError

    def take_over(self, previous: Model[Any]) -> None:
        """Carry over state that must outlive a switch of network (track ids, say) from the
        model this one replaces."""


class ModelSlot:
    """The pipeline's place for one network type; see the module docstring.

    Request threads change `settings` and `enabled` under the registry's lock and never wait
    for a frame. The pipeline calls run() with one frame at a time; run() copies the settings
    at its start, so each frame is processed with one consistent set. A network switch loads in
    a background thread and is swapped in between two frames of this network.
    """

    def __init__(
        self,
        model: Model[Any],
        load: Callable[[str], Model[Any]],
        choices: tuple[str, ...],
        choice_notes: Mapping[str, str] | None = None,
    ) -> None:
        self.type = model.type
        self.needs = model.needs
        self.model = model  # the network in force; with several cameras, the first one's
        self.enabled = True
        self.settings = model.settings  # the live settings, which PUTs change
        self._camera_models: dict[str, Model[Any]] = {}  # camera -> its model (add_camera)
        self._first_camera = ""  # a Frame's camera by default
        self._recent: dict[str, deque[Result]] = {}  # camera -> its latest results
        self.ms = Average(weight=0.2)
        self.rate = RateMeter()  # results per second, all cameras
        self.camera_rates: dict[str, RateMeter] = {}  # results per second, per camera
        self.failures = 0  # in a row
        # for /metrics (metrics.py): seconds a frame takes and failures in all, per camera
        self.seconds = Histogram(
            "dashboard_network_seconds",
            "time per frame",
            ["camera"],
            buckets=SECONDS_BUCKETS,
            registry=None,
        )
        self.failed = Counter("dashboard_network_failures", "failures", ["camera"], registry=None)
        self.error: str | None = None
        self.loading: str | None = None
        self._draw_failed = False
        self._traceback_logged = False
        self._wanted = model.name  # the network last asked for; an older load is not swapped in
        self._load = load
        self._choices = choices
        self._choice_notes = choice_notes  # choice -> a note for the page ("slow: ...")
        self._settings_lock = threading.Lock()  # the registry's, once declare_properties() runs
        # held while a frame goes through a model; first come, first served, so that cameras
        # sharing this network take turns
        self._run_lock = FairLock()
        self._swap_lock = threading.Lock()  # guards _wanted and loading

    @property
    def network(self) -> str:
        return self.model.name

    def add_camera(self, camera: str) -> None:
        """Give `camera` a model of its own, for its state (track ids, smoothing...): the first
        camera gets the loaded one, each further camera a copy loaded with the same weights
        (networks.load_model shares a backend where it keeps no state)."""
        with self._run_lock:
            if not self._camera_models:
                self._camera_models[camera] = self.model
                self._first_camera = camera
            elif camera not in self._camera_models:
                self._camera_models[camera] = self._load(self.network)

    def model_for(self, camera: str) -> Model[Any]:
        return self._camera_models.get(camera, self.model)

    def declare_properties(self, registry: PropertyRegistry) -> None:
        """Its settings as properties of `registry`, whose lock guards them."""
        self._settings_lock = registry.lock
        group = f"/{self.type}"
        rest_property(
            registry,
            f"{group}/enabled",
            lambda: self.enabled,
            self._set_enabled,
            bool,
            help=f"run the {self.type} network",
            label="On",
        )
        for field in dataclasses.fields(self.settings):
            attribute_property(
                registry,
                f"{group}/{field.name}",
                self.settings,
                field.name,
                type(field.default),
                **field.metadata,
            )
        rest_property(
            registry,
            f"{group}/network",
            lambda: self.network,
            self._switch,
            str,
            choices=self._choices,
            help="the network; a PUT loads another in the background, then swaps",
            label="Network",
            choice_notes=self._choice_notes,
        )

    def _set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        if enabled:
            self.failures, self._draw_failed, self.error = 0, False, None

    def _switch(self, name: str) -> None:
        """Load network `name` in a background thread, then swap it in between frames. The
        last request wins: asking for the network in force cancels a load under way."""
        with self._swap_lock:
            self._wanted = name
            if name == self.network:
                self.loading = None
                return
            if name == self.loading:
                return
            self.loading = name
        threading.Thread(
            target=self._load_and_swap, args=(name,), name=f"load-{self.type}", daemon=True
        ).start()

    def _load_and_swap(self, name: str) -> None:
        lower_this_thread()  # the runtime's own threads inherit the priority
        cameras = list(self._camera_models) or [self._first_camera]
        try:
            models: dict[str, Model[Any]] | None = {camera: self._load(name) for camera in cameras}
        except Exception as error:
            log.error("%s: loading %s failed: %s", self.type, name, error)
            self.error = f"loading {name} failed: {error}"
            models = None
        with self._run_lock, self._swap_lock:  # between two frames of this network
            if self.loading == name:
                self.loading = None
            if models is None:
                return
            if self._wanted != name:
                log.info("%s: %s loaded but no longer wanted", self.type, name)
                return
            for camera, model in models.items():
                model.take_over(self.model_for(camera))
            if self._camera_models:
                self._camera_models = models
            self.model = models[cameras[0]]
            self.failures, self._draw_failed, self.error = 0, False, None
            self._traceback_logged = False
        log.info("%s: now running %s", self.type, name)

    def run(self, frame: Frame, inputs: Inputs = NO_INPUTS) -> Result | None:
        """This network's result for the frame, or None if it is switched off or failed. A
        network that throws is reported, and after FAILURES_BEFORE_DISABLE failures in a row
        switched off; the stream goes on."""
        with self._run_lock:
            with self._settings_lock:
                if not self.enabled:
                    return None
                settings = copy.copy(self.settings)
            model = self.model_for(frame.camera)
            model.settings = settings
            started = time.perf_counter()
            try:
                if is_cuda(frame.image) and not model.takes_cuda:
                    frame = dataclasses.replace(frame, image=host_view(frame.image))
                result = model.process(frame, inputs)
            except Exception as error:
                self._fail(error, camera=frame.camera)
                return None
            elapsed = time.perf_counter() - started
            self.ms.add(elapsed * 1000)
            self.seconds.labels(frame.camera).observe(elapsed)
            self.rate.tick()
            self.camera_rates.setdefault(frame.camera, RateMeter()).tick()
            if not self._draw_failed:  # a frame whose drawing failed is no success
                self.failures = 0
            recent = self._recent.setdefault(frame.camera, deque(maxlen=RECENT_RESULTS))
            recent.append(result)
            return result

    @property
    def result(self) -> Result | None:
        """The first camera's latest result (None before the first); a network switched off
        keeps its last."""
        return self.result_for(self._first_camera)

    def result_for(self, camera: str) -> Result | None:
        recent = self._recent.get(camera)
        return recent[-1] if recent else None

    def result_up_to(self, index: int, camera: str = "") -> Result | None:
        """The newest result of `camera`'s frame no later than frame `index` (async mode draws
        it on frame `index`; the network may already be a frame ahead of the drawing)."""
        recent = self._recent.get(camera or self._first_camera, ())
        return next((r for r in reversed(recent) if r.frame <= index), None)

    def draw(
        self,
        image: np.ndarray,
        result: Result,
        overlay: Overlay | None = None,
        camera: str = "",
    ) -> None:
        camera = camera or self._first_camera
        try:
            self.model_for(camera).draw(image, result, overlay)
        except Exception as error:
            self._draw_failed = True
            self._fail(error, "drawing: ", camera)
        else:
            self._draw_failed = False

    def _fail(self, error: Exception, during: str = "", camera: str = "") -> None:
        """Count a failure (of `camera`'s frame); the first of a model logs its traceback,
        the next ones a line."""
        self.failures += 1
        self.failed.labels(camera or self._first_camera).inc()
        self.error = f"{during}{type(error).__name__}: {error}"
        if not self._traceback_logged:
            self._traceback_logged = True
            log.error(
                "%s network %s failed: %s", self.type, self.network, self.error, exc_info=error
            )
        else:
            log.warning(
                "%s network %s failed again (%d in a row): %s",
                self.type,
                self.network,
                self.failures,
                self.error,
            )
        if self.failures >= FAILURES_BEFORE_DISABLE:
            self.enabled = False
            self.error = f"switched off after {self.failures} failures in a row: {self.error}"
            log.error("%s network %s %s", self.type, self.network, self.error)

    def stats(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "enabled": self.enabled,
            "ms": self.ms.rounded(),
            "fps": round(self.rate.rate(), 2),
            "failures": self.failures,
            "error": self.error,
            "loading": self.loading,
            **(
                {"fps_by_camera": {c: round(m.rate(), 2) for c, m in self.camera_rates.items()}}
                if len(self._camera_models) > 1
                else {}
            ),
        }
