"""The catalogue of networks (data/networks/models.json): names, aliases, files, availability.

A network is named on the command line by a catalogue name or alias, or by a model file path
(a user's own ONNX or TFLite file). Every file is checked against its sha256 before loading;
a missing, unreadable or mismatched file is a ModelError naming the file. So is a catalogue
file that is not valid (a CatalogueError). $DASHBOARD_CATALOGUE names another catalogue file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
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

    def backend_problem(self) -> str | None:
        """None if its backend can run here (see backends/registry.py), else why not."""
        return registry.backends()[self.backend].problem()

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
    """What a user's own model file needs told: labels, input size, output format."""

    labels: str | None = None
    input_size: tuple[int, int] | None = None
    format: str | None = None


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

    def find(self, network_type: str, name: str) -> CatalogueEntry:
        """The entry named `name` (or an alias of it); ModelError listing valid names if none."""
        for entry in self.of_type(network_type):
            if name.lower() in (entry.name.lower(), *(alias.lower() for alias in entry.aliases)):
                why_not = entry.availability()
                if why_not:
                    raise ModelError(
                        f"{network_type} network {entry.name} cannot run here: {why_not}"
                    )
                return entry
        valid = ", ".join(entry.name for entry in self.runnable(network_type))
        raise ModelError(
            f"unknown {network_type} network '{name}'; valid names: {valid}, "
            "or a path to an .onnx or .tflite file"
        )

    def resolve(
        self, network_type: str, spec: str | None, options: CustomOptions | None = None
    ) -> CatalogueEntry:
        """The entry for a command-line value: empty for the default, a name, or a file path."""
        options = options or CustomOptions()
        if not spec or not spec.lower().endswith((".onnx", ".tflite")):
            if options != CustomOptions():
                flags = [f"--{network_type}-labels", f"--{network_type}-input-size"]
                flags += ["--detection-format"] if network_type == "detection" else []
                raise ModelError(
                    f"{', '.join(flags)} are for your own .onnx or .tflite file, "
                    "not a catalogue network"
                )
            return self.find(network_type, spec) if spec else self.default(network_type)
        return custom_entry(network_type, Path(spec), options)


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
    return entries


def _entry(item: Any, folder: Path) -> CatalogueEntry:
    """One network of a catalogue file, its files found in `folder`."""
    if not isinstance(item, dict):
        raise CatalogueError("must be an object")
    name, network_type, backend = (_field(item, key, str) for key in ("name", "type", "backend"))
    if network_type not in NETWORK_TYPES:
        raise CatalogueError(f'unknown type "{network_type}" (one of {", ".join(NETWORK_TYPES)})')
    known = registry.backends()
    if backend not in known:
        raise CatalogueError(f'unknown backend "{backend}" (one of {", ".join(sorted(known))})')
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


def describe(catalogue: Catalogue) -> str:
    """The --list-models table: every network and whether it can run on this machine."""
    lines = [f"{'type':<15} {'name':<20} {'backend':<21} {'runs here':<40} description"]
    for entry in sorted(catalogue.entries, key=lambda e: (e.type, not e.default, e.name)):
        why_not = entry.availability()
        status = (
            "yes" + (" (default)" if entry.default else "")
            if why_not is None
            else (f"no: {why_not}")
        )
        aliases = f" (also: {', '.join(entry.aliases)})" if entry.aliases else ""
        lines.append(
            f"{entry.type:<15} {entry.name:<20} {entry.backend:<21} {status:<40} "
            f"{entry.description}{aliases}"
        )
    return "\n".join(lines)
