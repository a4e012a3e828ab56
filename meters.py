"""Meters the pipeline, the networks and the fan-out share: a rate and a moving average."""

from __future__ import annotations

import threading
import time
from collections import deque


class RateMeter:
    """Events per second over a sliding window."""

    def __init__(self, window_s: float = 2.0) -> None:
        self._window = window_s
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def tick(self) -> None:
        now = time.monotonic()
        with self._lock:
            self._times.append(now)
            while self._times and now - self._times[0] > self._window:
                self._times.popleft()

    def rate(self) -> float:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._times if now - t <= self._window]
        if len(recent) < 2:
            return 0.0
        intervals = len(recent) - 1
        span = recent[-1] - recent[0]
        # Over the span of the ticks, not up to now: a steady 1 fps reads 1.0, not 0.5-1.0.
        # Once ticks are overdue (now - last > one interval), the rate falls as they stay away.
        return intervals / max(span, now - recent[0] - span / intervals, 1e-6)


class Average:
    """An exponential moving average (of durations in ms, of rates...)."""

    def __init__(self, weight: float = 0.1) -> None:
        self._weight = weight
        self.value: float | None = None

    def add(self, sample: float) -> None:
        self.value = (
            sample if self.value is None else (self.value + self._weight * (sample - self.value))
        )

    def rounded(self) -> float | None:
        return None if self.value is None else round(self.value, 2)


# Buckets of the histograms of seconds (/metrics: latency, each network's time per frame): from
# a millisecond (a frame with no network) to seconds (a network on a busy CPU, a stalled frame).
SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
