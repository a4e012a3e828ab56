"""Benchmark of the networks: ms per frame for each, and the pipeline with several together.

    .venv/bin/python bench/models.py [--seconds 10] [--types detection,classification]

Prints figures, never passes or fails. Input: tests/data/astronaut.jpg resized to 640x480
(a person, so pose, segmentation and background have work to do), served at 30 fps.
1. Each default network alone: median and p90 ms of process() + draw() over --runs frames.
2. The whole pipeline in-process (capture -> networks -> overlay -> encode -> publish) with
   detection + classification, then with every type whose default network runs here, each
   with the networks run one after another and in parallel threads: output fps, and latency
   from capture to publish (median, p95), against the sum of the networks' ms alone (1.)
   plus one frame interval.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import cv2
import numpy as np

from catalogue import Catalogue, ModelError
from model import NETWORK_TYPES
from networks import create_slot
from sources import InputSpec, open_source
from stream import Pipeline

PICTURE = ROOT / "tests" / "data" / "astronaut.jpg"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def time_network(catalogue: Catalogue, network_type: str, frame: np.ndarray,
                 runs: int) -> tuple[str, list[float]] | None:
    """(network name, ms of process()+draw() per run), or None if none runs here."""
    try:
        slot = create_slot(catalogue, network_type, None)
    except ModelError as error:
        print(f"  {network_type:<15} skipped: {error}")
        return None
    model = slot.model
    used = ()
    if model.uses:  # as in the pipeline: given the used network's result of the frame
        used = (create_slot(catalogue, model.uses, None).model.process(frame.copy()),)
    times = []
    for run in range(runs + 3):
        canvas = frame.copy()
        started = time.perf_counter()
        result = model.process(canvas, *used)
        model.draw(canvas, result)
        if run >= 3:  # the first runs warm caches and graphs up
            times.append((time.perf_counter() - started) * 1000)
    return slot.network, times


def run_pipeline(catalogue: Catalogue, types: list[str], parallel: bool,
                 seconds: float) -> dict[str, float]:
    """Output fps and capture-to-publish latency of the pipeline with these networks."""
    source = open_source(InputSpec(uri=str(PICTURE), width=640, height=480, rate=30, loop=-1))
    slots = [create_slot(catalogue, t, None) for t in types]
    pipeline = Pipeline(source, lambda: source, networks=slots)
    pipeline.parallel_networks = parallel
    latencies: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        seq = -1
        while not stop.is_set():
            frame = pipeline.broadcaster.wait_newer(seq, timeout=0.5)
            if frame is not None:
                seq = frame.seq
                latencies.append((time.time() - frame.timestamp) * 1000)

    pipeline.start()
    time.sleep(3)  # warm-up
    watcher = threading.Thread(target=watch)
    watcher.start()
    time.sleep(seconds)
    stop.set()
    watcher.join()
    pipeline.stop()
    return {"fps": len(latencies) / seconds, "latency_median": statistics.median(latencies),
            "latency_p95": percentile(latencies, 0.95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="frames per network")
    parser.add_argument("--seconds", type=float, default=10, help="pipeline window")
    args = parser.parse_args()
    catalogue = Catalogue()
    frame = cv2.resize(cv2.imread(str(PICTURE)), (640, 480))
    print(f"machine: {os.cpu_count()} cores; input 640x480 ({PICTURE.name}), 30 fps\n")
    print("| type | network | median ms | p90 ms |\n|---|---|---|---|")
    alone_ms: dict[str, float] = {}
    for network_type in NETWORK_TYPES:
        timed = time_network(catalogue, network_type, frame, args.runs)
        if timed:
            name, times = timed
            alone_ms[network_type] = statistics.median(times)
            print(f"| {network_type} | {name} | {alone_ms[network_type]:.1f} | "
                  f"{percentile(times, 0.9):.1f} |")
    runnable = list(alone_ms)
    print("\n| networks | mode | fps out | latency median ms | latency p95 ms | "
          "budget: sum of network ms + 1 frame |\n|---|---|---|---|---|---|")
    for label, types in (("detection + classification", ["detection", "classification"]),
                         (f"all {len(runnable)}", runnable)):
        for parallel in (False, True):
            figures = run_pipeline(catalogue, types, parallel, args.seconds)
            budget = sum(alone_ms[t] for t in types) + 1000 / 30
            print(f"| {label} | {'parallel' if parallel else 'sequential'} | "
                  f"{figures['fps']:.1f} | {figures['latency_median']:.0f} | "
                  f"{figures['latency_p95']:.0f} | {budget:.0f} |")


if __name__ == "__main__":
    main()
