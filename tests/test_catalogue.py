"""The catalogue file: a broken one is a one-line error naming it; another one can be used."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from catalogue import Catalogue, CatalogueError
from helpers import ROOT, list_models_rows, run_app

HOG = {"name": "people", "type": "detection", "backend": "opencv-hog"}


def network(**changes: Any) -> dict[str, Any]:
    """HOG's entry with some keys changed (None: removed)."""
    entry = {**HOG, **changes}
    return {key: value for key, value in entry.items() if value is not None}


def write(folder: Path, content: str | bytes | dict | list) -> Path:
    """A models.json in `folder`: the bytes or text given, or the object as JSON."""
    path = folder / "models.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def problem_of(path: Path) -> str:
    """What Catalogue(path) says is wrong, without the path, checked to be one line."""
    with pytest.raises(CatalogueError) as raised:
        Catalogue(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message.removeprefix(f"{path}: ")


@pytest.mark.parametrize(
    "content, problem",
    [
        ('{"networks": [', "invalid JSON (Expecting value: line 1 column 15 (char 14))"),
        (b"\xff\xfe", "invalid JSON ('utf-8' codec can't decode byte 0xff in position 0"),
        ([HOG], 'expected an object with a "networks" list'),
        ({"networks": {"people": HOG}}, 'expected an object with a "networks" list'),
        ({"networks": ["people"]}, "networks[0]: must be an object"),
        ({"networks": [network(name=7)]}, 'networks[0]: "name" must be a string'),
    ],
)
def test_a_broken_catalogue_says_what_is_wrong(tmp_path, content, problem):
    assert problem_of(write(tmp_path, content)).startswith(problem)


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"backend": None}, 'missing "backend"'),
        ({"type": "detect"}, 'unknown type "detect" (one of background, segmentation, '),
        ({"backend": "tensorflow"}, 'unknown backend "tensorflow" (one of '),
        ({"default": "yes"}, '"default" must be true or false'),
        ({"aliases": "hog"}, '"aliases" must be a list'),
        ({"aliases": ["hog", 2]}, '"aliases" must be a list of strings'),
        ({"files": {"model": "x.onnx"}}, '"files.model" must be an object'),
        ({"files": {"model": {}}}, 'missing "files.model.path"'),
        (
            {"files": {"model": {"path": "x.onnx", "sha256": 0}}},
            '"files.model.sha256" must be a string',
        ),
        ({"input": [320, 240]}, '"input" must be an object'),
    ],
)
def test_a_broken_network_says_which_and_what_is_wrong(tmp_path, changes, problem):
    path = write(tmp_path, {"networks": [HOG, network(**changes)]})
    assert problem_of(path).startswith(f"networks[1] (people): {problem}")


def test_a_missing_catalogue_cannot_be_read(tmp_path):
    with pytest.raises(CatalogueError, match="models.json: cannot be read"):
        Catalogue(tmp_path / "models.json")


@pytest.mark.parametrize("args", [["--list-models"], ["--detection"]])
@pytest.mark.parametrize(
    "content, problem",
    [
        ("{", "invalid JSON (Expecting property name enclosed in double quotes"),
        (
            {"networks": [network(backend="tensorflow")]},
            'networks[0] (people): unknown backend "tensorflow"',
        ),
    ],
)
def test_the_app_exits_2_with_one_line_on_a_broken_catalogue(tmp_path, args, content, problem):
    path = write(tmp_path, content)
    result = run_app(*args, env={"DASHBOARD_CATALOGUE": str(path)})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: {path}: {problem}")
    assert result.stderr.count("\n") == 1, result.stderr


def test_dashboard_catalogue_names_another_catalogue_with_its_files_beside_it(tmp_path):
    shipped = json.loads((ROOT / "data/networks/models.json").read_text())["networks"]
    nanodet = next(entry for entry in shipped if entry["name"] == "nanodet-coco")
    for spec in nanodet["files"].values():
        shutil.copy(ROOT / "data/networks" / spec["path"], tmp_path)
    path = write(tmp_path, {"networks": [nanodet, HOG]})
    result = run_app("--list-models", env={"DASHBOARD_CATALOGUE": str(path)})
    assert result.returncode == 0, result.stderr
    assert [line.split()[1:4] for line in list_models_rows(result.stdout)] == [
        ["nanodet-coco", "onnx-nanodet", "yes"],
        ["people", "opencv-hog", "yes"],
    ]


def test_a_slow_network_carries_a_note_for_the_page():
    catalogue = Catalogue()
    assert "slow" in catalogue.find("background", "u2netp").speed_note
    assert catalogue.find("background", "selfie-segmentation").speed_note == ""
