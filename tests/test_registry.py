"""The backend registry: one name per backend class, declarations readable without runtimes."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import backends
from backends.registry import MODULES, Backend, backends as registered, register_backend
from conftest import ROOT


def subclasses(cls: type) -> set[type]:
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
    code = (hide(*runtimes) + "import json; from backends.registry import backends;"
            " print(json.dumps({name: cls.problem() for name, cls in backends().items()}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    problems = json.loads(result.stdout)
    assert problems.keys() == registered().keys()
    for name, cls in registered().items():
        hidden = sorted(set(cls.requires) & set(runtimes))
        assert problems[name] == (f"needs the Python package {', '.join(hidden)}"
                                  if hidden else None)


def test_build_makes_the_backend_the_entry_names(catalogue):
    hog = backends.build(catalogue.find("detection", "hog-people"))
    assert type(hog) is registered()["opencv-hog"]
