"""The network types: one module each, a Model subclass with its settings, process() and draw().

`load_model()` builds a catalogue entry's backend and wraps it in its type's Model;
`create_slot()` makes the pipeline's ModelSlot for a network named on the command line.
"""

from __future__ import annotations

import contextlib
import importlib
import weakref
from collections.abc import Callable
from typing import Any

import backends
from catalogue import Catalogue, CatalogueEntry, CustomOptions, ModelError, read_colors
from model import Model, ModelSlot

# entry name -> the backend loaded for it, while some model of the slot holds it (load_model)
Loaded = weakref.WeakValueDictionary[str, Any]
# network type -> the Model subclass for it, as "module:class" (imported when first used)
MODEL_CLASSES = {
    "background": "networks.background:BackgroundModel",
    "segmentation": "networks.segmentation:SegmentationModel",
    "classification": "networks.classification:ClassificationModel",
    "detection": "networks.detection:DetectionModel",
    "pose": "networks.pose:PoseModel",
    "action": "networks.action:ActionModel",
}
# (network type, backend) -> its Model subclass where it is not the type's: jetson-inference's
# actionNet is a learned clip classifier, not the pose rules of ActionModel.
BACKEND_MODEL_CLASSES = {
    ("action", "jetson"): "networks.action:ClipActionModel",
}


def model_class(network_type: str, backend: str | None = None) -> Callable[[str, Any], Model[Any]]:
    """The Model subclass of a type (run by that backend); it is made from a name and a loaded
    backend."""
    spec = BACKEND_MODEL_CLASSES.get((network_type, backend or ""), MODEL_CLASSES[network_type])
    module_name, class_name = spec.split(":")
    return getattr(importlib.import_module(module_name), class_name)


def load_model(entry: CatalogueEntry, loaded: Loaded | None = None) -> Model:
    """Load the entry's files (sha256 checked) into its backend, as a Model of its type.

    `loaded` holds the backends a ModelSlot has loaded already, by entry name: one of them is
    shared by another camera's model unless it keeps state from frame to frame (`per_camera =
    True`: a tracking graph, say). So the weights are in memory once, and the slot runs one
    frame at a time through them."""
    backend = None if loaded is None else loaded.get(entry.name)
    if backend is None:
        backend = _build(entry)
        if loaded is not None and not getattr(backend, "per_camera", False):
            with contextlib.suppress(TypeError):  # an object that takes no weak reference
                loaded[entry.name] = backend
    model = model_class(entry.type, entry.backend)(entry.name, backend)
    model.takes_cuda = bool(getattr(backend, "takes_cuda", False))
    try:
        model.colours = read_colors(entry.file("colors"))
    except (OSError, UnicodeDecodeError) as error:
        raise ModelError(f"{entry.name}: colours: {error}") from None
    return model


def _build(entry: CatalogueEntry) -> Any:
    try:
        return backends.build(entry)
    except ModelError:
        raise
    except Exception as error:  # a runtime that refuses the file: say which file and why
        raise ModelError(f"{entry.name}: cannot load ({type(error).__name__}: {error})") from None


def create_slot(
    catalogue: Catalogue, network_type: str, spec: str | None, options: CustomOptions | None = None
) -> ModelSlot:
    """The slot for `--<type> [spec]`, its network loaded; ModelError if it cannot be."""
    entry = catalogue.resolve(network_type, spec, options)
    choices = tuple(e.name for e in catalogue.runnable(network_type))
    if entry.name not in choices:
        choices += (entry.name,)

    loaded: Loaded = weakref.WeakValueDictionary()

    def load(name: str) -> Model:
        """The named network; the first entry may be a user's file, not in the catalogue."""
        chosen = entry if name == entry.name else catalogue.find(network_type, name)
        return load_model(chosen, loaded)

    notes = {e.name: e.speed_note for e in catalogue.runnable(network_type) if e.speed_note}
    return ModelSlot(load(entry.name), load, choices, notes)
