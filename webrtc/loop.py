"""The asyncio event loop aiortc runs in: one daemon thread for all of the app's peers, so that
the pipeline's and the HTTP server's threads never run aiortc code themselves; they hand it
coroutines and callbacks."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
STOP_WAIT_S = 5.0


class LoopThread:
    """An asyncio loop running in its own thread until close()."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.running = True  # until close()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._thread = threading.Thread(target=self.loop.run_forever, name="webrtc", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run a coroutine in the loop and wait for its result (its exception is raised here;
        TimeoutError after `timeout` seconds, and the coroutine is cancelled; RuntimeError
        once the loop is closing)."""
        if not self.running:
            coroutine.close()
            raise RuntimeError("the WebRTC event loop has stopped")
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run a coroutine as a task of the loop, from the loop's own thread, holding on to
        the task until it is done (the loop holds tasks only weakly)."""
        task = self.loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        """Call `callback(*args)` in the loop's thread, soon; never blocks the caller."""
        if self.running:
            self.loop.call_soon_threadsafe(callback, *args)

    def close(self) -> None:
        """Stop the loop (close the peers first) and its thread."""
        if not self.running:
            return
        self.running = False
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(STOP_WAIT_S)
        if not self._thread.is_alive():
            self.loop.close()
