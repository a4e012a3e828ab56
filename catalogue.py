"""The catalogue of networks (data/networks/models.json): names, aliases, files, availability.

A network is named on the command line by a catalogue name or alias, or by a model file path
(a user's own ONNX or TFLite file). Every file is checked against its sha256 before loading;
a missing, unreadable or mismatched file is a ModelError naming the file. So is a catalogue
file that is not valid (a CatalogueError). $DASHBOARD_CATALOGUE names another catalogue file.

An entry may name a stand-in, `"on_pc"`: another network of its type that runs in its place
where its own backend cannot. jetson-inference's built-in networks are such entries: the
"jetson" backend loads them by name on a Jetson, and on a PC `--detection=ssd-mobilenet-v2`
runs nanodet-coco. Such an entry's backend need not be registered (see backends/registry.py):
until it is, the entry always runs through its stand-in.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backends import registry
from model import NETWORK_TYPES

CATALOGUE_PATH = Path(
    os.environ.get("DASHBOARD_CATALOGUE")
    or Path(__file__).resolve().parent / "data" / "networks" / "models.json"
)

# The backends (registry names) of a user's own file: a .tflite classifier; an ONNX file by
# network type and --<type>-format, the first format the default.
CUSTOM_TFLITE_BACKEND = "mediapipe-classifier"
CUSTOM_ONNX_BACKENDS = {
    "classification": {"classifier": "onnx-classifier"},
    "detection": {"yolo": "onnx-yolo", "ssd": "onnx-ssd"},
}
MODEL_FILE_SUFFIXES = (".onnx", ".tflite")  # a command-line value ending so is a user's file
# What messages call the runtime of a backend whose entries have stand-ins (see runtime_of).
RUNTIMES = {"jetson": "jetson-inference"}
LIST_WIDTH = 100  # --list-models fits a terminal this wide
LIST_INDENT = "    "  # a network's description, on the lines under its row

log = logging.getLogger("catalogue")


class ModelError(Exception):
    """A network that cannot be found or loaded; the message is one line for the user."""


class CatalogueError(ModelError):
    """A catalogue file that cannot be read or is not a valid catalogue."""


@dataclass(frozen=True)
class ModelFile:
    path: Path
    sha256: str | None = None  # None: a user's own file, not checked

    def problem(self) -> str | None:
        """None if the file is readable and its sha256 matches, else what is wrong with it."""
        try:
            stat = self.path.stat()
            digest = file_sha256(self.path, stat.st_size, stat.st_mtime_ns)
        except OSError as error:
            return f"cannot be read ({error.strerror})"
        if self.sha256 and digest != self.sha256:
            return (
                f"sha256 mismatch (expected {self.sha256[:12]}..., got {digest[:12]}...): "
                "the file is corrupt or not the catalogued one"
            )
        return None

    def verified(self) -> Path:
        """The path, once the file is found readable and its sha256 matches."""
        problem = self.problem()
        if problem:
            raise ModelError(f"{self.path}: {problem}")
        return self.path


@functools.lru_cache(maxsize=64)
def file_sha256(path: Path, size: int, mtime_ns: int) -> str:
    """The file's sha256, hashed once per version of it (size and mtime tell versions apart)."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class CatalogueEntry:
    """One network: its type, the backend that runs it, its files and input facts."""

    name: str
    type: str
    backend: str
    description: str = ""
    default: bool = False
    aliases: tuple[str, ...] = ()
    files: dict[str, ModelFile] = field(default_factory=dict)
    input: dict[str, Any] = field(default_factory=dict)
    on_pc: str | None = None  # the network of its type that runs in its place, if it cannot
    speed_note: str = ""  # a warning the page shows beside a slow choice

    def backend_problem(self) -> str | None:
        """None if its backend can run here (see backends/registry.py), else why not."""
        backend = registry.backends().get(self.backend)
        if backend is None:  # only an entry with a stand-in may name an unregistered backend
            return f'backend "{self.backend}" is not installed'
        return backend.problem()

    def availability(self) -> str | None:
        """None if it can run here (runtime installed, files intact), else why not."""
        problem = self.backend_problem()
        if problem:
            return problem
        missing = [str(f.path.name) for f in self.files.values() if not f.path.exists()]
        if missing:
            return f"missing file {', '.join(missing)}"
        for file in self.files.values():
            problem = file.problem()
            if problem:
                return f"file {file.path.name}: {problem.split(' (')[0]}"
        return None

    def file(self, role: str) -> Path | None:
        """The verified path of one of its files ('model', 'labels'), or None if it has none."""
        return self.files[role].verified() if role in self.files else None


@dataclass
class CustomOptions:
    """What a user's own model file needs told: labels, input size, output format, class
    colours (a detection model's, jetson-inference's colors.txt)."""

    labels: str | None = None
    input_size: tuple[int, int] | None = None
    format: str | None = None
    colors: str | None = None


class Catalogue:
    """The entries of models.json, looked up by type and name or alias."""

    def __init__(self, path: Path = CATALOGUE_PATH) -> None:
        """CatalogueError, naming the file and what is wrong, if it is not a valid catalogue."""
        try:
            self.entries = read_catalogue(path)
        except CatalogueError as error:
            raise CatalogueError(f"{path}: {error}") from None

    def of_type(self, network_type: str) -> list[CatalogueEntry]:
        return [entry for entry in self.entries if entry.type == network_type]

    def runnable(self, network_type: str) -> list[CatalogueEntry]:
        return [entry for entry in self.of_type(network_type) if entry.availability() is None]

    def default(self, network_type: str) -> CatalogueEntry:
        """The type's default entry among those whose runtime is installed. A missing or
        corrupt file does not make another network the default: loading says what is wrong."""
        installed = [e for e in self.of_type(network_type) if e.backend_problem() is None]
        for entry in installed:
            if entry.default:
                return entry
        if installed:
            return installed[0]
        raise ModelError(
            f"no {network_type} network can run on this machine "
            "(python app.py --list-models tells why)"
        )

    def named(self, network_type: str, name: str) -> CatalogueEntry | None:
        """The entry of that type whose name or alias is `name` (any case), if there is one."""
        wanted = name.lower()
        for entry in self.of_type(network_type):
            if wanted in (entry.name.lower(), *(alias.lower() for alias in entry.aliases)):
                return entry
        return None

    def find(self, network_type: str, name: str) -> CatalogueEntry:
        """The entry named `name` (or an alias of it), or its stand-in if it cannot run here but
        the stand-in can (logged in one line); ModelError listing valid names if none."""
        entry = self.named(network_type, name)
        if entry is None:
            valid = ", ".join(entry.name for entry in self.runnable(network_type))
            if any(entry.on_pc for entry in self.of_type(network_type)):
                valid += ", jetson-inference's names (python app.py --list-models)"
            raise ModelError(
                f"unknown {network_type} network '{name}'; valid names: {valid}, "
                "or a path to an .onnx or .tflite file"
            )
        why_not = entry.availability()
        if why_not is None:
            return entry
        stand_in = self.stand_in(entry)
        if stand_in is None:
            raise ModelError(f"{network_type} network {entry.name} cannot run here: {why_not}")
        if stand_in.availability():
            raise ModelError(
                f"{network_type} network {entry.name} cannot run here ({why_not}), nor can "
                f"{stand_in.name}, which stands in for it: {stand_in.availability()}"
            )
        asked = name if name.lower() == entry.name.lower() else f"{name} ({entry.name})"
        log.warning(
            "%s is a %s network; on this machine %s runs in its place (%s)",
            asked,
            runtime_of(entry.backend),
            stand_in.name,
            why_not,
        )
        return stand_in

    def stand_in(self, entry: CatalogueEntry) -> CatalogueEntry | None:
        """The entry that runs in `entry`'s place where it cannot run, if it names one."""
        return self.named(entry.type, entry.on_pc) if entry.on_pc else None

    def resolve(
        self, network_type: str, spec: str | None, options: CustomOptions | None = None
    ) -> CatalogueEntry:
        """The entry for a command-line value: empty for the default, a name, or a file path."""
        options = options or CustomOptions()
        if not is_model_file(spec):
            if options != CustomOptions():
                flags = [f"--{network_type}-labels", f"--{network_type}-input-size"]
                flags += ["--detection-format"] if network_type == "detection" else []
                raise ModelError(
                    f"{', '.join(flags)} are for your own .onnx or .tflite file, "
                    "not a catalogue network"
                )
            return self.find(network_type, spec) if spec else self.default(network_type)
        return custom_entry(network_type, Path(str(spec)), options)


def runtime_of(backend: str) -> str:
    """What messages call a backend's runtime: jetson-inference for "jetson"."""
    return RUNTIMES.get(backend, f'the "{backend}" backend')


def is_model_file(spec: str | None) -> bool:
    """Whether a network flag's value is a path to a user's own model file."""
    return bool(spec) and str(spec).lower().endswith(MODEL_FILE_SUFFIXES)


def read_catalogue(path: Path) -> list[CatalogueEntry]:
    """The entries of a catalogue file; CatalogueError saying what is wrong with it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CatalogueError(f"cannot be read ({error.strerror})") from None
    except ValueError as error:  # not JSON, or not UTF-8
        raise CatalogueError(f"invalid JSON ({error})") from None
    networks = data.get("networks") if isinstance(data, dict) else None
    if not isinstance(networks, list):
        raise CatalogueError('expected an object with a "networks" list')
    entries = []
    for index, item in enumerate(networks):
        try:
            entries.append(_entry(item, path.parent))
        except CatalogueError as error:
            name = item.get("name") if isinstance(item, dict) else None
            where = f"networks[{index}]" + (f" ({name})" if isinstance(name, str) else "")
            raise CatalogueError(f"{where}: {error}") from None
    for index, problem in _cross_problems(entries):
        raise CatalogueError(f"networks[{index}] ({entries[index].name}): {problem}")
    return entries


def _cross_problems(entries: list[CatalogueEntry]) -> list[tuple[int, str]]:
    """What is wrong between entries: a name or alias that names two networks of one type, a
    stand-in that is not a network of the entry's type or has a stand-in of its own."""
    problems = []
    owner: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(entries):
        for label in dict.fromkeys(n.lower() for n in (entry.name, *entry.aliases)):
            first = owner.setdefault((entry.type, label), index)
            if first != index:
                problems.append(
                    (index, f'"{label}" already names {entry.type} network {entries[first].name}')
                )
    by_name = {(entry.type, entry.name): entry for entry in entries}
    for index, entry in enumerate(entries):
        if entry.on_pc is None:
            continue
        stand_in = by_name.get((entry.type, entry.on_pc))
        if stand_in is None:
            problems.append((index, f'"on_pc": no {entry.type} network is named "{entry.on_pc}"'))
        elif stand_in.on_pc is not None:
            problems.append((index, f'"on_pc": {entry.on_pc} has a stand-in of its own'))
    return sorted(problems)


def _entry(item: Any, folder: Path) -> CatalogueEntry:
    """One network of a catalogue file, its files found in `folder`."""
    if not isinstance(item, dict):
        raise CatalogueError("must be an object")
    name, network_type, backend = (_field(item, key, str) for key in ("name", "type", "backend"))
    if network_type not in NETWORK_TYPES:
        raise CatalogueError(f'unknown type "{network_type}" (one of {", ".join(NETWORK_TYPES)})')
    on_pc = _field(item, "on_pc", str, None)
    known = registry.backends()
    if backend not in known and on_pc is None:
        raise CatalogueError(
            f'unknown backend "{backend}" (one of {", ".join(sorted(known))}; '
            'another backend needs an "on_pc" stand-in)'
        )
    aliases = _field(item, "aliases", list, [])
    if not all(isinstance(alias, str) for alias in aliases):
        raise CatalogueError('"aliases" must be a list of strings')
    files = {}
    for role, spec in _field(item, "files", dict, {}).items():
        where = f"files.{role}."
        if not isinstance(spec, dict):
            raise CatalogueError(f'"files.{role}" must be an object')
        files[role] = ModelFile(
            folder / _field(spec, "path", str, where=where),
            _field(spec, "sha256", str, None, where=where),
        )
    return CatalogueEntry(
        name,
        network_type,
        backend,
        _field(item, "description", str, ""),
        _field(item, "default", bool, False),
        tuple(aliases),
        files,
        _field(item, "input", dict, {}),
        on_pc,
        _field(item, "speed_note", str, ""),
    )


_REQUIRED = object()
_KINDS = {str: "a string", bool: "true or false", list: "a list", dict: "an object"}


def _field(
    item: dict[str, Any], key: str, kind: type, default: Any = _REQUIRED, where: str = ""
) -> Any:
    """item[key] if it is a `kind`; `default` if it is absent and not required."""
    if key not in item:
        if default is _REQUIRED:
            raise CatalogueError(f'missing "{where}{key}"')
        return default
    if not isinstance(item[key], kind):
        raise CatalogueError(f'"{where}{key}" must be {_KINDS[kind]}')
    return item[key]


def custom_entry(network_type: str, path: Path, options: CustomOptions) -> CatalogueEntry:
    """A catalogue entry for a user's own model file."""
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    files = {"model": ModelFile(path)}
    if options.labels:
        files["labels"] = ModelFile(Path(options.labels))
    if options.colors:
        files["colors"] = ModelFile(Path(options.colors))
    if path.suffix.lower() == ".tflite":
        if network_type != "classification":
            raise ModelError(f"{path}: .tflite files are supported for classification only")
        backend = CUSTOM_TFLITE_BACKEND
    else:
        formats = CUSTOM_ONNX_BACKENDS.get(network_type)
        if formats is None:
            raise ModelError(
                f"{path}: custom ONNX files are supported for classification and detection only"
            )
        fmt = options.format or next(iter(formats))
        if fmt not in formats:
            raise ModelError(f"{path}: format '{fmt}' is not one of {', '.join(formats)}")
        backend = formats[fmt]
    model_input = {}
    if options.input_size:
        model_input = {"width": options.input_size[0], "height": options.input_size[1]}
    entry = CatalogueEntry(
        path.stem, network_type, backend, f"user model {path}", files=files, input=model_input
    )
    problem = entry.backend_problem()
    if problem:
        raise ModelError(f"{path}: cannot run here: {problem}")
    return entry


def read_labels(path: Path | None) -> list[str]:
    """Labels from a text file, one per line: line N names class N, and a blank line is a class
    with no name (results.class_label names it by its number); none if there is no file."""
    if path is None:
        return []
    lines = [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def read_colors(path: Path | None) -> list[tuple[int, int, int]]:
    """Class colours from a text file as jetson-inference reads its colors.txt: line N is
    class N, "r g b" (0-255; a fourth number, the opacity, is not used here) and what a line
    lacks is 255. As BGR triples; none if there is no file."""
    colours = []
    for line in path.read_text(encoding="utf-8-sig").splitlines() if path else []:
        values = [255.0, 255.0, 255.0]
        for place, word in enumerate(line.split()[:3]):
            try:
                values[place] = min(255.0, max(0.0, float(word)))
            except ValueError:
                break  # as sscanf: the numbers before an unreadable word count
        red, green, blue = (int(round(value)) for value in values)
        colours.append((blue, green, red))
    return colours


def describe(catalogue: Catalogue) -> str:
    """The --list-models table, LIST_WIDTH wide: every network (its description on indented
    lines under it) and whether it can run on this machine; for a
    network that cannot but has a stand-in that can, an arrow to the stand-in, explained in
    a line under the table."""
    rows: list[tuple[str, str, str, str, str]] = []
    stand_in_reasons: dict[str, None] = {}  # in order, once each
    entries = sorted(
        catalogue.entries, key=lambda e: (e.type, not e.default, e.on_pc is not None, e.name)
    )
    for entry in entries:
        why_not = entry.availability()
        stand_in = catalogue.stand_in(entry) if why_not else None
        if why_not is None:
            status = "yes" + (" (default)" if entry.default else "")
        elif stand_in is None:
            status = f"no: {why_not}"
        elif stand_in.availability() is None:
            status = f"-> {stand_in.name}"
            stand_in_reasons[f"{runtime_of(entry.backend)} networks: {why_not}"] = None
        else:
            status = f"no: {why_not}, nor its stand-in {stand_in.name}: {stand_in.availability()}"
        aliases = f" (also: {', '.join(entry.aliases)})" if entry.aliases else ""
        rows.append((entry.type, entry.name, entry.backend, status, entry.description + aliases))
    header = ("type", "name", "backend", "runs here", "description")
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(3)]
    status_indent = " " * (sum(widths) + len(widths))
    lines = []
    for row in (header, *rows):
        head = " ".join(f"{cell:<{width}}" for cell, width in zip(row, widths)) + " " + row[3]
        lines += wrap(head, subsequent_indent=status_indent)
        lines += wrap(row[4], initial_indent=LIST_INDENT, subsequent_indent=LIST_INDENT)
    if stand_in_reasons:
        lines += [
            "",
            *wrap(
                "-> NAME: cannot run on this machine; asked for, NAME runs in its place ("
                + "; ".join(stand_in_reasons)
                + ")"
            ),
        ]
    return "\n".join(lines)


def wrap(text: str, initial_indent: str = "", subsequent_indent: str = "") -> list[str]:
    """Lines of the --list-models table, at most LIST_WIDTH wide (names are not cut at their
    hyphens)."""
    return textwrap.wrap(
        text,
        LIST_WIDTH,
        initial_indent=initial_indent,
        subsequent_indent=subsequent_indent,
        break_on_hyphens=False,
        break_long_words=False,
    )
