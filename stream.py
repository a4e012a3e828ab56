"""The streaming pipeline: capture -> (networks) -> overlay -> encode once -> publish.

Two threads. The capture thread keeps only the newest frame in a slot and reconnects a lost
input with capped backoff. The processing thread takes the newest frame, encodes ONE JPEG and
publishes it to the Broadcaster, which every viewer reads from.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from broadcast import Broadcaster, EncodedFrame
from draw import draw_label
from mjpeg import encode_part
from model import NETWORK_TYPES, ModelSlot
from results import FrameResult
from sources import Source
from utils import Average, PropertyRegistry, RateMeter, attribute_property, rest_property

log = logging.getLogger(__name__)

ONLINE, RECONNECTING, OFFLINE = "online", "reconnecting", "offline"
OFFLINE_REPUBLISH_S = 1.0
STABLE_ONLINE_S = 5.0  # an input online this long again starts its backoff from the start
THROTTLE_SLICE_S = 0.1


@dataclass(frozen=True)
class CapturedFrame:
    image: np.ndarray
    index: int
    timestamp: float  # capture time, Unix seconds


class LatestFrame:
    """A one-frame slot: the writer replaces, readers wait for an index newer than theirs."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._frame: CapturedFrame | None = None

    def put(self, frame: CapturedFrame) -> None:
        with self._condition:
            self._frame = frame
            self._condition.notify_all()

    def wait_newer(self, index: int, timeout: float) -> CapturedFrame | None:
        with self._condition:
            self._condition.wait_for(
                lambda: self._frame is not None and self._frame.index > index, timeout)
            frame = self._frame
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
    """Reads the input into a LatestFrame, pacing files and patterns, reconnecting on loss."""

    def __init__(self, source: Source, reopen: Callable[[], Source], slot: LatestFrame,
                 backoff: Backoff | None = None) -> None:
        super().__init__(name="capture", daemon=True)
        self._source: Source | None = source
        self._reopen = reopen
        self._slot = slot
        self._backoff = backoff or Backoff()
        self._stop_event = threading.Event()
        self.description = source.description
        self.state = ONLINE
        self._online_since = time.monotonic()
        self.last_error: str | None = None
        self.reconnects = 0
        self.resolution: tuple[int, int] | None = None
        self.meter = RateMeter()

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        index = 0
        next_due = time.monotonic()
        while not self._stop_event.is_set():
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
                log.info("input online: %s", source.description)
                self._online_since = time.monotonic()
            self.state, self.last_error = ONLINE, None
            if time.monotonic() - self._online_since >= STABLE_ONLINE_S:
                self._backoff.reset()  # an input that drops after every frame keeps backing off
            self.resolution = (image.shape[1], image.shape[0])
            self._slot.put(CapturedFrame(image, index, time.time()))
            self.meter.tick()
            index += 1
        if self._source is not None:
            self._source.close()

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
            log.warning("%s; serving the last frame", reason)

    def _reconnect(self) -> Source | None:
        delay = self._backoff.next_delay()
        log.warning("input lost (%s); reconnecting in %.1f s", self.last_error, delay)
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
    ok, buffer = cv2.imencode(".jpg", image, [
        cv2.IMWRITE_JPEG_QUALITY, quality,
        cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buffer.tobytes()


def draw_offline_banner(image: np.ndarray, text: str) -> np.ndarray:
    marked = image.copy()
    draw_label(marked, text, (10, marked.shape[0] - 12), background=(0, 0, 160), scale=0.7)
    return marked


class Pipeline:
    """Owns the capture and processing threads and the Broadcaster the viewers read."""

    def __init__(self, source: Source, reopen: Callable[[], Source], *, jpeg_quality: int = 80,
                 backoff: Backoff | None = None, networks: list[ModelSlot] | None = None) -> None:
        self.jpeg_quality = jpeg_quality
        self.max_fps = 0.0
        self.overlay_stats = False
        self.settings = PropertyRegistry()
        self.broadcaster = Broadcaster()
        self.networks = {slot.type: slot for slot in
                         sorted(networks or [], key=lambda slot: NETWORK_TYPES.index(slot.type))}
        self.parallel_networks = True  # faster on 2 cores (bench/models.py)
        self._workers = ThreadPoolExecutor(max(1, len(self.networks)), "network")
        self._slot = LatestFrame()
        self.capture = CaptureThread(source, reopen, self._slot, backoff)
        self._thread = threading.Thread(target=self._process_loop, name="process", daemon=True)
        self._stop_event = threading.Event()
        self._started = time.monotonic()
        self._output = RateMeter()
        self._encode_ms = Average()
        self._latency_ms = Average()
        self._dropped = 0
        self._seq = 0
        self._last_publish = 0.0
        self._declare_settings()

    def _declare_settings(self) -> None:
        settings = self.settings
        attribute_property(settings, "/stream/jpeg_quality", self, "jpeg_quality", int,
                           minimum=1, maximum=100, step=1, help="JPEG quality of the stream")
        attribute_property(settings, "/stream/max_fps", self, "max_fps", float, minimum=0,
                           maximum=120, step=1, help="cap on the output frame rate; 0: no cap")
        attribute_property(settings, "/stream/overlay_stats", self, "overlay_stats", bool,
                           help="draw fps and latency into the video")
        attribute_property(settings, "/stream/parallel_networks", self, "parallel_networks",
                           bool, help="run the networks of a frame in parallel threads")
        capture = self.capture
        rest_property(settings, "/input/resolution", type=str, help="width x height",
                      getter=lambda: "x".join(map(str, capture.resolution or ())) or None)
        rest_property(settings, "/input/fps", type=float, help="frames captured per second",
                      getter=lambda: round(capture.meter.rate(), 2))
        rest_property(settings, "/input/state", type=str, help="online, reconnecting or offline",
                      getter=lambda: capture.state)
        for network in self.networks.values():
            network.declare_properties(settings)

    def start(self) -> None:
        self.capture.start()
        self._thread.start()

    def stop(self, timeout: float = 1.5) -> None:
        self._stop_event.set()
        self.capture.stop()
        self.broadcaster.close()
        self._thread.join(timeout)
        self.capture.join(timeout)
        self._workers.shutdown(wait=False, cancel_futures=True)

    def _process_loop(self) -> None:
        processed = -1
        last: CapturedFrame | None = None
        while not self._stop_event.is_set():
            frame = self._slot.wait_newer(processed, timeout=OFFLINE_REPUBLISH_S)
            try:
                if frame is None:
                    if last is not None and self.capture.state != ONLINE:
                        self._publish_offline(last)
                    continue
                if processed >= 0:
                    self._dropped += frame.index - processed - 1
                processed, last = frame.index, frame
                with self.settings.lock:  # settings change between frames, not during one
                    self._publish(self._annotate(frame), frame, live=True)
            except Exception:  # never let one bad frame end the stream
                log.exception("processing frame %d failed", processed)
            self._throttle()

    def _publish_offline(self, last: CapturedFrame) -> None:
        """The last frame again, with a banner saying the input is reconnecting or offline."""
        banner = f"INPUT {self.capture.state.upper()}"
        with self.settings.lock:
            self._publish(draw_offline_banner(last.image, banner), last, live=False)

    def _annotate(self, frame: CapturedFrame) -> np.ndarray:
        """Run the enabled networks on the frame; their overlays and the stats line, drawn in
        NETWORK_TYPES order on a copy (the captured frame stays clean for re-use)."""
        results = self._run_networks(frame)
        if not results and not self.overlay_stats:
            return frame.image
        annotated = frame.image.copy()
        for network in self.networks.values():  # drawn in NETWORK_TYPES order
            if network.type in results:
                network.draw(annotated, results[network.type])
        if not self.overlay_stats:
            return annotated
        text = (f"in {self.capture.meter.rate():.1f} fps  out {self._output.rate():.1f} fps  "
                f"latency {self._latency_ms.value or 0:.0f} ms")
        draw_label(annotated, text, (8, annotated.shape[0] - 10))
        return annotated

    def _run_networks(self, frame: CapturedFrame) -> dict[str, FrameResult]:
        """The enabled networks' results for this frame; those that use another network's
        result run after the others."""
        independent = [n for n in self.networks.values() if n.uses is None]
        dependent = [n for n in self.networks.values() if n.uses is not None]
        if self.parallel_networks and len(independent) > 1:
            futures = [self._workers.submit(n.run, frame.image, frame.index, frame.timestamp)
                       for n in independent]
            found = [future.result() for future in futures]
        else:
            found = [n.run(frame.image, frame.index, frame.timestamp) for n in independent]
        results = {result_type: result for result_type, result in
                   zip((n.type for n in independent), found) if result is not None}
        for network in dependent:
            result = network.run(frame.image, frame.index, frame.timestamp,
                                 results.get(network.uses))
            if result is not None:
                results[network.type] = result
        return results

    def _throttle(self) -> None:
        """Hold the loop so that the output rate stays under max_fps (0: no cap). The wait
        is cut in slices, so that a new max_fps applies at once, even after a very low one."""
        while not self._stop_event.is_set():
            max_fps = self.max_fps
            remaining = self._last_publish + 1.0 / max_fps - time.monotonic() if max_fps else 0
            if remaining <= 0:
                return
            self._stop_event.wait(min(remaining, THROTTLE_SLICE_S))

    def _publish(self, image: np.ndarray, frame: CapturedFrame, live: bool) -> None:
        self._last_publish = time.monotonic()
        started = time.perf_counter()
        jpeg = encode_jpeg(image, self.jpeg_quality)
        self._encode_ms.add((time.perf_counter() - started) * 1000)
        self._seq += 1
        self.broadcaster.publish(EncodedFrame(self._seq, frame.index, frame.timestamp, jpeg,
                                              encode_part(jpeg, frame.index, frame.timestamp)))
        self._output.tick()
        if live:
            self._latency_ms.add((time.time() - frame.timestamp) * 1000)

    def results(self) -> dict:
        """The latest result of every loaded network (None before its first)."""
        return {name: network.result.to_json() if network.result else None
                for name, network in self.networks.items()}

    def stats(self) -> dict:
        """The figures /stats serves."""
        capture = self.capture
        return {
            "fps_in": round(capture.meter.rate(), 2),
            "fps_out": round(self._output.rate(), 2),
            "encode_ms": self._encode_ms.rounded(),
            "latency_ms": self._latency_ms.rounded(),
            "frames_dropped": self._dropped,
            **self.broadcaster.stats(),
            "networks": {name: network.stats() for name, network in self.networks.items()},
            "source": {
                "description": capture.description,
                "state": capture.state,
                "error": capture.last_error,
                "reconnects": capture.reconnects,
                "resolution": list(capture.resolution) if capture.resolution else None,
            },
            "uptime_s": round(time.monotonic() - self._started, 1),
        }
