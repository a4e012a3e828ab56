"""Several cameras in one process: what each costs, and how fairly they share a network.

Starts `python app.py` with N test-pattern cameras (640x480 at 30 fps, `--input test://`
N times, no idle stop), connects one MJPEG viewer to each camera's own stream
(/cameras/cameraK/video_feed), and measures over a window after a warm-up: the server's CPU
(% of one core, and per camera), its RSS, and the frame rate each viewer gets. Then detection
(the default network) on 4 cameras: each camera's detection rate (from /stats, the
network's fps_by_camera) and the fairness ratio, slowest camera over fastest. It prints
figures, never pass/fail.

    python -m bench.cameras [--cameras 1,2,4,8] [--detection-cameras 4] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bench.fanout import (
    Viewer,
    cell,
    get_json,
    machine,
    measure_window,
    progress,
    running_server,
    wait_idle,
    watch,
)

FULL_RATE = 29.0  # a viewer at or above this many fps keeps the pattern's full rate


async def run_cameras(count: int, detection: bool, args: argparse.Namespace) -> dict:
    """One window of `count` cameras, one viewer each; the figures of that window."""
    inputs = " ".join(["--input test://"] * count)
    script = f"app.py {inputs} --idle-stop 0" + (" --detection" if detection else "")
    with running_server(f"{count} cameras", script) as server:
        viewers = [Viewer(camera=f"camera{number}") for number in range(1, count + 1)]
        tasks = [asyncio.create_task(watch(server.port, viewer)) for viewer in viewers]
        try:
            await asyncio.sleep(args.warmup + (args.detection_warmup if detection else 0))
            window = await measure_window(server, args.seconds)
            stats = await asyncio.to_thread(get_json, server.port, "/stats")
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await wait_idle(server)
    fps = [viewer.fps(window) for viewer in viewers]
    figures = {
        "cameras": count,
        "cpu_percent": window.cpu_percent,
        "cpu_per_camera": window.cpu_percent / count,
        "rss_mb": window.rss_mb,
        "fps_min": min(fps),
        "fps_max": max(fps),
        "errors": [viewer.error for viewer in viewers if viewer.error],
    }
    if detection and stats:
        rates = stats["networks"]["detection"].get("fps_by_camera", {})
        figures["detection_fps"] = rates
        values = list(rates.values())
        figures["fairness"] = min(values) / max(values) if values and max(values) else None
        figures["detection_ms"] = stats["networks"]["detection"]["ms"]
    return figures


async def bench(args: argparse.Namespace) -> None:
    rows = []
    for count in args.cameras:
        progress(f"{count} cameras, no networks ...")
        rows.append(await run_cameras(count, False, args))
    progress(f"{args.detection_cameras} cameras with detection ...")
    shared = await run_cameras(args.detection_cameras, True, args)
    info = machine()
    print("# Cameras benchmark\n")
    print(
        f"Machine: {info['nproc']} CPUs, {info['cpu_model']}, Python {info['python']}. "
        f"Test-pattern cameras, 640x480 at 30 fps, one MJPEG viewer each (in this process); "
        f"window {args.seconds:g} s after {args.warmup:g} s warm-up. CPU % is of one core.\n"
    )
    print(
        "| cameras | server CPU % | CPU % per camera | RSS MB | viewer fps min / max "
        "| all at full rate |"
    )
    print("|---:|---:|---:|---:|---:|---|")
    for row in rows:
        full = "yes" if row["fps_min"] >= FULL_RATE and not row["errors"] else "no"
        print(
            f"| {row['cameras']} | {cell(row['cpu_percent'])} | {cell(row['cpu_per_camera'])} "
            f"| {cell(row['rss_mb'])} | {cell(row['fps_min'])} / {cell(row['fps_max'])} "
            f"| {full} |"
        )
    print(f"\n## Detection shared by {shared['cameras']} cameras\n")
    rates = shared.get("detection_fps", {})
    print(", ".join(f"{name} {rate:.2f}/s" for name, rate in rates.items()) or "no rates")
    print(
        f"\nfairness (slowest / fastest camera): {cell(shared.get('fairness'), 2)}; "
        f"detection {cell(shared.get('detection_ms'))} ms a frame; server CPU "
        f"{cell(shared['cpu_percent'])} %; viewers {cell(shared['fps_min'])} to "
        f"{cell(shared['fps_max'])} fps"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", default="1,2,4,8", help="camera counts (default 1,2,4,8)")
    parser.add_argument("--detection-cameras", type=int, default=4, help="default 4")
    parser.add_argument("--seconds", type=float, default=8.0, help="measurement window, s")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up before it, s")
    parser.add_argument(
        "--detection-warmup", type=float, default=5.0, help="more warm-up with detection, s"
    )
    args = parser.parse_args()
    args.cameras = [int(n) for n in args.cameras.split(",") if n.strip()]
    return args


def main() -> int:
    asyncio.run(bench(parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
