"""Log lines that a client can cause, at a rate a flood cannot raise.

A bad request, a refused connection or a failing accept() each write a line; a client that
sends thousands a second must not fill the disk with them. `RateLimitedLog` writes a burst of
lines at once and then one line per interval (a token bucket); the lines left out are
counted, and the next line written says how many there were.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any


class RateLimitedLog:
    """One kind of log line through `logger`: at most `burst` lines at once, then one every
    `interval_s` seconds; the others are counted and left out."""

    def __init__(
        self,
        logger: logging.Logger,
        burst: int = 10,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._burst = burst
        self._interval = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._refilled = clock()
        self.left_out = 0  # lines left out since the last one written

    def log(self, level: int, message: str, *args: Any, exc_info: bool = False) -> bool:
        """Write the line if the rate allows (with the count of lines left out before it);
        whether it was written."""
        if not self._logger.isEnabledFor(level):
            return False
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._refilled) / self._interval)
            self._refilled = now
            if self._tokens < 1:
                self.left_out += 1
                return False
            self._tokens -= 1
            left_out, self.left_out = self.left_out, 0
        if left_out:
            message += f" ({left_out} more like it not logged)"
        self._logger.log(level, message, *args, exc_info=exc_info)
        return True
