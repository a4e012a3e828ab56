"""The README's table of live settings, from the same registry the server uses.

    .venv/bin/python -m tools.settings_table         # print it
    .venv/bin/python -m tools.settings_table --write   # put it in README.md

Loads every network type's default network, so that every setting is listed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from catalogue import Catalogue
from networks import MODEL_CLASSES, create_slot
from sources import PatternSource
from stream import Pipeline
from utils import Property


def _range(prop: Property) -> str:
    if prop.choices:
        return " \\| ".join(prop.choices)
    if prop.type is bool:
        return "true \\| false"
    if prop.minimum is not None and prop.maximum is not None:
        return f"{prop.minimum:g} to {prop.maximum:g}"
    return ""


def settings_table() -> str:
    """The markdown table of every setting: path, type, range, default, help."""
    catalogue = Catalogue()
    networks = [create_slot(catalogue, network_type, None) for network_type in MODEL_CLASSES]
    pattern = PatternSource()
    pipeline = Pipeline(pattern, lambda: pattern, networks=networks)
    rows = ["| path | type | range | default | what it does |", "|---|---|---|---|---|"]
    for prop in pipeline.settings:
        default = (
            ""
            if not prop.writable
            else str(prop.getter()).lower()
            if prop.type is bool
            else str(prop.getter())
        )
        kind = prop.type_name + ("" if prop.writable else ", read-only")
        rows.append(f"| `{prop.path}` | {kind} | {_range(prop)} | {default} | {prop.help} |")
    return "\n".join(rows)


README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- settings-table", "<!-- /settings-table -->"


def readme_table_block(text: str) -> str:
    """What the README holds between the settings-table markers."""
    return text.split(START, 1)[1].split("-->", 1)[1].split(END, 1)[0].strip()


def write_readme() -> None:
    text = README.read_text()
    README.write_text(text.replace(readme_table_block(text), settings_table()))


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        write_readme()
    else:
        print(settings_table())
