"""Health for probes (README, "Health for probes"): liveness and readiness.

- Liveness (/healthz): the process answers and every camera's threads that should run do
  (capture, processing, network workers, fan-out). A dead thread is a 503: restart the app.
- Readiness (/readyz): every camera's input is there. An input that is offline (lost for
  good, or a file played to its end) or reconnecting is a 503 naming it; a camera that is
  idle (capture on demand) or stopped by hand is ready: nobody asked for its frames.
  /cameras/<name>/readyz is one camera's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stream import OFFLINE, RECONNECTING, Pipeline

NOT_READY = (OFFLINE, RECONNECTING)


def liveness(pipelines: Mapping[str, Pipeline]) -> tuple[dict[str, Any], int]:
    """The /healthz body and status: the first camera's input state as `source`, and the
    threads that died, by camera, if any."""
    first = next(iter(pipelines.values()))
    dead = {name: threads for name, p in pipelines.items() if (threads := p.dead_threads())}
    if dead:
        return {"status": "dead", "source": first.capture.state, "dead_threads": dead}, 503
    return {"status": "ok", "source": first.capture.state}, 200


def readiness(pipelines: Mapping[str, Pipeline]) -> tuple[dict[str, Any], int]:
    """The /readyz body and status: each camera's input state, and those not ready."""
    states = {name: pipeline.capture.state for name, pipeline in pipelines.items()}
    waiting = [name for name, state in states.items() if state in NOT_READY]
    body: dict[str, Any] = {"status": "not ready" if waiting else "ready", "cameras": states}
    if waiting:
        body["not_ready"] = waiting
    return body, 503 if waiting else 200
