"""Benchmark of background matting: does it keep the people, and only the people, and at what
cost?

    .venv/bin/python -m bench.background [--runs 20] [--rounds 3] [--patience 600] [--save DIR]

Prints figures, never passes or fails. Per approach, in one run (the scenes are in
bench/background_scenes.py; "foreground" is a mask weight above 0.5; a network that keeps
evidence between frames starts each scene afresh):
- no person: the foreground share of a cat, a cup, the test pattern and the empty street;
- person stills (astronaut, grace_hopper): the share of the hand-outlined person that is
  foreground, and the share of surely-background boxes (flag, rocket, sky) that is;
- half-visible: a portrait cut through the face by the frame edge, and the astronaut behind
  a desk and a monitor; and two walkers 220 and 300 px tall: the same two shares;
- the synthetic street, 12 frames at 10 fps in order: the share of the six walkers (60-150 px
  tall) that is foreground, and of the road, lamp post and car;
- ms per frame of process() + draw() (blur) at 640x480, on the street's frames in turn, on
  the astronaut and on the cat: median and p90 of --rounds batches of --runs frames each,
  counting only batches during which the rest of the machine was quiet (other processes
  used under QUIET_SHARE of a core), for up to --patience seconds.
--save DIR writes one PNG per scene: each approach's result (blur) in a grid.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import psutil

from backends.people_matting import (
    BOTH,
    DETECTOR,
    FEATHER,
    PERSON,
    SEGMENTER,
    PeopleMatting,
    feathered,
    people_mask,
    working_copy,
)
from bench.background_scenes import (
    Scene,
    behind_a_desk,
    cut_by_the_edge,
    nearer_walkers,
    no_person_stills,
    person_still,
    street,
    street_backdrop,
)
from bench.models import percentile
from catalogue import Catalogue
from frame import Frame
from networks import load_model
from networks.background import BackgroundModel, Matting

SIZE = (640, 480)
TILE_WIDTH = 400  # of each approach's picture in a saved PNG
GRID_COLUMNS = 3
QUIET_SHARE = 0.03  # a timing batch counts while other processes use less of a core than this
# people-matting with other turns of its person networks (D: DeepLabV3, N: NanoDet)
SCHEDULES = {"both every frame": (BOTH,), "D, N": (SEGMENTER, DETECTOR)}


class Composed:
    """A matting from a function of the frame (for approaches built from PeopleMatting's
    parts)."""

    def __init__(self, function: Callable[[np.ndarray], np.ndarray]) -> None:
        self.mask = function


def approaches(catalogue: Catalogue) -> dict[str, BackgroundModel]:
    """Each approach as a background model, its name the row label."""
    entry = catalogue.find("background", "people-matting")
    parts = PeopleMatting(entry)

    person_class = parts.segmenter.labels.index(PERSON)

    def deeplab_person(image: np.ndarray) -> np.ndarray:
        """DeepLabV3's person pixels, edges softened as people_mask softens them."""
        small = working_copy(image)
        person = (parts.classes(small) == person_class).view(np.uint8)
        softened = feathered(person, FEATHER * small.shape[1])
        return cv2.resize(softened, (image.shape[1], image.shape[0]))

    def selfie_gated(image: np.ndarray) -> np.ndarray:
        """people_mask without NanoDet."""
        small = working_copy(image)
        person = (parts.classes(small) == person_class).view(np.uint8)
        mask = people_mask(parts.selfie.mask(small), person)
        return cv2.resize(mask, (image.shape[1], image.shape[0]))

    built: dict[str, Matting] = {
        "deeplabv3 person class": Composed(deeplab_person),
        "selfie gated by deeplabv3": Composed(selfie_gated),
    }
    for label, schedule in SCHEDULES.items():
        variant = PeopleMatting(entry)
        variant.schedule = schedule
        variant.forget()
        built[f"people-matting, {label}"] = variant
    models: dict[str, BackgroundModel] = {
        name: load_model(catalogue.find("background", name))  # type: ignore[misc]
        for name in ("selfie-segmentation", "u2netp")
    }
    models.update({name: BackgroundModel(name, matting) for name, matting in built.items()})
    models["people-matting (default): D, D, N"] = load_model(entry)  # type: ignore[assignment]
    return models


def header(columns: list[str]) -> str:
    """A markdown table's header row and rule."""
    return "| " + " | ".join(columns) + " |\n" + "|---" * len(columns) + "|"


def foreground(model: BackgroundModel, image: np.ndarray, index: int = 0) -> np.ndarray:
    """bool: where the model's mask of the picture is above 0.5. A model that keeps evidence
    from frame to frame starts afresh on the first frame of a scene."""
    forget = getattr(model.matting, "forget", None)
    if index == 0 and forget is not None:
        forget()
    return model.process(Frame(image, index, time.time())).mask > 0.5


def shares(found: np.ndarray, scene: Scene) -> str:
    """'person kept / background taken' as percentages."""
    return f"{100 * found[scene.person].mean():.0f} / {100 * found[scene.background].mean():.0f}"


def street_shares(model: BackgroundModel, frames: list[Scene]) -> str:
    person, background = [], []
    for index, scene in enumerate(frames):
        found = foreground(model, scene.image, index)
        person.append(found[scene.person].mean())
        background.append(found[scene.background].mean())
    return f"{100 * np.mean(person):.0f} / {100 * np.mean(background):.1f}"


def time_frames(model: BackgroundModel, frames: list[np.ndarray], runs: int) -> list[float]:
    """ms of process() + draw() per frame, the frames in turn."""
    times = []
    for run in range(runs):
        canvas = frames[run % len(frames)].copy()
        started = time.perf_counter()
        result = model.process(Frame(canvas, run, time.time()))
        model.draw(canvas, result)
        times.append((time.perf_counter() - started) * 1000)
    return times


def save_pictures(models: dict[str, BackgroundModel], scenes: dict[str, np.ndarray], folder: Path):
    """Per scene, a PNG of each approach's result (blur) in a grid, labelled."""
    folder.mkdir(parents=True, exist_ok=True)
    for scene_name, image in scenes.items():
        tiles = []
        for name, model in models.items():
            drawn = image.copy()
            model.draw(drawn, model.process(Frame(drawn, 0, time.time())))
            height = round(drawn.shape[0] * TILE_WIDTH / drawn.shape[1])
            tile = cv2.resize(drawn, (TILE_WIDTH, height), interpolation=cv2.INTER_AREA)
            cv2.rectangle(tile, (0, 0), (TILE_WIDTH, 18), (0, 0, 0), -1)
            cv2.putText(tile, name, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255))
            tiles.append(tile)
        tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % GRID_COLUMNS)
        rows = [np.hstack(tiles[i : i + GRID_COLUMNS]) for i in range(0, len(tiles), GRID_COLUMNS)]
        path = folder / f"background-{scene_name.replace(' ', '-')}.png"
        cv2.imwrite(str(path), np.vstack(rows))
        print(f"saved {path}")


def others_busy() -> float:
    """CPU seconds used so far by everything on the machine but this process."""
    machine = psutil.cpu_times()
    idle = machine.idle + getattr(machine, "iowait", 0.0)
    guests = getattr(machine, "guest", 0.0) + getattr(machine, "guest_nice", 0.0)  # in user
    mine = psutil.Process().cpu_times()
    return sum(machine) - idle - guests - mine.user - mine.system


def quiet_times(
    models: dict[str, BackgroundModel],
    sequences: dict[str, list[np.ndarray]],
    runs: int,
    rounds: int,
    patience: float,
) -> tuple[dict[tuple[str, str], list[float]], dict[tuple[str, str], int]]:
    """ms per frame of each model on each sequence, from batches of `runs` frames during
    which other processes used less than QUIET_SHARE of a core, until each has `rounds` such
    batches or `patience` seconds have passed; and how many batches each figure is from. A
    figure with no quiet batch is from all of its batches (0 kept)."""
    keys = [(name, seq) for name in models for seq in sequences]
    quiet: dict[tuple[str, str], list[float]] = {key: [] for key in keys}
    every: dict[tuple[str, str], list[float]] = {key: [] for key in keys}
    kept = dict.fromkeys(keys, 0)
    deadline = time.monotonic() + patience
    while True:
        for name, seq in [key for key in keys if kept[key] < rounds]:
            model, pictures = models[name], sequences[seq]
            time_frames(model, pictures, 3)  # warm up
            others, started = others_busy(), time.monotonic()
            values = time_frames(model, pictures, runs)
            if others_busy() - others < QUIET_SHARE * (time.monotonic() - started):
                quiet[name, seq] += values
                kept[name, seq] += 1
            every[name, seq] += values
        if min(kept.values()) >= rounds or time.monotonic() > deadline:
            return {key: quiet[key] or every[key] for key in keys}, kept


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed frames per round")
    parser.add_argument("--rounds", type=int, default=3, help="quiet batches wanted per figure")
    parser.add_argument(
        "--patience", type=float, default=600, help="seconds to wait for quiet batches"
    )
    parser.add_argument("--save", type=Path, help="write PNGs of the results here")
    args = parser.parse_args()
    models = approaches(Catalogue())
    nothing = {**no_person_stills(), "empty street": street_backdrop()}
    portraits = {name: person_still(f"{name}.jpg") for name in ("astronaut", "grace_hopper")}
    half = {"cut by the edge": cut_by_the_edge(), "behind a desk": behind_a_desk()}
    half["nearer walkers"] = nearer_walkers()
    walkers = street()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}\n")
    print("foreground %, no person (at most 5 wanted):\n")
    print(header(["approach", *nothing]))
    for name, model in models.items():
        figures = [100 * foreground(model, image).mean() for image in nothing.values()]
        print(f"| {name} | " + " | ".join(f"{f:.1f}" for f in figures) + " |")
    print("\nperson kept % / surely-background taken %:\n")
    columns = [*portraits, *half, "street (walkers / road, post, car)"]
    print(header(["approach", *columns]))
    for name, model in models.items():
        cells = [
            shares(foreground(model, s.image), s) for s in [*portraits.values(), *half.values()]
        ]
        cells.append(street_shares(model, walkers))
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    frames = [scene.image for scene in walkers]
    sequences = {
        "street": frames,
        "portrait": [cv2.resize(portraits["astronaut"].image, SIZE)],
        "cat": [cv2.resize(nothing["cat"], SIZE)],
    }
    times, kept = quiet_times(models, sequences, args.runs, args.rounds, args.patience)
    print(
        f"\nms per frame at {SIZE[0]}x{SIZE[1]}, process + draw (blur), median / p90, from "
        f"batches of {args.runs} frames while other processes used under "
        f"{QUIET_SHARE:.0%} of a core (batches kept):\n"
    )
    print(header(["approach", *(f"{seq} (frames in turn)" for seq in sequences)]))
    for name in models:
        cells = [
            f"{statistics.median(times[name, seq]):.1f} / {percentile(times[name, seq], 0.9):.1f}"
            f" ({kept[name, seq]})"
            for seq in sequences
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    if args.save:
        stills = {
            "astronaut": portraits["astronaut"].image,
            "cat": nothing["cat"],
            "street": frames[0],
            "behind a desk": half["behind a desk"].image,
            "nearer walkers": half["nearer walkers"].image,
        }
        save_pictures(models, stills, args.save)


if __name__ == "__main__":
    main()
