"""A lock that takes its waiters in the order they came (threading.Lock makes no promise)."""

from __future__ import annotations

import threading
from types import TracebackType


class FairLock:
    """First come, first served: a network shared by several cameras serves their frames in
    turn, so that no camera starves. A context manager, like threading.Lock."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._next_ticket = 0  # the ticket the next arrival takes
        self._serving = 0  # the ticket that holds the lock

    def __enter__(self) -> FairLock:
        with self._condition:
            ticket = self._next_ticket
            self._next_ticket += 1
            self._condition.wait_for(lambda: self._serving == ticket)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._condition:
            self._serving += 1
            self._condition.notify_all()
