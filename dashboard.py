"""Every camera of one dashboard: a Pipeline each, the networks they share, one registry of
settings.

The networks are loaded once, as ModelSlots given to every camera's pipeline; a slot keeps a
model per camera (their state apart) and takes the cameras' frames in turn (model.py). The
stream settings (/stream/...) and the networks' settings are one set for all cameras; the
/input/... properties are the first camera's, as /video_feed, /snapshot.jpg, /results and
/stats are: a one-camera client of NVIDIA's example sees what it always saw.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cameras import CameraSpec
from model import ModelSlot
from outputs import Output
from sources import Source
from stream import DEFAULT_NETWORK_MODE, Backoff, Pipeline, StreamSettings
from uris import redact
from utils import PropertyRegistry


@dataclass
class Camera:
    """A camera's pipeline and the URI it was opened from (shown redacted)."""

    pipeline: Pipeline
    uri: str

    @property
    def name(self) -> str:
        return self.pipeline.name

    def describe(self) -> dict[str, Any]:
        """The camera as /cameras lists it."""
        capture = self.pipeline.capture
        stats = self.pipeline.broadcaster.stats()
        return {
            "name": self.name,
            "uri": redact(self.uri),
            "state": capture.state,
            "running": self.pipeline.running,
            "resolution": list(capture.resolution) if capture.resolution else None,
            "fps": round(capture.meter.rate(), 2),
            "viewers": stats["viewers"],
        }


class Dashboard:
    """The cameras, in the order given: the first is the one of the one-camera paths."""

    def __init__(self, cameras: Sequence[Camera], settings: PropertyRegistry) -> None:
        if not cameras:
            raise ValueError("a dashboard needs a camera")
        self.cameras = {camera.name: camera for camera in cameras}
        self.settings = settings
        self.first = cameras[0].pipeline

    @classmethod
    def of(cls, pipeline: Pipeline) -> Dashboard:
        """One camera's pipeline, with the settings it declared itself."""
        return cls([Camera(pipeline, pipeline.capture.description)], pipeline.settings)

    @property
    def pipelines(self) -> list[Pipeline]:
        return [camera.pipeline for camera in self.cameras.values()]

    @property
    def networks(self) -> dict[str, ModelSlot]:
        return self.first.networks

    def pipeline(self, name: str) -> Pipeline | None:
        camera = self.cameras.get(name)
        return camera.pipeline if camera else None

    def describe(self) -> list[dict[str, Any]]:
        return [camera.describe() for camera in self.cameras.values()]

    def start(self) -> None:
        for pipeline in self.pipelines:
            pipeline.start()

    def stop(self) -> None:
        for pipeline in self.pipelines:
            pipeline.stop()


def build_dashboard(
    cameras: Sequence[CameraSpec],
    open_camera: Callable[[CameraSpec], tuple[Source, Callable[[], Source]]],
    networks: list[ModelSlot],
    *,
    jpeg_quality: int = 80,
    network_mode: str = DEFAULT_NETWORK_MODE,
    idle_stop: float = 0.0,
    outputs: Sequence[Output] = (),
    backoff: Callable[[], Backoff] | None = None,
) -> Dashboard:
    """A pipeline per camera, sharing `networks` and the stream settings; `outputs` write the
    first camera's video. `open_camera` gives a camera's open Source and how to reopen it."""
    stream = StreamSettings(jpeg_quality, network_mode)
    settings = PropertyRegistry()
    built = []
    for number, spec in enumerate(cameras):
        source, reopen = open_camera(spec)
        pipeline = Pipeline(
            source,
            reopen,
            name=spec.name,
            networks=networks,
            stream=stream,
            settings=settings,
            idle_stop=idle_stop,
            outputs=outputs if number == 0 else (),
            backoff=backoff() if backoff else None,
        )
        if len(cameras) > 1:
            pipeline.capture.name_in_logs()
        built.append(Camera(pipeline, spec.input.uri))
    stream.declare_properties(settings)
    built[0].pipeline.declare_input_properties(settings)
    for slot in built[0].pipeline.networks.values():
        slot.declare_properties(settings)
    return Dashboard(built, settings)
