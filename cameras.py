"""The cameras of one dashboard: from repeated --input flags or from a cameras file.

A cameras file (TOML) names each camera and gives it its own input options; the command
line's input options (--input-width, --input-rate...) are the defaults of every camera:

    [[camera]]
    name = "door"
    input = "rtsp://viewer:secret@10.0.0.5/stream1"
    width = 640
    height = 480

    [[camera]]
    name = "lab"
    input = "/dev/video0"
    rate = 15
    flip = "rotate-180"

Names are what /cameras/<name>/... use: lower-case letters, digits, '-' and '_'.
What is shown of a camera's URI (/cameras, /stats, logs, the page) is `uris.redact(uri)`.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sources import FLIP_METHODS, InputSpec

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
# a camera's options in a cameras file -> the InputSpec field and the type it takes
OPTIONS: dict[str, tuple[str, type]] = {
    "input": ("uri", str),
    "width": ("width", int),
    "height": ("height", int),
    "rate": ("rate", float),
    "loop": ("loop", int),
    "flip": ("flip", str),
}


class CamerasError(ValueError):
    """A cameras file or --input list that cannot be used; the message is one line."""


@dataclass(frozen=True)
class CameraSpec:
    """A camera: its name and what to open."""

    name: str
    input: InputSpec


def from_inputs(uris: list[str], defaults: InputSpec) -> list[CameraSpec]:
    """One camera per --input, named camera1, camera2..., each with the common options."""
    return [
        CameraSpec(f"camera{number}", dataclasses.replace(defaults, uri=uri))
        for number, uri in enumerate(uris, start=1)
    ]


def read_cameras_file(path: str | Path, defaults: InputSpec) -> list[CameraSpec]:
    """The cameras a TOML file lists; CamerasError saying what is wrong and where."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise CamerasError(f"{path}: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CamerasError(f"{path}: not TOML: {error}") from None
    entries = document.get("camera")
    if not isinstance(entries, list) or not entries:
        raise CamerasError(f"{path}: expected one or more [[camera]] tables with a name and input")
    unknown = sorted(set(document) - {"camera"})
    if unknown:
        raise CamerasError(f"{path}: unknown key(s) {', '.join(unknown)}")
    cameras = [
        _camera(entry, defaults, f"{path}, camera {n}") for n, entry in enumerate(entries, 1)
    ]
    names = [camera.name for camera in cameras]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise CamerasError(f"{path}: camera name(s) used twice: {', '.join(duplicates)}")
    return cameras


def _camera(entry: Any, defaults: InputSpec, where: str) -> CameraSpec:
    if not isinstance(entry, dict):
        raise CamerasError(f"{where}: expected a table")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise CamerasError(
            f"{where}: name must be 1-32 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    if not isinstance(entry.get("input"), str):
        raise CamerasError(f"{where} ({name}): input (a URI) is required")
    unknown = sorted(set(entry) - set(OPTIONS) - {"name"})
    if unknown:
        raise CamerasError(
            f"{where} ({name}): unknown option(s) {', '.join(unknown)}; "
            f"known: name, {', '.join(OPTIONS)}"
        )
    changes: dict[str, Any] = {}
    for option, (field, kind) in OPTIONS.items():
        if option not in entry:
            continue
        value = entry[option]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise CamerasError(f"{where} ({name}): {option} must be a {kind.__name__}")
        changes[field] = value
    if changes.get("flip", "none") not in FLIP_METHODS:
        raise CamerasError(f"{where} ({name}): flip must be one of {', '.join(FLIP_METHODS)}")
    for field in ("width", "height", "rate"):
        if changes.get(field, 1) <= 0:
            raise CamerasError(f"{where} ({name}): {field} must be positive")
    if changes.get("loop", 0) < -1:
        raise CamerasError(f"{where} ({name}): loop must be -1 (forever), 0 or more")
    return CameraSpec(name, dataclasses.replace(defaults, **changes))
