"""The streaming pipeline: capture -> networks -> overlay -> encode once -> publish.

The capture thread keeps only the newest frame in a slot and reconnects a lost input with
capped backoff. The processing thread takes the newest frame, draws the networks' results on
it, encodes ONE JPEG and publishes it to the Broadcaster, which every viewer reads from.

How the networks keep pace (`/stream/network_mode`):
- sync: the processing thread runs the enabled networks on each frame it publishes, so every
  frame carries the results of that very frame; the output rate is the networks' rate.
- async: each group of networks (a network with those that need its result) runs in its own
  worker thread on the newest frame it can take; the processing thread publishes every
  captured frame with each network's latest result drawn. /stats says how old each is.

Settings are read at frame boundaries and a PUT never waits for a frame (model.ModelSlot).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from prometheus_client import Histogram

from broadcast import Broadcaster, EncodedFrame
from draw import BLACK, Overlay
from frame import Frame
from images import ImagePool, host_view
from meters import SECONDS_BUCKETS, Average, RateMeter
from model import NETWORK_TYPES, ModelSlot
from priority import lower_this_thread
from results import Result
from sources import Source
from utils import PropertyRegistry, attribute_property, rest_property

if TYPE_CHECKING:
    from outputs import Output

log = logging.getLogger(__name__)

ONLINE, RECONNECTING, OFFLINE = "online", "reconnecting", "offline"
IDLE, STOPPED = "idle", "stopped"  # capture on demand: no viewer for a while; stopped by hand
STATES = (ONLINE, RECONNECTING, OFFLINE, IDLE, STOPPED)  # an input's, as /stats says
SYNC, ASYNC = "sync", "async"
NETWORK_MODES = (SYNC, ASYNC)
DEFAULT_NETWORK_MODE = ASYNC  # README, "Networks at their own pace": the measurements
OFFLINE_REPUBLISH_S = 1.0
STABLE_ONLINE_S = 5.0  # an input online this long again starts its backoff from the start
THROTTLE_SLICE_S = 0.1
STOP_WAIT_S = 1.5
BANNER_RED = (0, 0, 160)
BANNER_SCALE = 1.4  # times the frame's text scale


class LatestFrame:
    """A one-frame slot: the writer replaces, readers wait for an index newer than theirs."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._frame: Frame | None = None
        self._closed = False

    def put(self, frame: Frame) -> None:
        with self._condition:
            self._frame = frame
            self._condition.notify_all()

    def close(self) -> None:
        """Wake every reader; from now on they get None at once."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def wait_newer(self, index: int, timeout: float) -> Frame | None:
        with self._condition:
            self._condition.wait_for(
                lambda: self._closed or (self._frame is not None and self._frame.index > index),
                timeout,
            )
            frame = None if self._closed else self._frame
        return frame if frame is not None and frame.index > index else None


class Backoff:
    """Capped exponential backoff: 0.5 s, 1 s, 2 s ... up to 10 s."""

    def __init__(self, first_s: float = 0.5, cap_s: float = 10.0) -> None:
        self._first, self._cap = first_s, cap_s
        self._next = first_s

    def next_delay(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self._cap)
        return delay

    def reset(self) -> None:
        self._next = self._first


class CaptureThread(threading.Thread):
    """Reads the input into a LatestFrame, pacing files and patterns, reconnecting on loss.
    pause() closes the input (the device is free) until resume() opens it again."""

    def __init__(
        self,
        source: Source,
        reopen: Callable[[], Source],
        slot: LatestFrame,
        backoff: Backoff | None = None,
        camera: str = "",
    ) -> None:
        super().__init__(name=f"capture-{camera}" if camera else "capture", daemon=True)
        self._source: Source | None = source
        self._reopen = reopen
        self._slot = slot
        self._backoff = backoff or Backoff()
        self._camera = camera
        self._prefix = ""  # the camera's name in the log lines, once there are several
        self._stop_event = threading.Event()
        self._pause_as: str | None = None  # IDLE or STOPPED while paused is asked for
        self._resumed = threading.Event()
        self.description = source.description
        self.state = ONLINE
        self._online_since = time.monotonic()
        self.last_error: str | None = None
        self.reconnects = 0
        self.resolution: tuple[int, int] | None = None
        self.meter = RateMeter()

    def stop(self) -> None:
        self._stop_event.set()
        self._resumed.set()

    def name_in_logs(self) -> None:
        """Begin each log line with the camera's name (when there are several)."""
        self._prefix = f"{self._camera}: "

    def pause(self, state: str) -> None:
        """Close the input and say `state` (IDLE or STOPPED) until resume()."""
        self._pause_as = state
        self._resumed.clear()

    def resume(self) -> None:
        self._pause_as = None
        self._resumed.set()

    @property
    def paused(self) -> bool:
        return self._pause_as is not None

    def run(self) -> None:
        index = 0
        next_due = time.monotonic()
        while not self._stop_event.is_set():
            if self._pause_as is not None:
                self._sleep_until_resumed(self._pause_as)
                next_due = time.monotonic()
                continue
            source = self._source or self._reconnect()
            if source is None:
                continue
            if source.pace:
                next_due = self._wait_until(next_due, 1.0 / source.pace)
            try:
                image = source.read()
            except Exception as error:  # a lost device raises; so may a broken decoder
                self._lose(source, RECONNECTING, str(error))
                continue
            if image is None:
                self._lose(source, OFFLINE, f"{source.description}: input ended")
                return
            if self.state != ONLINE:
                log.info("%sinput online: %s", self._prefix, source.description)
                self._online_since = time.monotonic()
            self.state, self.last_error = ONLINE, None
            if time.monotonic() - self._online_since >= STABLE_ONLINE_S:
                self._backoff.reset()  # an input that drops after every frame keeps backing off
            self.resolution = (image.shape[1], image.shape[0])
            self._slot.put(Frame(image, index, time.time(), self._camera))
            self.meter.tick()
            index += 1
        if self._source is not None:
            self._source.close()

    def _sleep_until_resumed(self, state: str) -> None:
        """Free the input while paused; then open it again at once (no backoff: the first
        frame of a test pattern or a file comes within milliseconds)."""
        if self._source is not None:
            self._source.close()
            self._source = None
        self.state = state
        log.info("%sinput %s: %s", self._prefix, state, self.description)
        self._resumed.wait()
        if self._stop_event.is_set() or self._pause_as is not None:
            return
        try:
            self._source = self._reopen()
        except Exception as error:  # the normal reconnection takes over, with its backoff
            self.state, self.last_error = RECONNECTING, str(error)
            return
        self._backoff.reset()

    def _wait_until(self, due: float, period: float) -> float:
        """Sleep until `due`; the next due time (re-anchored if we fell behind)."""
        now = time.monotonic()
        if due > now:
            self._stop_event.wait(due - now)
            return due + period
        return max(due + period, now)

    def _lose(self, source: Source, state: str, reason: str) -> None:
        source.close()
        self._source = None
        self.state, self.last_error = state, reason
        if state == OFFLINE:
            log.warning("%s%s; serving the last frame", self._prefix, reason)

    def _reconnect(self) -> Source | None:
        delay = self._backoff.next_delay()
        log.warning(
            "%sinput lost (%s); reconnecting in %.1f s", self._prefix, self.last_error, delay
        )
        self.state = RECONNECTING
        if self._stop_event.wait(delay):
            return None
        try:
            self._source = self._reopen()
        except Exception as error:
            self.last_error = str(error)
            return None
        self.reconnects += 1
        return self._source


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    """One JPEG, 4:2:0 chroma subsampling, at the given quality."""
    ok, buffer = cv2.imencode(
        ".jpg",
        image,
        [
            cv2.IMWRITE_JPEG_QUALITY,
            quality,
            cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
            cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420,
        ],
    )
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buffer.tobytes()


def draw_offline_banner(image: np.ndarray, text: str) -> np.ndarray:
    """A copy of the image with a banner bottom left saying what became of the input."""
    marked = image.copy()
    overlay = Overlay(marked)
    overlay.place_in_corner(overlay.panel([text], BANNER_RED, BANNER_SCALE), "bottom-left")
    overlay.finish()
    return marked


def draw_overlays(
    image: np.ndarray,
    networks: Iterable[ModelSlot],
    results: Mapping[str, Result],
    stats: str | None = None,
    camera: str = "",
) -> Overlay:
    """Draw the results of the networks (for `camera`'s models) on the image in place, in the
    networks' order, and the stats line if given. The stats line takes its place first (bottom
    left); the networks place their labels where they cover no other, and all labels are drawn
    last, on top of every tint, box and skeleton. The Overlay, which knows where the labels
    went."""
    overlay = Overlay(image, results)
    if stats is not None:
        overlay.place_in_corner(overlay.panel([stats], BLACK), "bottom-left")
    for network in networks:
        if network.type in results:
            network.draw(image, results[network.type], overlay, camera)
    overlay.finish()
    return overlay


def network_groups(slots: Iterable[ModelSlot]) -> list[list[ModelSlot]]:
    """The networks in groups that may run in parallel: a network that needs another's result
    goes into that network's group, after it. `slots` come in NETWORK_TYPES order, which lists
    a type after the types it needs."""
    groups: list[list[ModelSlot]] = []
    group_of: dict[str, list[ModelSlot]] = {}
    for slot in slots:
        needed = [group_of[t] for t in slot.needs if t in group_of]
        group = needed[0] if needed else []
        if not needed:
            groups.append(group)
        for other in needed[1:]:
            if other is not group:
                group.extend(other)
                groups.remove(other)
        group.append(slot)
        for member in group:
            group_of[member.type] = group
    return groups


def run_group(group: list[ModelSlot], frame: Frame) -> dict[str, Result]:
    """Run a group's networks on one frame, in order, each given the results it needs."""
    results: dict[str, Result] = {}
    for slot in group:
        result = slot.run(frame, {t: results[t] for t in slot.needs if t in results})
        if result is not None:
            results[slot.type] = result
    return results


class NetworkWorker(threading.Thread):
    """async mode: runs one group of networks on the newest frame it can take, over and over,
    while `active` is set."""

    def __init__(
        self,
        group: list[ModelSlot],
        frames: LatestFrame,
        active: threading.Event,
        stopped: threading.Event,
    ) -> None:
        super().__init__(name="network-" + "+".join(slot.type for slot in group), daemon=True)
        self._group, self._frames = group, frames
        self._active, self._stopped = active, stopped

    def run(self) -> None:
        lower_this_thread()
        processed = -1
        while not self._stopped.is_set():
            if not self._active.wait(OFFLINE_REPUBLISH_S):
                continue
            frame = self._frames.wait_newer(processed, timeout=OFFLINE_REPUBLISH_S)
            if frame is None or not self._active.is_set():
                continue
            processed = frame.index
            try:
                run_group(self._group, frame)  # a network's own failure is handled in its slot
            except Exception:
                log.exception("%s: running frame %d failed", self.name, frame.index)


class StreamSettings:
    """The stream's live settings (/stream/...), one set for every camera's pipeline."""

    def __init__(self, jpeg_quality: int = 80, network_mode: str = DEFAULT_NETWORK_MODE) -> None:
        self.jpeg_quality = jpeg_quality
        self.max_fps = 0.0
        self.overlay_stats = False
        self.parallel_networks = True  # sync mode: faster on 2 cores (bench/models.py)
        self.asynchronous = threading.Event()  # set in async mode; the workers wait on it
        self.set_network_mode(network_mode)

    @property
    def network_mode(self) -> str:
        return ASYNC if self.asynchronous.is_set() else SYNC

    def set_network_mode(self, mode: str) -> None:
        if mode not in NETWORK_MODES:
            raise ValueError(f"network mode {mode!r} is not one of {', '.join(NETWORK_MODES)}")
        if mode == ASYNC:
            self.asynchronous.set()
        else:
            self.asynchronous.clear()

    def declare_properties(self, settings: PropertyRegistry) -> None:
        attribute_property(
            settings,
            "/stream/jpeg_quality",
            self,
            "jpeg_quality",
            int,
            minimum=1,
            maximum=100,
            step=1,
            help="JPEG quality of the stream: higher is sharper and heavier",
            label="JPEG quality",
        )
        attribute_property(
            settings,
            "/stream/max_fps",
            self,
            "max_fps",
            float,
            minimum=0,
            maximum=120,
            step=1,
            help="cap on the output frame rate; 0: no cap",
            label="Max FPS (0 = no cap)",
        )
        attribute_property(
            settings,
            "/stream/overlay_stats",
            self,
            "overlay_stats",
            bool,
            help="draw fps and latency into the video",
            label="Draw stats on the video",
        )
        rest_property(
            settings,
            "/stream/network_mode",
            lambda: self.network_mode,
            self.set_network_mode,
            str,
            choices=NETWORK_MODES,
            help="sync: every frame waits for every network; async: the video keeps "
            "its rate and each network runs at its own, drawn with its latest "
            "result",
            label="Network timing",
        )
        attribute_property(
            settings,
            "/stream/parallel_networks",
            self,
            "parallel_networks",
            bool,
            help="sync mode: run the networks of a frame in parallel",
            label="Run networks in parallel",
        )


class Pipeline:
    """One camera's capture, processing and network threads and the Broadcaster its viewers
    read. With several cameras (dashboard.py), the pipelines share the stream settings, the
    settings registry and the networks (ModelSlots, which keep a model per camera).

    Capture on demand: with `idle_stop` seconds, a camera that nobody has watched for that
    long (no viewer, and no touch(): a snapshot or results request) closes its input and its
    networks stop; the next touch() opens it again. `running = False` stops it by hand."""

    def __init__(
        self,
        source: Source,
        reopen: Callable[[], Source],
        *,
        name: str = "camera1",
        jpeg_quality: int = 80,
        backoff: Backoff | None = None,
        networks: list[ModelSlot] | None = None,
        network_mode: str = DEFAULT_NETWORK_MODE,
        outputs: Sequence[Output] = (),
        stream: StreamSettings | None = None,
        settings: PropertyRegistry | None = None,
        idle_stop: float = 0.0,
    ) -> None:
        self.name = name
        self.stream = stream or StreamSettings(jpeg_quality, network_mode)
        self.outputs = list(outputs)  # files written besides the stream (outputs.py)
        self.idle_stop = 0.0 if outputs else idle_stop  # an output watches all the time
        self.settings = settings or PropertyRegistry()
        self.broadcaster = Broadcaster()
        self.networks = {
            slot.type: slot
            for slot in sorted(networks or [], key=lambda slot: NETWORK_TYPES.index(slot.type))
        }
        for slot in self.networks.values():
            slot.add_camera(name)
        self._groups = network_groups(self.networks.values())
        self._pool = ThreadPoolExecutor(
            max(1, len(self._groups)), f"network-{name}", initializer=lower_this_thread
        )
        self._frames = LatestFrame()
        self.capture = CaptureThread(source, reopen, self._frames, backoff, name)
        self._thread = threading.Thread(
            target=self._process_loop, name=f"process-{name}", daemon=True
        )
        self._stop_event = threading.Event()
        self._workers = [
            NetworkWorker(group, self._frames, self.stream.asynchronous, self._stop_event)
            for group in self._groups
        ]
        self._last_watched = time.monotonic()
        self._started = time.monotonic()
        self._output = RateMeter()
        self._canvases = ImagePool()  # the annotated copies, reused (images.py)
        self._encode_ms = Average()
        self._latency_ms = Average()
        # capture to publish, for /metrics (metrics.py)
        self.latency = Histogram(
            "dashboard_latency_seconds", "latency", buckets=SECONDS_BUCKETS, registry=None
        )
        self._dropped = 0
        self._seq = 0
        self._last_publish = 0.0
        if stream is None:  # a pipeline of its own: its settings are its own too
            self.stream.declare_properties(self.settings)
            self.declare_input_properties(self.settings)
            for network in self.networks.values():
                network.declare_properties(self.settings)

    @property
    def network_mode(self) -> str:
        return self.stream.network_mode

    def declare_input_properties(self, settings: PropertyRegistry) -> None:
        """/input/...: this camera's resolution, rate and state, read only."""
        capture = self.capture
        rest_property(
            settings,
            "/input/resolution",
            type=str,
            help="width x height",
            getter=lambda: "x".join(map(str, capture.resolution or ())) or None,
        )
        rest_property(
            settings,
            "/input/fps",
            type=float,
            help="frames captured per second",
            label="FPS",
            getter=lambda: round(capture.meter.rate(), 2),
        )
        rest_property(
            settings,
            "/input/state",
            type=str,
            help="online, reconnecting or offline",
            getter=lambda: capture.state,
        )

    @property
    def running(self) -> bool:
        """Whether the camera runs (not stopped by hand); an idle one runs, and wakes."""
        return self.capture._pause_as != STOPPED

    @running.setter
    def running(self, running: bool) -> None:
        if running:
            self._last_watched = time.monotonic()
            self.capture.resume()
        else:
            self.capture.pause(STOPPED)

    def touch(self) -> None:
        """Someone wants this camera's frames or results: wake it if it is idle."""
        self._last_watched = time.monotonic()
        if self.capture._pause_as == IDLE:
            self.capture.resume()

    def _check_idle(self) -> None:
        """Capture on demand: nobody has watched for idle_stop seconds, so free the input."""
        if not self.idle_stop or self.capture.paused:
            return
        if self.broadcaster.stats()["viewers"]:
            self._last_watched = time.monotonic()
        elif time.monotonic() - self._last_watched > self.idle_stop:
            self.capture.pause(IDLE)

    def start(self) -> None:
        self.capture.start()
        for worker in self._workers:
            worker.start()
        self._thread.start()

    def stop(self) -> None:
        """Stop every thread; each gets STOP_WAIT_S to finish its frame."""
        self._stop_event.set()
        self.stream.asynchronous.set()  # wakes the workers of sync mode, to see the stop
        self.capture.stop()
        self._frames.close()
        self.broadcaster.close()
        self._thread.join(STOP_WAIT_S)
        for output in self.outputs:
            output.close()
        self.capture.join(STOP_WAIT_S)
        for worker in self._workers:  # a runtime torn down mid-inference can abort the process
            if worker.is_alive():
                worker.join(STOP_WAIT_S)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def dead_threads(self) -> list[str]:
        """The threads that should run and do not: they died (liveness, /healthz). A capture
        thread ends by design at the end of a file (offline); nothing runs once stopped."""
        if self._stop_event.is_set():
            return []
        threads: list[threading.Thread] = [self._thread, *self._workers]
        if self.capture.state != OFFLINE:
            threads.append(self.capture)
        dead = [thread.name for thread in threads if thread.ident and not thread.is_alive()]
        return dead + ([] if self.broadcaster.running else [f"fan-out-{self.name}"])

    def _process_loop(self) -> None:
        processed = -1
        last: Frame | None = None
        last_results: dict[str, Result] = {}
        while not self._stop_event.is_set():
            self._check_idle()
            frame = self._frames.wait_newer(processed, timeout=OFFLINE_REPUBLISH_S)
            try:
                if frame is None:
                    if last is not None and self.capture.state in (RECONNECTING, OFFLINE):
                        if self.network_mode == ASYNC:  # a worker may have finished it since
                            last_results = self._results_for(last)
                        self._publish_offline(last, last_results)
                    continue
                if processed >= 0:
                    self._dropped += frame.index - processed - 1
                processed, last = frame.index, frame
                last_results = self._results_for(frame)
                self._publish(self._annotate(frame, last_results), frame, live=True)
            except Exception:  # never let one bad frame end the stream
                log.exception("processing frame %d failed", processed)
            self._throttle()

    def _publish_offline(self, last: Frame, results: dict[str, Result]) -> None:
        """The last frame again, with the overlays of its results (as the networks' settings
        now say to draw them) and a banner saying the input is reconnecting or offline."""
        banner = f"INPUT {self.capture.state.upper()}"
        annotated = self._annotate(last, results)
        self._publish(draw_offline_banner(annotated, banner), last, live=False)

    def _results_for(self, frame: Frame) -> dict[str, Result]:
        """The results to draw on `frame`: in sync mode, the enabled networks run on it now;
        in async mode, each enabled network's latest result (the workers make them)."""
        if self.network_mode == ASYNC:
            latest = {
                slot.type: slot.result_up_to(frame.index, frame.camera)
                for slot in self.networks.values()
                if slot.enabled
            }
            return {network_type: result for network_type, result in latest.items() if result}
        if self.stream.parallel_networks and len(self._groups) > 1:
            futures = [self._pool.submit(run_group, group, frame) for group in self._groups]
            found = [future.result() for future in futures]
        else:
            found = [run_group(group, frame) for group in self._groups]
        return {
            network_type: result for results in found for network_type, result in results.items()
        }

    def _annotate(self, frame: Frame, results: dict[str, Result]) -> np.ndarray:
        """The networks' overlays and the stats line, drawn in NETWORK_TYPES order on a copy
        (the captured frame stays clean for re-use); the picture to encode, as a numpy array
        (over a cudaImage's mapped memory on a Jetson: the one synchronize of the frame)."""
        overlay_stats = self.stream.overlay_stats
        if not results and not overlay_stats:
            return host_view(frame.image)
        annotated = host_view(self._canvases.copy(frame.image))  # on the GPU for a cudaImage
        stats = (
            f"in {self.capture.meter.rate():.1f} fps  out {self._output.rate():.1f} fps  "
            f"latency {self._latency_ms.value or 0:.0f} ms"
            if overlay_stats
            else None
        )
        draw_overlays(annotated, self.networks.values(), results, stats, frame.camera)
        return annotated

    def _throttle(self) -> None:
        """Hold the loop so that the output rate stays under max_fps (0: no cap). The wait
        is cut in slices, so that a new max_fps applies at once, even after a very low one."""
        while not self._stop_event.is_set():
            max_fps = self.stream.max_fps
            remaining = self._last_publish + 1.0 / max_fps - time.monotonic() if max_fps else 0
            if remaining <= 0:
                return
            self._stop_event.wait(min(remaining, THROTTLE_SLICE_S))

    def _publish(self, image: np.ndarray, frame: Frame, live: bool) -> None:
        self._last_publish = time.monotonic()
        started = time.perf_counter()
        jpeg = encode_jpeg(image, self.stream.jpeg_quality)
        self._encode_ms.add((time.perf_counter() - started) * 1000)
        self._seq += 1
        self.broadcaster.publish(EncodedFrame(self._seq, frame.index, frame.timestamp, jpeg))
        self._output.tick()
        for output in self.outputs:
            output.write(image, frame)
        if live:
            latency = time.time() - frame.timestamp
            self._latency_ms.add(latency * 1000)
            self.latency.observe(latency)

    def shown_frame(self) -> int | None:
        """The index of the frame published last (the one viewers see)."""
        latest = self.broadcaster.latest
        return latest.index if latest else None

    def results(self) -> dict[str, Any]:
        """The latest result of every loaded network (None before its first)."""
        results = {name: network.result_for(self.name) for name, network in self.networks.items()}
        return {name: result.to_json() if result else None for name, result in results.items()}

    def stats(self) -> dict[str, Any]:
        """The figures /stats serves."""
        capture = self.capture
        return {
            "fps_in": round(capture.meter.rate(), 2),
            "fps_out": round(self._output.rate(), 2),
            "encode_ms": self._encode_ms.rounded(),
            "latency_ms": self._latency_ms.rounded(),
            "frames_dropped": self._dropped,
            **self.broadcaster.stats(),
            "network_mode": self.network_mode,
            "networks": {
                name: self._network_stats(network) for name, network in self.networks.items()
            },
            "source": {
                "description": capture.description,
                "state": capture.state,
                "error": capture.last_error,
                "reconnects": capture.reconnects,
                "resolution": list(capture.resolution) if capture.resolution else None,
            },
            "uptime_s": round(time.monotonic() - self._started, 1),
        }

    def _network_stats(self, network: ModelSlot) -> dict[str, Any]:
        """A network's figures, with how old its latest result is against the frame shown."""
        figures = network.stats()
        shown, result = self.broadcaster.latest, network.result_for(self.name)
        figures["result_frame"] = result.frame if result else None
        figures["result_age_frames"] = shown.index - result.frame if shown and result else None
        figures["result_age_ms"] = (
            round((shown.timestamp - result.timestamp) * 1000, 1) if shown and result else None
        )
        return figures
