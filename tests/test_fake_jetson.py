"""Tests of the Jetson fakes themselves (tests/fake_jetson), against facts from the bindings'
sources: the method tables (PyMethodDef arrays), the argument lists (kwlist and the
PyArg_Parse* format strings) and the behaviour of jetson-inference / jetson-utils at the
commits named in tests/fake_jetson/README.md."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
import pytest

from fake_jetson import FAKE_DIR, FakeJetson, installed


@pytest.fixture
def jetson() -> Iterator[FakeJetson]:
    with installed() as modules:
        modules.utils.fake_config.timeout_scale = 0.0  # a timeout returns at once
        yield modules


class Method(NamedTuple):
    """A PyMethodDef entry: name, flags (METH_ dropped), the PyArg format and the kwlist."""

    name: str
    flags: str
    format: str | None
    kwlist: list[str] | None


def M(name: str, flags: str, fmt: str | None = None, kwlist: list[str] | None = None) -> Method:
    return Method(name, flags, fmt, kwlist)


NOARGS, VARARGS, KEYWORDS = "NOARGS", "VARARGS", "VARARGS|KEYWORDS"

# (source file, module, owner ('' for module functions), PyMethodDef entries)
METHODS: list[tuple[str, str, str, list[Method]]] = [
    (
        "PyTensorNet.cpp",
        "jetson_inference",
        "tensorNet",
        [
            M("EnableDebug", NOARGS),
            M("EnableLayerProfiler", NOARGS),
            M("PrintProfilerTimes", NOARGS),
            M("GetNetworkTime", NOARGS),
            M("GetNetworkFPS", NOARGS),
            M("GetModelType", NOARGS),
            M("GetModelPath", NOARGS),
            M("GetPrototxtPath", NOARGS),
        ],
    ),
    (
        "PyImageNet.cpp",
        "jetson_inference",
        "imageNet",
        [
            M("Classify", KEYWORDS, "O|iisi", ["image", "width", "height", "format", "topK"]),
            M("GetNetworkName", NOARGS),
            M("GetNumClasses", NOARGS),
            M("GetClassLabel", VARARGS, "i"),
            M("GetClassDesc", VARARGS, "i"),
            M("GetClassSynset", VARARGS, "i"),
            M("GetThreshold", NOARGS),
            M("SetThreshold", VARARGS, "f"),
            M("GetSmoothing", NOARGS),
            M("SetSmoothing", VARARGS, "f"),
            M("Usage", "NOARGS|STATIC"),
        ],
    ),
    (
        "PyDetectNet.cpp",
        "jetson_inference",
        "detectNet.Detection",
        [M("Contains", KEYWORDS, "ff", ["x", "y"])],
    ),
    (
        "PyDetectNet.cpp",
        "jetson_inference",
        "detectNet",
        [
            M("Detect", KEYWORDS, "O|iiss", ["image", "width", "height", "overlay", "format"]),
            M(
                "Overlay",
                KEYWORDS,
                "OO|iissO",
                ["image", "detections", "width", "height", "overlay", "format", "output"],
            ),
            M("GetNumClasses", NOARGS),
            M("GetClassLabel", VARARGS, "i"),
            M("GetClassDesc", VARARGS, "i"),
            M("GetClassSynset", VARARGS, "i"),
            M("GetThreshold", NOARGS),
            M("SetThreshold", VARARGS, "f"),
            M("GetConfidenceThreshold", NOARGS),
            M("SetConfidenceThreshold", VARARGS, "f"),
            M("GetClusteringThreshold", NOARGS),
            M("SetClusteringThreshold", VARARGS, "f"),
            M("GetTrackerType", NOARGS),
            M("SetTrackerType", VARARGS, "s"),
            M("IsTrackingEnabled", NOARGS),
            M("SetTrackingEnabled", VARARGS, "p"),
            M("GetTrackingParams", NOARGS),
            M(
                "SetTrackingParams",
                KEYWORDS,
                "|iif",
                ["minFrames", "dropFrames", "overlapThreshold"],
            ),
            M("GetOverlayAlpha", NOARGS),
            M("SetOverlayAlpha", KEYWORDS, "f", ["alpha"]),
            M("GetLineWidth", NOARGS),
            M("SetLineWidth", KEYWORDS, "f", ["width"]),
            M("Usage", "NOARGS|STATIC"),
        ],
    ),
    (
        "PySegNet.cpp",
        "jetson_inference",
        "segNet",
        [
            M(
                "Process",
                KEYWORDS,
                "O|iiss",
                ["image", "width", "height", "ignore_class", "format"],
            ),
            M("Overlay", KEYWORDS, "O|iiss", ["image", "width", "height", "filter_mode", "format"]),
            M("Mask", KEYWORDS, "O|iiss", ["image", "width", "height", "filter_mode", "format"]),
            M("GetNetworkName", NOARGS),
            M("GetNumClasses", NOARGS),
            M("GetClassLabel", VARARGS, "i"),
            M("GetClassDesc", VARARGS, "i"),
            M("GetClassColor", VARARGS, "i"),
            M("GetGridWidth", NOARGS),
            M("GetGridHeight", NOARGS),
            M("GetGridSize", NOARGS),
            M("GetOverlayAlpha", NOARGS),
            M("SetOverlayAlpha", KEYWORDS, "f|i", ["alpha", "explicit_exempt"]),
            M("Usage", "NOARGS|STATIC"),
        ],
    ),
    (
        "PyPoseNet.cpp",
        "jetson_inference",
        "poseNet.ObjectPose",
        [M("FindKeypoint", VARARGS, "i"), M("FindLink", VARARGS, "ii")],
    ),
    (
        "PyPoseNet.cpp",
        "jetson_inference",
        "poseNet",
        [
            M("Process", KEYWORDS, "O|s", ["image", "overlay"]),
            M("Overlay", KEYWORDS, "OO|sO", ["input", "poses", "overlay", "output"]),
            M("GetThreshold", NOARGS),
            M("SetThreshold", VARARGS, "f"),
            M("GetNumKeypoints", NOARGS),
            M("GetKeypointName", VARARGS, "i"),
            M("FindKeypointID", VARARGS, "s"),
            M("SetKeypointAlpha", KEYWORDS, "f|i", ["alpha", "keypoint"]),
            M("GetKeypointScale", NOARGS),
            M("SetKeypointScale", KEYWORDS, "f", ["scale"]),
            M("GetLinkScale", NOARGS),
            M("SetLinkScale", KEYWORDS, "f", ["scale"]),
            M("Usage", "NOARGS|STATIC"),
        ],
    ),
    (
        "PyActionNet.cpp",
        "jetson_inference",
        "actionNet",
        [
            M("Classify", KEYWORDS, "O|iis", ["image", "width", "height", "format"]),
            M("GetNetworkName", NOARGS),
            M("GetNumClasses", NOARGS),
            M("GetClassLabel", VARARGS, "i"),
            M("GetClassDesc", VARARGS, "i"),
            M("GetThreshold", NOARGS),
            M("SetThreshold", VARARGS, "f"),
            M("GetSkipFrames", NOARGS),
            M("SetSkipFrames", VARARGS, "i"),
            M("Usage", "NOARGS|STATIC"),
        ],
    ),
    (
        "PyBackgroundNet.cpp",
        "jetson_inference",
        "backgroundNet",
        [
            M("Process", KEYWORDS, "O|Ossi", ["input", "output", "filter", "mask_alpha"]),
            M("GetNetworkName", NOARGS),
            M("Usage", "NOARGS|STATIC"),
        ],
    ),
    (
        "PyCUDA.cpp",
        "jetson_utils",
        "cudaFont",
        [
            M(
                "OverlayText",
                KEYWORDS,
                "O|iisiiOOsiK",
                [
                    "image",
                    "width",
                    "height",
                    "text",
                    "x",
                    "y",
                    "color",
                    "background",
                    "format",
                    "padding",
                    "stream",
                ],
            ),
            M("TextExtents", KEYWORDS, "s|ii", ["text", "x", "y"]),
            M("GetSize", NOARGS),
        ],
    ),
    (
        "PyCUDA.cpp",
        "jetson_utils",
        "",
        [
            M(
                "cudaMalloc",
                KEYWORDS,
                "|iiisLO",
                ["size", "width", "height", "format", "timestamp", "like"],
            ),
            M(
                "cudaMallocMapped",
                KEYWORDS,
                "|iffsLOp",
                ["size", "width", "height", "format", "timestamp", "like", "clear"],
            ),
            M(
                "cudaAllocMapped",
                KEYWORDS,
                "|iffsLOp",
                ["size", "width", "height", "format", "timestamp", "like", "clear"],
            ),
            M("cudaMemcpy", KEYWORDS, "O|OpK", ["dst", "src", "mapped", "stream"]),
            M("cudaStreamCreate", KEYWORDS, "|pi", ["nonblocking", "priority"]),
            M("cudaStreamDestroy", VARARGS, "K"),
            M("cudaStreamWaitEvent", VARARGS, "KK"),
            M("cudaStreamSynchronize", VARARGS, "K"),
            M("cudaEventCreate", NOARGS),
            M("cudaEventDestroy", VARARGS, "K"),
            M("cudaEventRecord", KEYWORDS, "|KK", ["event", "stream"]),
            M("cudaEventQuery", VARARGS, "K"),
            M("cudaEventElapsedTime", VARARGS, "KK"),
            M("cudaEventSynchronize", VARARGS, "K"),
            M("cudaDeviceSynchronize", NOARGS),
            M("cudaConvertColor", KEYWORDS, "OO|K", ["input", "output", "stream"]),
            M("cudaCrop", KEYWORDS, "OO(ffff)|K", ["input", "output", "roi", "stream"]),
            M("cudaResize", KEYWORDS, "OO|sK", ["input", "output", "filter", "stream"]),
            M(
                "cudaNormalize",
                KEYWORDS,
                "O(ff)O(ff)|K",
                ["input", "inputRange", "output", "outputRange", "stream"],
            ),
            M("cudaOverlay", KEYWORDS, "OO|ffK", ["input", "output", "x", "y", "stream"]),
            M(
                "cudaDrawCircle",
                KEYWORDS,
                "O(ff)fO|OK",
                ["input", "center", "radius", "color", "output", "stream"],
            ),
            M(
                "cudaDrawLine",
                KEYWORDS,
                "O(ff)(ff)O|fOK",
                ["input", "a", "b", "color", "line_width", "output", "stream"],
            ),
            M(
                "cudaDrawRect",
                KEYWORDS,
                "O(ffff)|OOfOK",
                ["input", "rect", "color", "line_color", "line_width", "output", "stream"],
            ),
            M("adaptFontSize", VARARGS, "i"),
            M("logUsage", NOARGS),
        ],
    ),
    (
        "PyNumpy.cpp",
        "jetson_utils",
        "",
        [
            M("cudaFromNumpy", KEYWORDS, "O|iL", ["array", "isBGR", "timestamp"]),
            M("cudaToNumpy", KEYWORDS, "O|iii", ["array", "width", "height", "depth"]),
        ],
    ),
    (
        "PyImageIO.cpp",
        "jetson_utils",
        "",
        [
            M("loadImage", KEYWORDS, "s|sLK", ["filename", "format", "timestamp", "stream"]),
            M("loadImageRGBA", KEYWORDS, "s|sLK", ["filename", "format", "timestamp", "stream"]),
            M("saveImage", KEYWORDS, "sO|iK", ["filename", "image", "quality", "stream"]),
            M(
                "saveImageRGBA",
                KEYWORDS,
                "sO|iifi",
                ["filename", "image", "width", "height", "max_pixel", "quality", "stream"],
            ),
        ],
    ),
    (
        "PyVideo.cpp",
        "jetson_utils",
        "videoSource",
        [
            M("Open", NOARGS),
            M("Close", NOARGS),
            M("Capture", KEYWORDS, "|siK", ["format", "timeout", "stream"]),
            M("GetWidth", NOARGS),
            M("GetHeight", NOARGS),
            M("GetFrameRate", NOARGS),
            M("GetFrameCount", NOARGS),
            M("GetOptions", NOARGS),
            M("IsStreaming", NOARGS),
            M("Usage", "NOARGS|STATIC"),
        ],
    ),
    (
        "PyVideo.cpp",
        "jetson_utils",
        "videoOutput",
        [
            M("Open", NOARGS),
            M("Close", NOARGS),
            M("Render", KEYWORDS, "O|K", ["image", "stream"]),
            M("GetWidth", NOARGS),
            M("GetHeight", NOARGS),
            M("GetFrameRate", NOARGS),
            M("GetOptions", NOARGS),
            M("IsStreaming", NOARGS),
            M("SetStatus", VARARGS, "s"),
            M("Usage", "NOARGS|STATIC"),
        ],
    ),
    (
        "PyLogging.cpp",
        "jetson_utils",
        "Log",
        [
            M("Error", "VARARGS|CLASS", "s"),
            M("Warning", "VARARGS|CLASS", "s"),
            M("Success", "VARARGS|CLASS", "s"),
            M("Info", "VARARGS|CLASS", "s"),
            M("Verbose", "VARARGS|CLASS", "s"),
            M("Debug", "VARARGS|CLASS", "s"),
            M("GetLevel", "NOARGS|CLASS"),
            M("SetLevel", "VARARGS|CLASS", "s"),
            M("GetFilename", "NOARGS|CLASS"),
            M("SetFilename", "VARARGS|CLASS", "s"),
            M("Usage", "NOARGS|CLASS"),
        ],
    ),
]

# The __init__ of each type: its PyArg_ParseTupleAndKeywords format and kwlist.
CONSTRUCTORS: list[tuple[str, str, str, list[str]]] = [
    (
        "jetson_inference",
        "imageNet",
        "|sOssss",
        ["network", "argv", "model", "labels", "input_blob", "output_blob"],
    ),
    (
        "jetson_inference",
        "detectNet.Detection",
        "|ifffff",
        ["classID", "confidence", "left", "top", "right", "bottom"],
    ),
    (
        "jetson_inference",
        "detectNet",
        "|sOfssssss",
        [
            "network",
            "argv",
            "threshold",
            "model",
            "labels",
            "colors",
            "input_blob",
            "output_cvg",
            "output_bbox",
        ],
    ),
    (
        "jetson_inference",
        "segNet",
        "|sOsssss",
        ["network", "argv", "model", "labels", "colors", "input_blob", "output_blob"],
    ),
    ("jetson_inference", "poseNet.ObjectPose.Keypoint", "|iff", ["id", "x", "y"]),
    ("jetson_inference", "poseNet.ObjectPose", "|i", ["id"]),
    ("jetson_inference", "poseNet", "|sOf", ["network", "argv", "threshold"]),
    (
        "jetson_inference",
        "actionNet",
        "|sOssss",
        ["network", "argv", "model", "labels", "input_blob", "output_blob"],
    ),
    (
        "jetson_inference",
        "backgroundNet",
        "|sOsss",
        ["network", "argv", "model", "input_blob", "output_blob"],
    ),
    ("jetson_utils", "cudaMemory", "i|ii", ["size", "mapped", "freeOnDelete"]),
    (
        "jetson_utils",
        "cudaImage",
        "ii|sLpiLO",
        ["width", "height", "format", "timestamp", "mapped", "freeOnDelete", "ptr", "like"],
    ),
    ("jetson_utils", "cudaFont", "|sf", ["font", "size"]),
    ("jetson_utils", "videoSource", "|sOiO", ["uri", "argv", "positionArg", "options"]),
    ("jetson_utils", "videoOutput", "|sOiO", ["uri", "argv", "positionArg", "options"]),
]

# PyGetSetDef and PyMemberDef arrays: the attributes of each type.
ATTRIBUTES: list[tuple[str, str, list[str]]] = [
    (
        "jetson_inference",
        "detectNet.Detection",
        [
            "ClassID",
            "TrackID",
            "TrackStatus",
            "TrackFrames",
            "TrackLost",
            "Instance",
            "Confidence",
            "Left",
            "Right",
            "Top",
            "Bottom",
            "Width",
            "Height",
            "Area",
            "Center",
            "ROI",
        ],
    ),
    ("jetson_inference", "poseNet.ObjectPose.Keypoint", ["ID", "x", "y"]),
    (
        "jetson_inference",
        "poseNet.ObjectPose",
        ["ID", "Keypoints", "Links", "Left", "Right", "Top", "Bottom", "ROI"],
    ),
    (
        "jetson_utils",
        "cudaMemory",
        ["ptr", "size", "mapped", "freeOnDelete", "stream", "event", "gpudata"],
    ),
    (
        "jetson_utils",
        "cudaImage",
        [
            "width",
            "height",
            "channels",
            "shape",
            "format",
            "timestamp",
            "__array_interface__",
            "__cuda_array_interface__",
        ],
    ),
]
FONT_COLORS = [  # PyCUDA.cpp, pyFont_Members[]
    "Black",
    "White",
    "Gray",
    "Brown",
    "Tan",
    "Red",
    "Green",
    "Blue",
    "Cyan",
    "Lime",
    "Yellow",
    "Orange",
    "Purple",
    "Magenta",
    "Gray90",
    "Gray80",
    "Gray70",
    "Gray60",
    "Gray50",
    "Gray40",
    "Gray30",
    "Gray20",
    "Gray10",
]


def resolve(jetson: FakeJetson, module: str, owner: str) -> Any:
    found: Any = jetson.inference if module == "jetson_inference" else jetson.utils
    for part in owner.split(".") if owner else []:
        found = getattr(found, part)
    return found


def format_units(fmt: str) -> tuple[int, int]:
    """(required, total) arguments of a PyArg format string; '(ff)' is one argument."""
    required, total, depth = 0, 0, 0
    optional = False
    for char in fmt:
        if char == "|":
            optional = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                total, required = total + 1, required + (not optional)
        elif depth == 0 and char.isalpha():
            total, required = total + 1, required + (not optional)
    return required, total


def parameters(function: Any) -> list[inspect.Parameter]:
    return [
        p for p in inspect.signature(function).parameters.values() if p.name not in ("self", "cls")
    ]


def required_count(params: list[inspect.Parameter]) -> int:
    return sum(p.default is inspect.Parameter.empty for p in params)


METHOD_CASES = [
    pytest.param(module, owner, method, id=f"{source}:{owner or module}.{method.name}")
    for source, module, owner, methods in METHODS
    for method in methods
]


@pytest.mark.parametrize("module, owner, method", METHOD_CASES)
def test_every_method_of_the_bindings_exists_and_takes_its_arguments_as_the_binding_does(
    jetson: FakeJetson, module: str, owner: str, method: Method
) -> None:
    holder = resolve(jetson, module, owner)
    assert hasattr(holder, method.name)
    params = parameters(getattr(holder, method.name))
    kinds = {p.kind for p in params}
    if method.flags.startswith("NOARGS"):
        assert params == []
    elif "KEYWORDS" in method.flags:
        assert method.format is not None
        assert [p.name for p in params] == method.kwlist
        assert kinds <= {inspect.Parameter.POSITIONAL_OR_KEYWORD}
        assert required_count(params) == format_units(method.format)[0]
    else:
        assert method.format is not None
        assert kinds <= {inspect.Parameter.POSITIONAL_ONLY}
        assert (required_count(params), len(params)) == format_units(method.format)
    if owner and method.flags.endswith("STATIC"):
        assert isinstance(inspect.getattr_static(holder, method.name), staticmethod)
    if owner and method.flags.endswith("CLASS"):
        assert isinstance(inspect.getattr_static(holder, method.name), classmethod)


@pytest.mark.parametrize(
    "module, owner, fmt, kwlist", CONSTRUCTORS, ids=[c[1] for c in CONSTRUCTORS]
)
def test_constructors_take_the_bindings_keywords(
    jetson: FakeJetson, module: str, owner: str, fmt: str, kwlist: list[str]
) -> None:
    params = parameters(resolve(jetson, module, owner).__init__)
    assert [p.name for p in params] == kwlist
    assert required_count(params) == format_units(fmt)[0]


@pytest.mark.parametrize("module, owner, names", ATTRIBUTES, ids=[a[1] for a in ATTRIBUTES])
def test_types_have_the_bindings_attributes(
    jetson: FakeJetson, module: str, owner: str, names: list[str]
) -> None:
    holder = resolve(jetson, module, owner)
    assert [name for name in names if not hasattr(holder, name)] == []


def test_module_layout_and_legacy_names(jetson: FakeJetson) -> None:
    import jetson.inference as legacy_inference  # type: ignore[import-not-found]
    import jetson.utils as legacy_utils  # type: ignore[import-not-found]

    for name in ("imageNet", "detectNet", "segNet", "poseNet", "actionNet", "backgroundNet"):
        assert getattr(legacy_inference, name) is getattr(jetson.inference, name)
        assert issubclass(getattr(jetson.inference, name), jetson.inference.tensorNet)
    for name in ("cudaImage", "videoSource", "cudaToNumpy", "fake_counters"):
        assert getattr(legacy_utils, name) is getattr(jetson.utils, name)
    assert jetson.inference.detectNet.Detection.__name__ == "Detection"
    assert jetson.inference.poseNet.ObjectPose.Keypoint.__name__ == "Keypoint"
    assert jetson.inference.VERSION == "1.0.0"
    assert all(hasattr(jetson.utils.cudaFont(), color) for color in FONT_COLORS)


def test_fakes_are_not_importable_outside_of_installed() -> None:
    assert str(FAKE_DIR) not in sys.path
    assert importlib.util.find_spec("jetson_inference") is None
    assert importlib.util.find_spec("jetson_utils") is None
    with installed():
        assert importlib.util.find_spec("jetson_inference") is not None
    assert importlib.util.find_spec("jetson_inference") is None
    assert "jetson_utils" not in sys.modules


# --- jetson_utils ----------------------------------------------------------------------------


def test_cuda_to_numpy_shares_the_mapped_memory(jetson: FakeJetson) -> None:
    ju = jetson.utils
    image = ju.cudaAllocMapped(width=8, height=4, format="rgb8")
    assert (image.width, image.height, image.channels, image.shape) == (8, 4, 3, (4, 8, 3))
    assert (image.format, image.mapped, image.size, image.timestamp) == ("rgb8", True, 96, 0)
    array = ju.cudaToNumpy(image)
    assert array.shape == (4, 8, 3) and array.dtype == np.uint8
    array[1, 2] = (10, 20, 30)
    assert image[1, 2] == (10, 20, 30)  # written through the view, read through the image
    assert image[1 * 8 + 2] == (10, 20, 30) and image[1, 2, 1] == 20
    image[0, 0] = (1, 2, 3)
    assert tuple(array[0, 0]) == (1, 2, 3)
    assert np.shares_memory(array, np.asarray(image))  # __array_interface__ is a view too
    assert array.ctypes.data == image.ptr
    floats = ju.cudaToNumpy(ju.cudaAllocMapped(width=2, height=2, format="rgba32f"))
    assert floats.shape == (2, 2, 4) and floats.dtype == np.float32
    assert ju.fake_counters.host_copies == 0


def test_unmapped_memory_is_not_visible_from_the_cpu(jetson: FakeJetson) -> None:
    ju = jetson.utils
    image = ju.cudaMalloc(width=4, height=4, format="rgb8")
    assert image.mapped is False and image.__array_interface__ is None
    with pytest.raises(Exception, match="needs to use CUDA mapped memory"):
        ju.cudaToNumpy(image)
    with pytest.raises(Exception, match="only operate on mapped/zeroCopy memory"):
        image[0, 0]


def test_cuda_from_numpy_copies_and_is_counted(jetson: FakeJetson) -> None:
    ju = jetson.utils
    frame = np.zeros((6, 5, 3), np.uint8)
    image = ju.cudaFromNumpy(frame)
    assert (image.width, image.height, image.format, image.mapped) == (5, 6, "rgb8", True)
    frame[0, 0] = 255
    assert ju.cudaToNumpy(image)[0, 0, 0] == 0  # a copy, not a view
    assert ju.cudaFromNumpy(frame, isBGR=True).format == "bgr8"
    assert ju.cudaFromNumpy(np.zeros((3, 4), np.float64)).format == "gray32f"
    assert type(ju.cudaFromNumpy(np.zeros(7, np.uint8))) is ju.cudaMemory
    assert ju.fake_counters.host_to_device_copies == 4
    assert ju.fake_counters.host_copies == 4
    with pytest.raises(Exception, match="wasn't a numpy ndarray"):
        ju.cudaFromNumpy([1, 2, 3])


def test_cuda_memcpy_and_device_synchronize_are_counted(jetson: FakeJetson) -> None:
    ju = jetson.utils
    image = ju.cudaFromNumpy(np.full((2, 2, 3), 7, np.uint8), timestamp=5)
    copy = ju.cudaMemcpy(image)  # one argument: a new copy
    assert copy.ptr != image.ptr and copy.timestamp == 5
    assert ju.cudaToNumpy(copy)[1, 1, 2] == 7
    ju.cudaMemcpy(copy, image)
    assert ju.fake_counters.device_copies == 2
    with pytest.raises(TypeError, match="same size"):
        ju.cudaMemcpy(ju.cudaAllocMapped(size=3), image)
    ju.cudaDeviceSynchronize()
    ju.cudaDeviceSynchronize()
    assert ju.fake_counters.device_synchronize == 2
    assert [call.name for call in ju.fake_calls][-2:] == ["cudaDeviceSynchronize"] * 2


def test_cuda_image_arguments_are_checked_as_the_binding_does(jetson: FakeJetson) -> None:
    ju = jetson.utils
    with pytest.raises(Exception, match="had invalid image format"):
        ju.cudaImage(4, 4, format="rgb9")
    with pytest.raises(TypeError):
        ju.cudaImage(4.5, 4)  # 'i' refuses floats
    with pytest.raises(TypeError):
        ju.cudaImage()  # width and height are required
    with pytest.raises(Exception, match="invalid format string"):
        ju.cudaAllocMapped(width=4, height=4)  # no format: IMAGE_UNKNOWN
    assert ju.cudaImage(2, 3, "rgba8", mapped=False).mapped is False
    assert ju.cudaImage(1, 1, like=ju.cudaAllocMapped(width=5, height=2, format="gray8")).shape == (
        2,
        5,
        1,
    )


def test_image_functions_change_the_pixels(jetson: FakeJetson) -> None:
    ju = jetson.utils
    image = ju.cudaAllocMapped(width=40, height=30, format="rgb8")
    pixels = ju.cudaToNumpy(image)
    ju.cudaDrawRect(image, (5, 5, 15, 15), (255, 0, 0, 255))
    assert tuple(pixels[10, 10]) == (255, 0, 0)
    ju.cudaDrawCircle(image, (30, 20), 5, (0, 255, 0))
    assert tuple(pixels[20, 30]) == (0, 255, 0)
    ju.cudaDrawLine(image, (0, 28), (39, 28), (0, 0, 255), 1)
    assert tuple(pixels[28, 20]) == (0, 0, 255)
    before = pixels.copy()
    ju.cudaDrawRect(image, (20, 0, 30, 10), (255, 255, 255))  # alpha 0 when not given: no fill
    assert np.array_equal(before, pixels)
    small = ju.cudaAllocMapped(width=20, height=15, format="rgb8")
    ju.cudaResize(image, small)
    assert tuple(ju.cudaToNumpy(small)[5, 5]) == (255, 0, 0)
    rgba = ju.cudaAllocMapped(width=40, height=30, format="rgba32f")
    ju.cudaConvertColor(image, rgba)
    assert tuple(ju.cudaToNumpy(rgba)[10, 10]) == (255.0, 0.0, 0.0, 255.0)
    with pytest.raises(Exception, match="formats are different"):
        ju.cudaResize(image, rgba)
    font = ju.cudaFont(size=20)
    before = pixels.copy()
    font.OverlayText(image, text="AB", x=2, y=2, color=font.White, background=font.Gray40)
    assert not np.array_equal(before, pixels)
    with pytest.raises(Exception, match="needs to be called with the 'text' string"):
        font.OverlayText(image)
    assert font.GetSize() == 20 and font.Red == (255.0, 255.0, 255.0, 255.0)
    assert ju.adaptFontSize(768) == 28.0 and ju.adaptFontSize(2000) == 32.0


def test_capture_returns_frames_then_none_on_a_timeout(jetson: FakeJetson) -> None:
    ju = jetson.utils
    source = ju.videoSource(
        "fake://pattern?timeouts=1", argv=["--input-width=64", "--input-height=48"]
    )
    first = source.Capture(format="rgb8", timeout=1000)
    assert (first.width, first.height, first.format, first.mapped) == (64, 48, "rgb8", True)
    assert first.freeOnDelete is False
    assert source.Capture(timeout=1000) is None  # the second Capture times out
    second = source.Capture(format="rgba32f")
    assert second.format == "rgba32f" and second[0, 0][0] == 1.0  # pixel (0, 0): frame number
    assert (source.GetWidth(), source.GetHeight(), source.GetFrameRate()) == (64, 48, 30)
    assert isinstance(source.GetFrameRate(), int) and source.IsStreaming()
    assert source.GetFrameCount() == 2


def test_end_of_stream_raises_and_is_not_streaming(jetson: FakeJetson) -> None:
    ju = jetson.utils
    source = ju.videoSource("fake://end-after/2")
    assert [source.Capture()[0, 0][0] for _ in range(2)] == [0, 1]
    with pytest.raises(Exception, match=r"^jetson\.utils -- videoSource failed to capture image$"):
        source.Capture()
    assert source.IsStreaming() is False
    looped = ju.videoSource("fake://end-after/2", argv=["--input-loop=1"])
    assert [looped.Capture()[0, 0][0] for _ in range(4)] == [0, 1, 2, 3]  # played twice
    with pytest.raises(Exception, match="failed to capture image"):
        looped.Capture()


def test_lost_stream_raises_and_stays_streaming(jetson: FakeJetson) -> None:
    source = jetson.utils.videoSource("fake://lost-after/1")
    source.Capture()
    for _ in range(2):
        with pytest.raises(Exception, match="failed to capture image"):
            source.Capture()
    assert source.IsStreaming() is True


def test_unknown_or_unavailable_sources_cannot_be_created(jetson: FakeJetson) -> None:
    ju = jetson.utils
    for uri in ("fake://unavailable", "nosuchfile.mp4", "bogus://x"):
        with pytest.raises(
            Exception, match=r"^jetson\.utils -- failed to create videoSource device$"
        ):
            ju.videoSource(uri)


def test_captured_frames_live_in_the_sources_ring_of_buffers(jetson: FakeJetson) -> None:
    source = jetson.utils.videoSource("fake://pattern", argv=["--num-buffers=2"])
    first = source.Capture()
    assert first[0, 0][0] == 0
    source.Capture()
    third = source.Capture()  # the ring has two buffers: the first one again
    assert third.ptr == first.ptr and first[0, 0][0] == 2


def test_video_output_renders_and_a_missing_uri_is_the_null_output(jetson: FakeJetson) -> None:
    ju = jetson.utils
    image = ju.videoSource("fake://still").Capture()
    sink = ju.videoOutput("fake://sink")
    assert sink.IsStreaming() is False
    sink.Render(image)
    assert sink.fake_frames == 1 and sink.IsStreaming() and sink.GetWidth() == 320
    assert np.array_equal(sink.fake_last_frame, ju.cudaToNumpy(image))
    assert isinstance(sink.GetFrameRate(), float)
    with pytest.raises(Exception, match="videoOutput.SetStatus\\(\\) failed to parse args tuple"):
        sink.SetStatus(5)
    null = ju.videoOutput("", argv=["--headless"])
    assert null.IsStreaming() is True
    null.Render(image)
    with pytest.raises(Exception, match="should be cudaImage"):
        null.Render(np.zeros((2, 2, 3), np.uint8))


# --- jetson_inference ------------------------------------------------------------------------


def frame(jetson: FakeJetson, pixels: str = "rgb8") -> Any:
    """The still scene (a 245-grey box at 0..64 x 60..180 on 320x240), in format `pixels`."""
    return jetson.utils.videoSource("fake://still").Capture(format=pixels)


def test_detect_finds_the_bright_box_and_draws_on_the_image(jetson: FakeJetson) -> None:
    net = jetson.inference.detectNet("ssd-mobilenet-v2", threshold=0.5)
    image = frame(jetson)
    before = jetson.utils.cudaToNumpy(image).copy()
    detections = net.Detect(image, overlay="box,labels,conf")
    assert len(detections) == 1
    found = detections[0]
    assert net.GetClassDesc(found.ClassID) == "person"
    assert found.Confidence == float(np.float32(245 / 255))
    assert (found.Left, found.Top, found.Right, found.Bottom) == (0.0, 60.0, 64.0, 180.0)
    assert (found.Width, found.Height, found.Area, found.Center) == (
        64.0,
        120.0,
        7680.0,
        (32.0, 120.0),
    )
    assert found.TrackID == -1 and found.TrackStatus == -1
    assert not np.array_equal(before, jetson.utils.cudaToNumpy(image))  # the overlay
    clean = frame(jetson)
    net.Detect(clean, overlay="none")
    assert np.array_equal(before, jetson.utils.cudaToNumpy(clean))


def test_calls_are_recorded_in_order_with_their_arguments(jetson: FakeJetson) -> None:
    net = jetson.inference.detectNet()
    image = frame(jetson)
    net.SetThreshold(0.97)
    assert net.Detect(image, overlay="none") == []  # 0.96 < 0.97
    assert [call.name for call in net.calls] == ["SetThreshold", "Detect"]
    assert net.calls[0].args == {"threshold": 0.97}
    assert net.calls[1].args["overlay"] == "none" and net.calls[1].args["image"] is image
    assert net.GetThreshold() == float(np.float32(0.97)) != 0.97  # a C float


def test_tracking_gives_ids_after_min_frames(jetson: FakeJetson) -> None:
    net = jetson.inference.detectNet()
    net.SetTrackingEnabled(True)
    assert net.IsTrackingEnabled() and net.GetTrackerType() == "IOU"
    net.SetTrackingParams(minFrames=2)
    assert net.GetTrackingParams() == {"minFrames": 2, "dropFrames": 15, "overlapThreshold": 0.5}
    image = frame(jetson)
    counts = [len(net.Detect(image, overlay="none")) for _ in range(2)]
    assert counts == [0, 0]  # not reported before their track is two frames old
    reported = net.Detect(image, overlay="none")
    assert reported[0].TrackStatus == 1 and reported[0].TrackFrames == 2


def test_bad_arguments_raise_what_the_bindings_raise(jetson: FakeJetson) -> None:
    ji = jetson.inference
    detect, classify = ji.detectNet(), ji.imageNet()
    with pytest.raises(TypeError):
        detect.SetThreshold("high")  # PyArg_ParseTuple's own TypeError
    with pytest.raises(Exception, match="imageNet failed to parse arguments") as raised:
        classify.GetClassDesc("x")  # the binding replaces it with Exception
    assert type(raised.value) is Exception
    with pytest.raises(Exception, match="detectNet requested class index is out of bounds"):
        detect.GetClassDesc(detect.GetNumClasses())
    assert classify.GetClassDesc(-1) == "none"  # imageNet's C++ gives "none" for -1
    with pytest.raises(Exception, match="provided alpha value is out-of-range"):
        detect.SetOverlayAlpha(300)
    with pytest.raises(TypeError):
        ji.imageNet(network=None)  # 's' refuses None
    with pytest.raises(Exception, match=r"^jetson\.inference -- imageNet failed to load network$"):
        ji.imageNet("no-such-network")
    with pytest.raises(Exception, match="segNet.Process\\(\\) failed to parse args tuple"):
        ji.segNet().Process(frame(jetson), "wide")
    with pytest.raises(Exception, match="poseNet.SetThreshold\\(\\) failed to parse arguments"):
        ji.poseNet().SetThreshold("x")


def test_image_net_classifies_by_mean_colour(jetson: FakeJetson) -> None:
    net = jetson.inference.imageNet("resnet-18")
    red = jetson.utils.cudaFromNumpy(np.full((32, 32, 3), (200, 10, 10), np.uint8))
    class_id, confidence = net.Classify(red)
    assert class_id == (200 // 32 * 64 + 0 + 0) % 1000 and confidence == 0.5
    top = net.Classify(red, topK=2)
    assert [c for c, _ in top] == [class_id, class_id + 1]
    net.SetThreshold(0.6)
    assert net.Classify(red) == (-1, 0.0)
    assert net.GetNumClasses() == 1000 and net.GetNetworkName() == "ResNet-18.caffemodel"
    with pytest.raises(Exception, match="encountered an error classifying the image"):
        net.Classify(jetson.utils.cudaFromNumpy(np.zeros((4, 4, 3), np.uint8), isBGR=True))


def test_segmentation_overlay_and_mask(jetson: FakeJetson) -> None:
    ju, net = jetson.utils, jetson.inference.segNet()
    assert net.GetGridSize() == (10, 10) and net.GetNumClasses() == 21
    image = frame(jetson, "rgba32f")
    net.Process(image)
    grid = ju.cudaAllocMapped(width=10, height=10, format="gray8")
    net.Mask(grid)
    classes = ju.cudaToNumpy(grid)[..., 0]
    assert classes[3, 0] == 15 and net.GetClassDesc(15) == "person"  # the grey box
    assert classes[0, 5] == 0
    overlay = ju.cudaAllocMapped(width=160, height=120, format="rgb8")
    net.Overlay(overlay, filter_mode="point")
    assert ju.cudaToNumpy(overlay).any()
    assert net.GetClassColor(15)[3] == 150.0
    with pytest.raises(Exception, match="invalid filter_mode parameter"):
        net.Overlay(overlay, filter_mode="cubic")


def test_pose_keypoints_links_and_overlay(jetson: FakeJetson) -> None:
    net = jetson.inference.poseNet()
    image = frame(jetson)
    before = jetson.utils.cudaToNumpy(image).copy()
    poses = net.Process(image, overlay="none")
    assert len(poses) == 1 and np.array_equal(before, jetson.utils.cudaToNumpy(image))
    pose = poses[0]
    assert len(pose.Keypoints) == net.GetNumKeypoints() == 18 and len(pose.Links) == 21
    neck = pose.Keypoints[pose.FindKeypoint("neck")]
    assert net.GetKeypointName(neck.ID) == "neck" and 0 <= neck.x <= 64 and 60 <= neck.y <= 180
    assert all(a < b < len(pose.Keypoints) for a, b in pose.Links)
    net.Overlay(image, poses, overlay="links,keypoints")
    assert not np.array_equal(before, jetson.utils.cudaToNumpy(image))
    with pytest.raises(TypeError, match="object poses should be of type list"):
        net.Overlay(image, tuple(poses))


def test_action_net_skips_frames(jetson: FakeJetson) -> None:
    net = jetson.inference.actionNet()
    source = jetson.utils.videoSource("fake://pattern")
    assert net.GetSkipFrames() == 1 and net.GetNumClasses() == 1040
    first = net.Classify(source.Capture())
    assert net.Classify(source.Capture()) == first  # skipped: the last result again
    assert 0 <= first[0] < 1040 and 0.0 < first[1] <= 1.0


def test_background_net_masks_the_alpha_channel(jetson: FakeJetson) -> None:
    image = frame(jetson, "rgba8")
    jetson.inference.backgroundNet().Process(image)
    pixels = jetson.utils.cudaToNumpy(image)
    assert pixels[120, 30, 3] == 255 and pixels[20, 160, 3] == 0
    assert tuple(pixels[20, 160, :3]) == (0, 0, 0)


def test_a_frame_costs_no_host_copy_per_network(jetson: FakeJetson) -> None:
    ji, ju = jetson.inference, jetson.utils
    image = ju.videoSource("fake://pattern").Capture(format="rgb8")
    networks = [ji.imageNet(), ji.detectNet(), ji.segNet(), ji.poseNet(), ji.actionNet()]
    ju.fake_reset()
    networks[0].Classify(image)
    networks[1].Detect(image, overlay="none")
    networks[2].Process(image)
    networks[3].Process(image, overlay="none")
    networks[4].Classify(image)
    ji.backgroundNet().Process(image, ju.cudaAllocMapped(like=image))
    assert ju.fake_counters.host_copies == 0
