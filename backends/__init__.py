"""Runtimes that run networks, one module each; `build()` makes the backend an entry names.

Which backends there are, what each needs and whether it can run here: backends/registry.py.
A backend's runtime is imported only when a network needs it, so a machine without a runtime
can still run the networks of the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backends.registry import backends

if TYPE_CHECKING:
    from catalogue import CatalogueEntry


def build(entry: CatalogueEntry) -> Any:
    """The loaded backend object (a Classifier, a Detector...) for a catalogue entry."""
    return backends()[entry.backend].create(entry)
