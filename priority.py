"""CPU priority of the threads that run networks.

The networks can keep every core busy. The threads that serve requests and publish the video
must not queue behind them, so the network threads run at a lower priority: a higher Linux
nice value for the calling thread (Linux keeps one per thread). Threads a runtime starts
inherit it from the thread that starts them, so networks are also loaded in such a thread.
Raising one's own nice value needs no privilege; where it is not possible, nothing changes.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

NETWORK_NICE = 5  # about a third of the CPU share of a normal thread, when both want it

T = TypeVar("T")


def lower_this_thread() -> None:
    """Run the calling thread (and the threads it starts) at NETWORK_NICE."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NETWORK_NICE)


def at_network_priority(work: Callable[[], T]) -> T:
    """work(), run in a thread of its own at NETWORK_NICE; its result, or its exception."""
    with ThreadPoolExecutor(1, "load", initializer=lower_this_thread) as thread:
        return thread.submit(work).result()
