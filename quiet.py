"""A quiet start: the runtimes' own console chatter, hidden unless --verbose asks for it.

Loading the six networks and running their first frames prints, around the app's own log:

- MediaPipe's C++ log (absl), its INFO and WARNING lines: `I0000 00:00:... task_runner.cc:85]
  GPU suport is not available: ... Unable to initialize EGL`, `W0000 ...
  image_segmenter_graph.cc:218] No activation type is found in model metadata...`, `W0000 ...
  inference_feedback_manager.cc:114] Feedback manager requires a model with a single signature
  inference...` (at a network's first frames), `W0000 ... landmark_projection_calculator.cc:186]
  Using NORM_RECT...` (at the first person seen), and absl's `WARNING: All log messages before
  absl::InitializeLog() is called are written to STDERR`;
- TF Lite's `INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`;
- protobuf's `UserWarning: MessageFactory class is deprecated...` (MediaPipe's image segmenter);
- matplotlib's `generated new fontManager` (MediaPipe imports it), on a machine's first run.

The last two go by the documented knobs: a `warnings` filter and the logger's level. The C++
lines cannot: they are written to file descriptor 2 by code compiled into MediaPipe's extension,
which reads no setting of their level (GLOG_minloglevel, TF_CPP_MIN_LOG_LEVEL: no effect), and
some come long after loading. So fd 2 is piped through a filter process (this module run as a
script) that drops those line kinds and passes every other line, absl's ERROR and FATAL lines
included; being a process of its own, it also passes on what a crashing app writes last.
Python's own sys.stderr keeps the real stderr: the app's log and tracebacks bypass the filter.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
import warnings
from typing import BinaryIO

HIDDEN = re.compile(
    rb"[IW]\d{4} [\d:.]+ +\d+ [^ \]]+:\d+\] "  # absl's INFO and WARNING lines
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|INFO: "
)  # TF Lite's INFO lines


def start(verbose: bool) -> None:
    """Hide the lines above from now on, unless `verbose`. Call before logging is set up."""
    if verbose:
        return
    warnings.filterwarnings("ignore", "MessageFactory class is deprecated", UserWarning)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    sys.stderr.flush()
    real_stderr = os.dup(2)
    sys.stderr = open(  # noqa: SIM115 (the app's stderr for the rest of its life)
        real_stderr, "w", buffering=1, encoding=sys.stderr.encoding, errors="backslashreplace"
    )
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited: Ctrl-C spares it,
    try:  # it ends when the app does
        filter_process = subprocess.Popen(
            [sys.executable, __file__], stdin=subprocess.PIPE, stdout=real_stderr
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    assert filter_process.stdin is not None  # stdin=PIPE
    os.dup2(filter_process.stdin.fileno(), 2)
    filter_process.stdin.close()
    atexit.register(_finish, filter_process, real_stderr)


def _finish(filter_process: subprocess.Popen, real_stderr: int) -> None:
    """At exit, let the filter pass on what it holds before the app ends."""
    os.dup2(real_stderr, 2)  # the pipe's last writer closes: the filter reads to its end
    with contextlib.suppress(subprocess.TimeoutExpired):
        filter_process.wait(timeout=2)


def filter_lines(source: BinaryIO, sink: BinaryIO) -> None:
    """Copy `source` to `sink` line by line, less the HIDDEN lines."""
    for line in source:
        if not HIDDEN.match(line):
            sink.write(line)
            sink.flush()


if __name__ == "__main__":
    filter_lines(sys.stdin.buffer, sys.stdout.buffer)
