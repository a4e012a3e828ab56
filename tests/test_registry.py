"""The backend registry: one name per backend class, declared without importing runtimes, and
the catalogue's availability and the factory both taken from it."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TypeVar

import pytest

import backends
from backends.registry import MODULES, Backend, register_backend
from backends.registry import backends as registered
from catalogue import (
    CUSTOM_ONNX_BACKENDS,
    CUSTOM_TFLITE_BACKEND,
    Catalogue,
    CatalogueEntry,
    ModelError,
)
from cli import build_parser
from helpers import ANY_LOCAL_PORT, ROOT, list_models_rows
from model import NETWORK_TYPES, Model
from networks import MODEL_CLASSES, model_class

C = TypeVar("C")


def subclasses(cls: type[C]) -> set[type[C]]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *subclasses(direct)}}


def test_every_backend_class_is_registered_under_a_name_of_its_own():
    by_name = registered()  # imports the modules that define backends
    classes = {cls for cls in subclasses(Backend) if cls.__module__ in MODULES}
    assert set(by_name.values()) == classes
    assert len({cls.name for cls in classes}) == len(classes)


def test_a_second_backend_with_a_taken_name_is_refused():
    with pytest.raises(ValueError, match="two backends are named onnx-nanodet"):

        @register_backend
        class Twin(Backend):
            name = "onnx-nanodet"

    assert registered()["onnx-nanodet"].__name__ == "NanoDetDetector"


def test_a_backend_needs_every_package_it_requires(monkeypatch):
    hog = registered()["opencv-hog"]
    assert hog.problem() is None
    monkeypatch.setattr(hog, "requires", ("cv2", "no_such_runtime", "nor_this_one"))
    assert hog.problem() == "needs the Python packages no_such_runtime, nor_this_one"


def hide(*packages: str) -> str:
    """Python code that makes `packages` absent, as on a machine where they are not installed:
    None in sys.modules makes `import` fail and importlib.util.find_spec() answer None."""
    return f"import sys; sys.modules.update(dict.fromkeys({packages!r}));"


def test_backend_modules_import_without_their_runtimes():
    """Every backend is declared even where no runtime is installed (OpenCV aside: the
    dashboard itself needs it), and none is imported just to read the declarations."""
    runtimes = sorted({name for cls in registered().values() for name in cls.requires} - {"cv2"})
    code = (
        hide(*runtimes) + "import json; from backends.registry import backends;"
        " print(json.dumps({name: cls.problem() for name, cls in backends().items()}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    problems = json.loads(result.stdout)
    assert problems.keys() == registered().keys()
    for name, cls in registered().items():
        hidden = sorted(set(cls.requires) & set(runtimes))
        assert problems[name] == (
            f"needs the Python package{'s' if len(hidden) > 1 else ''} {', '.join(hidden)}"
            if hidden
            else None
        )


def test_build_makes_the_backend_the_entry_names(catalogue):
    hog = backends.build(catalogue.find("detection", "hog-people"))
    assert type(hog) is registered()["opencv-hog"]


def test_every_backend_the_catalogue_names_is_registered_or_has_a_runnable_stand_in():
    """A backend not registered yet (jetson-inference's, say) is named only by entries whose
    stand-in's backend is registered; the custom files' backends are all registered."""
    listed = json.loads((ROOT / "data/networks/models.json").read_text())["networks"]
    custom = [backend for formats in CUSTOM_ONNX_BACKENDS.values() for backend in formats.values()]
    assert {CUSTOM_TFLITE_BACKEND, *custom} - registered().keys() == set()
    backend_of = {(item["type"], item["name"]): item["backend"] for item in listed}
    for item in listed:
        if item["backend"] not in registered():
            stand_in = backend_of[item["type"], item["on_pc"]]
            assert stand_in in registered(), item["name"]


def test_the_command_line_offers_every_custom_onnx_detection_format():
    for fmt in CUSTOM_ONNX_BACKENDS["detection"]:
        assert build_parser().parse_args(["--detection-format", fmt]).detection_format == fmt


def test_no_network_runs_here_without_its_runtime(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # as if it were not installed
    catalogue = Catalogue()
    assert [entry.name for entry in catalogue.runnable("pose")] == []
    assert [entry.name for entry in catalogue.runnable("background")] == ["u2netp"]
    assert catalogue.default("background").name == "u2netp"
    with pytest.raises(ModelError, match="no pose network can run on this machine"):
        catalogue.default("pose")
    with pytest.raises(
        ModelError, match="efficientnet-lite0 cannot run here: needs the Python package mediapipe"
    ):
        catalogue.resolve("classification", "efficientnet")
    own_file = tmp_path / "mine.tflite"
    own_file.write_bytes(b"a user's classifier")
    with pytest.raises(ModelError, match="mine.tflite: cannot run here: needs the Python package"):
        catalogue.resolve("classification", str(own_file))


def run_app_without(package: str, *args: str) -> subprocess.CompletedProcess:
    """`python app.py ARGS` on a machine without `package`."""
    code = hide(package) + (
        "import runpy; sys.argv = ['app.py', *sys.argv[1:]];"
        " runpy.run_path('app.py', run_name='__main__')"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *ANY_LOCAL_PORT, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("runtime", ["mediapipe", "onnxruntime"])
def test_list_models_says_no_where_the_runtime_is_missing(runtime):
    result = run_app_without(runtime, "--list-models")
    assert result.returncode == 0, result.stderr[-2000:]
    table = result.stdout.split("\n\n")[0]
    rows = [line.split(maxsplit=3) for line in list_models_rows(table)]
    assert len(rows) == len(Catalogue().entries)
    catalogue = Catalogue()

    def problem(entry: CatalogueEntry) -> str | None:
        """Why `entry` cannot run where `runtime` is missing (its files are all here)."""
        cls = registered().get(entry.backend)
        if cls is not None and runtime in cls.requires:
            return f"needs the Python package {runtime}"
        return entry.backend_problem()  # jetson-inference's, say, on this machine

    for network_type, name, _, status in rows:
        entry = catalogue.named(network_type, name)
        assert entry is not None
        stand_in = catalogue.stand_in(entry)
        if problem(entry) is None:
            assert status.startswith("yes"), name
        elif stand_in is None:
            assert status.startswith(f"no: {problem(entry)} "), name
        elif problem(stand_in) is None:  # it runs through its stand-in
            assert status.startswith(f"-> {stand_in.name} "), name
        else:
            assert status.startswith(
                f"no: {problem(entry)}, nor its stand-in {stand_in.name}: {problem(stand_in)} "
            ), name


def test_loading_a_network_whose_runtime_is_missing_is_a_one_line_error():
    result = run_app_without("onnxruntime", "--detection", "nanodet")
    assert result.returncode == 2
    assert result.stderr == (
        "error: detection network nanodet-coco cannot run here: needs the "
        "Python package onnxruntime\n"
    )


def test_every_network_type_has_its_model_class_and_the_order_puts_needs_first():
    assert list(MODEL_CLASSES) == sorted(MODEL_CLASSES, key=NETWORK_TYPES.index)
    assert set(MODEL_CLASSES) == set(NETWORK_TYPES)
    for network_type in NETWORK_TYPES:
        model = model_class(network_type)
        assert isinstance(model, type) and issubclass(model, Model)
        assert model.type == network_type
        assert all(
            NETWORK_TYPES.index(needed) < NETWORK_TYPES.index(network_type)
            for needed in model.needs
        ), "a type comes after the types it needs"
