"""The backend registry: every backend class, under the name models.json gives it.

A backend class subclasses Backend and declares its `name`, the Python packages it
`requires`, and, with the classmethod `problem()`, whether it can run here (by default: every
required package is installed, asked of importlib without importing it). `@register_backend`
files it under its name; two classes with one name are an error.

The one list kept by hand is MODULES, the modules that define backends. The registry imports
them all when it is first asked, to read the classes' declarations. That is quick and works
on a machine without a runtime, because a backend module imports its runtime (onnxruntime,
mediapipe) only when a backend object is made, never at its top; a test hides every runtime
to keep it so. The catalogue's availability (and so --list-models) and `backends.build()`
both look backends up here, so they cannot disagree.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from catalogue import CatalogueEntry

MODULES = (
    "backends.onnx",
    "backends.opencv_hog",
    "backends.mediapipe_tasks",
    "backends.mediapipe_solutions",
    "backends.people_matting",
    "backends.jetson",
)


class Backend:
    """A runtime's way to run one kind of network; its methods are its network type's."""

    name: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ()  # top-level import names, e.g. "onnxruntime"

    def __init__(self, entry: CatalogueEntry) -> None:
        """Load the entry's network; the runtime is imported here, not at the module's top."""

    @classmethod
    def create(cls, entry: CatalogueEntry) -> Any:
        """The loaded backend object for an entry (`backends.build()` calls this). By default
        an instance of the class; a backend that runs several network types (jetson's) returns
        the object for `entry.type`."""
        return cls(entry)

    @classmethod
    def problem(cls) -> str | None:
        """None if it can run on this machine, else why not."""
        missing = [name for name in cls.requires if importlib.util.find_spec(name) is None]
        if not missing:
            return None
        return f"needs the Python package{'s' if len(missing) > 1 else ''} {', '.join(missing)}"


_REGISTERED: dict[str, type[Backend]] = {}
B = TypeVar("B", bound=Backend)


def register_backend(cls: type[B]) -> type[B]:
    """Class decorator: file a Backend subclass under its `name`."""
    if cls.name in _REGISTERED:
        raise ValueError(
            f"two backends are named {cls.name}: "
            f"{_REGISTERED[cls.name].__qualname__} and {cls.__qualname__}"
        )
    _REGISTERED[cls.name] = cls
    return cls


def backends() -> dict[str, type[Backend]]:
    """Every backend class by name, the modules in MODULES imported first."""
    for module in MODULES:
        importlib.import_module(module)
    return dict(_REGISTERED)
