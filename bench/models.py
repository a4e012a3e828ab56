"""Benchmark of the networks: ms per frame for each, and the pipeline with several together.

    .venv/bin/python -m bench.models [--seconds 10] [--runs 30] [--types detection,pose,action]

Prints figures, never passes or fails. Input: tests/data/astronaut.jpg resized to 640x480
(a person, so pose, segmentation and background have work to do), served at 30 fps.
1. Each default network alone: median and p90 ms of process() + draw() over --runs frames.
2. The whole pipeline in-process (capture -> networks -> overlay -> encode -> publish) with
   detection + classification, then with every type asked for whose default network runs
   here: sync with the networks run one after another, sync with them in parallel threads,
   and async. Output fps, and latency from capture to publish (median, p95), against the sum
   of the networks' ms alone (1.) plus one frame interval.
3. For async with every type: each network's own result rate, and how old the result drawn
   on each published frame was, in ms and in that network's periods.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from catalogue import Catalogue, ModelError
from frame import Frame
from model import NETWORK_TYPES
from networks import create_slot
from sources import InputSpec, open_source
from stream import ASYNC, SYNC, Pipeline

ROOT = Path(__file__).resolve().parents[1]
PICTURE = ROOT / "tests" / "data" / "astronaut.jpg"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def time_network(
    catalogue: Catalogue, network_type: str, frame: np.ndarray, runs: int
) -> tuple[str, list[float]] | None:
    """(network name, ms of process()+draw() per run), or None if none runs here."""
    try:
        slot = create_slot(catalogue, network_type, None)
    except ModelError as error:
        print(f"  {network_type:<15} skipped: {error}")
        return None
    model = slot.model
    source = Frame(frame, 0, time.time())
    # as in the pipeline: given the results of the same frame of the networks it needs
    inputs = {
        needed: create_slot(catalogue, needed, None).model.process(source) for needed in model.needs
    }
    times = []
    for run in range(runs + 3):
        canvas = frame.copy()
        started = time.perf_counter()
        result = model.process(Frame(canvas, run, source.timestamp), inputs)
        model.draw(canvas, result)
        if run >= 3:  # the first runs warm caches and graphs up
            times.append((time.perf_counter() - started) * 1000)
    return slot.network, times


def run_pipeline(
    catalogue: Catalogue, types: list[str], mode: str, parallel: bool, seconds: float
) -> dict[str, Any]:
    """Output fps and capture-to-publish latency of the pipeline with these networks; each
    network's own result rate, and how old its result was on each frame published."""
    source = open_source(InputSpec(uri=str(PICTURE), width=640, height=480, rate=30, loop=-1))
    slots = [create_slot(catalogue, t, None) for t in types]
    pipeline = Pipeline(source, lambda: source, networks=slots, network_mode=mode)
    pipeline.stream.parallel_networks = parallel
    latencies: list[float] = []
    ages: dict[str, list[float]] = {t: [] for t in types}
    results: dict[str, set[int]] = {t: set() for t in types}
    stop = threading.Event()

    def watch() -> None:
        seq = -1
        while not stop.is_set():
            frame = pipeline.broadcaster.wait_newer(seq, timeout=0.5)
            if frame is None:
                continue
            seq = frame.seq
            latencies.append((time.time() - frame.timestamp) * 1000)
            for slot in slots:
                result = slot.result_up_to(frame.index)
                if result is not None:
                    ages[slot.type].append((frame.timestamp - result.timestamp) * 1000)
                    results[slot.type].add(result.frame)

    pipeline.start()
    time.sleep(3)  # warm-up
    watcher = threading.Thread(target=watch)
    watcher.start()
    time.sleep(seconds)
    stop.set()
    watcher.join()
    pipeline.stop()
    return {
        "fps": len(latencies) / seconds,
        "latency_median": statistics.median(latencies),
        "latency_p95": percentile(latencies, 0.95),
        "rates": {t: len(results[t]) / seconds for t in types},
        "ages": {t: ages[t] or [float("nan")] for t in types},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="frames per network")
    parser.add_argument("--seconds", type=float, default=10, help="pipeline window")
    parser.add_argument(
        "--types",
        default=",".join(NETWORK_TYPES),
        help="network types to measure, comma-separated (default: all six)",
    )
    args = parser.parse_args()
    wanted = [t for t in args.types.split(",") if t]
    unknown = set(wanted) - set(NETWORK_TYPES)
    if unknown:
        parser.error(f"unknown types {', '.join(sorted(unknown))}")
    catalogue = Catalogue()
    frame = cv2.resize(cv2.imread(str(PICTURE)), (640, 480))
    print(f"machine: {os.cpu_count()} cores; input 640x480 ({PICTURE.name}), 30 fps\n")
    print("| type | network | median ms | p90 ms |\n|---|---|---|---|")
    alone_ms: dict[str, float] = {}
    for network_type in NETWORK_TYPES:
        if network_type not in wanted:
            continue
        timed = time_network(catalogue, network_type, frame, args.runs)
        if timed:
            name, times = timed
            alone_ms[network_type] = statistics.median(times)
            print(
                f"| {network_type} | {name} | {alone_ms[network_type]:.1f} | "
                f"{percentile(times, 0.9):.1f} |"
            )
    runnable = list(alone_ms)
    print(
        "\n| networks | mode | fps out | latency median ms | latency p95 ms | "
        "budget: sum of network ms + 1 frame |\n|---|---|---|---|---|---|"
    )
    sets = [(f"all {len(runnable)}", runnable)]
    if {"detection", "classification"} <= set(runnable) and len(runnable) > 2:
        sets.insert(0, ("detection + classification", ["detection", "classification"]))
    per_network: list[tuple[str, dict[str, Any]]] = []
    for label, types in sets:
        for mode, parallel in ((SYNC, False), (SYNC, True), (ASYNC, True)):
            figures = run_pipeline(catalogue, types, mode, parallel, args.seconds)
            budget = sum(alone_ms[t] for t in types) + 1000 / 30
            name = f"{mode}, {'parallel' if parallel else 'sequential'}" if mode == SYNC else mode
            print(
                f"| {label} | {name} | {figures['fps']:.1f} | "
                f"{figures['latency_median']:.0f} | {figures['latency_p95']:.0f} | "
                f"{budget:.0f} |",
                flush=True,
            )
            if label.startswith("all") and mode == ASYNC:
                per_network.append((label, figures))
    for label, figures in per_network:
        print(
            f"\nasync, {label}: each network's own rate, and the age of the result drawn on "
            "each published frame (capture time of the frame shown minus that of the frame "
            "the result came from)\n"
        )
        print(
            "| type | results per s | period ms | result age median ms | p95 ms "
            "| in periods: median | p95 |"
        )
        print("|---|---|---|---|---|---|---|")
        for network_type, rate in figures["rates"].items():
            period = 1000 / rate if rate else float("inf")
            ages = figures["ages"][network_type]
            median, p95 = statistics.median(ages), percentile(ages, 0.95)
            print(
                f"| {network_type} | {rate:.1f} | {period:.0f} | {median:.0f} | {p95:.0f} "
                f"| {median / period:.2f} | {p95 / period:.2f} |"
            )


if __name__ == "__main__":
    main()
