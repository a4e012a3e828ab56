"""The network types: one module each, a Model subclass with its settings, process() and draw().

`load_model()` builds a catalogue entry's backend and wraps it in its type's Model;
`create_slot()` makes the pipeline's ModelSlot for a network named on the command line.
"""
from __future__ import annotations

import backends
from catalogue import Catalogue, CatalogueEntry, CustomOptions, ModelError
from model import Model, ModelSlot
from networks.classification import ClassificationModel
from networks.detection import DetectionModel

MODEL_CLASSES: dict[str, type[Model]] = {
    "classification": ClassificationModel,
    "detection": DetectionModel,
}


def load_model(entry: CatalogueEntry) -> Model:
    """Load the entry's files (sha256 checked) into its backend, as a Model of its type."""
    try:
        backend = backends.build(entry)
    except ModelError:
        raise
    except Exception as error:  # a runtime that refuses the file: say which file and why
        raise ModelError(f"{entry.name}: cannot load ({type(error).__name__}: {error})") from None
    return MODEL_CLASSES[entry.type](entry.name, backend)


def create_slot(catalogue: Catalogue, network_type: str, spec: str | None,
                options: CustomOptions | None = None) -> ModelSlot:
    """The slot for `--<type> [spec]`, its network loaded; ModelError if it cannot be."""
    entry = catalogue.resolve(network_type, spec, options)
    choices = tuple(e.name for e in catalogue.runnable(network_type))
    if entry.name not in choices:
        choices += (entry.name,)
    return ModelSlot(load_model(entry),
                     lambda name: load_model(catalogue.find(network_type, name)), choices)
