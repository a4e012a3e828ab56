"""tensorNet, the base of the fake networks (binding: PyTensorNet.cpp), how a network is loaded
(the constructors of PyImageNet.cpp and the others, and each network's Create()), and the
image features every fake network derives its results from."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from jetson_utils import _binding, _cuda

from ._models import LABEL_SETS, Network, find_network, model_type

Array = npt.NDArray[Any]
INFERENCE: str = _binding.INFERENCE
NULL = _binding.NULL
method = _binding.method


@dataclass
class FakeInferenceConfig:
    """Fake-only settings (`jetson_inference.fake_config`).

    network_delay: seconds each inference call sleeps, standing for the GPU's time (0: none)."""

    network_delay: float = 0.0


fake_config = FakeInferenceConfig()


@dataclass
class Loaded:
    """A loaded network: which one, its labels, and its model's layer names."""

    network: Network
    labels: list[str]
    synsets: list[str]
    blobs: dict[str, str] = field(default_factory=dict)


def read_labels(path: str) -> tuple[list[str], list[str]] | None:
    """A labels.txt: one class a line, 'n01440764 tench, Tinca tinca' lines split into a synset
    and a description."""
    try:
        with open(path, encoding="utf-8") as file:
            lines = [line.strip() for line in file if line.strip()]
    except OSError:
        return None
    descriptions, synsets = [], []
    for line in lines:
        head, _, rest = line.partition(" ")
        if len(head) == 9 and head[0] == "n" and head[1:].isdigit() and rest:
            synsets.append(head)
            descriptions.append(rest)
        else:
            synsets.append(line)
            descriptions.append(line)
    return descriptions, synsets


CUSTOM_LABELS = {
    "imageNet": [f"class {n}" for n in range(10)],
    "actionNet": [f"action {n}" for n in range(10)],
    "detectNet": ["BACKGROUND", "object"],
    "segNet": ["background", "foreground"],
    "poseNet": [],
    "backgroundNet": [],
}


def load(
    kind: str, name: str, labels: str | None, blobs: dict[str, str] | None = None
) -> Loaded | None:
    """Load a built-in network by name or alias, or a custom model by the path of its file (it
    must exist, and have an extension); None when the network cannot be loaded."""
    network = find_network(kind, name)
    if network is not None:
        label_list = LABEL_SETS[network.labels]
        return Loaded(network, list(label_list), list(label_list), blobs or {})
    if not os.path.splitext(name)[1] or not os.path.isfile(name):
        return None
    custom = Network(kind, "custom", (), "", name, "", "")
    if labels:
        read = read_labels(labels)
        if read is None:
            return None
        descriptions, synsets = read
    else:
        descriptions = synsets = list(CUSTOM_LABELS[kind])
    return Loaded(custom, descriptions, synsets, blobs or {})


class tensorNet:
    """The base of the networks: profiling and model information."""

    def __init__(self) -> None:
        self.calls: list[_binding.Call] = []
        self._loaded: Loaded | None = None
        self._network_ms = 0.0
        self._debug = False
        self._layer_profiler = False

    # The binding checks its C++ object before each method; a failed __init__ leaves none.
    def _net(self) -> Loaded:
        if self._loaded is None:
            raise Exception(f"{INFERENCE}{self._owner()} invalid object instance")
        return self._loaded

    def _owner(self) -> str:
        return "tensorNet" if type(self) is tensorNet else type(self).__name__

    def _timed(self, work: Callable[[], Any]) -> Any:
        """Run the fake's inference, timing it as the network's time (with the fake delay)."""
        start = time.perf_counter()
        if fake_config.network_delay > 0:
            time.sleep(fake_config.network_delay)
        result = work()
        self._network_ms = (time.perf_counter() - start) * 1000.0
        return result

    @method()
    def EnableDebug(self) -> None:
        self._net()
        self._debug = True

    @method()
    def EnableLayerProfiler(self) -> None:
        self._net()
        self._layer_profiler = True

    @method()
    def PrintProfilerTimes(self) -> None:
        self._net()
        print(f"[fake TRT] {self._owner()} network time {self._network_ms:.2f} ms")

    @method()
    def GetNetworkTime(self) -> float:
        """Milliseconds the last inference took."""
        self._net()
        return _binding.f32(self._network_ms)

    @method()
    def GetNetworkFPS(self) -> float:
        """1000 / GetNetworkTime() (inf before the first inference, as on the Jetson)."""
        self._net()
        milliseconds = _binding.f32(self._network_ms)
        return _binding.f32(1000.0 / milliseconds) if milliseconds else float("inf")

    @method()
    def GetModelType(self) -> str:
        return model_type(self._net().network.model)

    @method()
    def GetModelPath(self) -> str:
        return self._net().network.model_path

    @method()
    def GetPrototxtPath(self) -> str:
        return self._net().network.prototxt_path


def construct(
    net: tensorNet,
    kind: str,
    argv: Any,
    from_argv: Callable[[_binding.CommandLine], Loaded | None],
    from_args: Callable[[], Loaded | None],
) -> _binding.CommandLine | None:
    """The constructors' common path: a non-empty argv list loads the network from command-line
    options, anything else from the keyword arguments; raise when it does not load. Returns
    the parsed command line (None without argv)."""
    tensorNet.__init__(net)
    args = _binding.argv_list(argv, kind)
    cmd = None if args is None else _binding.CommandLine(args)
    loaded = from_argv(cmd) if cmd is not None else from_args()
    if loaded is None:
        raise Exception(f"{INFERENCE}{kind} failed to load network")
    net._loaded = loaded
    return cmd


def class_index(net: tensorNet, index: Any, count: int) -> int:
    """A class index argument, checked against the number of classes."""
    value = _binding.arg_int(index, "index")
    if value < 0 or value >= count:
        raise Exception(f"{INFERENCE}{net._owner()} requested class index is out of bounds")
    return value


class NamedNetwork(tensorNet):
    """GetNetworkName(), as imageNet, actionNet, segNet and backgroundNet have it."""

    @method()
    def GetNetworkName(self) -> str:
        return self._net().network.model.rsplit("/", 1)[-1]


class LabelledClasses(tensorNet):
    """GetNumClasses(), GetClassLabel(), GetClassDesc() over the network's labels, as
    detectNet, segNet and actionNet have them."""

    @method()
    def GetNumClasses(self) -> int:
        return len(self._net().labels)

    @method()
    def GetClassLabel(self, index: Any, /) -> str:
        net = self._net()
        return net.labels[class_index(self, index, len(net.labels))]

    @method()
    def GetClassDesc(self, index: Any, /) -> str:
        net = self._net()
        return net.labels[class_index(self, index, len(net.labels))]


class Threshold(tensorNet):
    """GetThreshold() and SetThreshold() over `_threshold`, as imageNet, actionNet and
    detectNet have them."""

    _threshold: float

    @method()
    def GetThreshold(self) -> float:
        self._net()
        return self._threshold

    @method()
    def SetThreshold(self, threshold: Any, /) -> None:
        self._net()
        self._threshold = _binding.arg_float(threshold, "threshold")


# --- what the fake networks see in an image --------------------------------------------------


def image_argument(image: Any, width: Any, height: Any, format: Any) -> Any:
    """PyCUDA_GetImage(capsule, &width, &height, &format) on the arguments of Classify(),
    Detect(), Process(), ... (an ImageRef)."""
    columns, rows = _binding.arg_int(width, "width"), _binding.arg_int(height, "height")
    return _cuda.resolve_image(image, columns, rows, _binding.arg_str(format, "format"))


def step_for(width: int) -> int:
    """The sampling step the fakes read pixels at (about 160 columns)."""
    return max(width // 160, 1)


def luma(rgb: Array) -> Array:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def saturation(rgb: tuple[float, float, float]) -> float:
    high, low = max(rgb), min(rgb)
    return (high - low) / high if high > 0 else 0.0


def hue_sector(rgb: tuple[float, float, float]) -> int:
    """Which of 12 hue sectors (30 degrees each, red = 0) a colour is in."""
    pixel = np.array([[rgb]], np.float32) / 255.0
    hue = float(cv2.cvtColor(pixel, cv2.COLOR_RGB2HSV)[0, 0, 0])
    return int(hue // 30) % 12


BRIGHT = 160.0  # the luma (0-255) above which a pixel belongs to an "object"


@dataclass
class Region:
    """A connected bright region: its box in image pixels, mean luma and mean colour."""

    left: float
    top: float
    right: float
    bottom: float
    brightness: float
    color: tuple[float, float, float]


def bright_regions(rgb: Array, step: int, width: int, height: int) -> list[Region]:
    """The connected regions of pixels brighter than BRIGHT (in a sampled RGB image), larger
    than 0.2% of the image, largest first, boxes scaled back to the full image."""
    lum = luma(rgb)
    mask = (lum >= BRIGHT).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    smallest = max(4, int(0.002 * mask.size))
    regions = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if area < smallest:
            continue
        inside = labels == label
        mean = rgb[inside].mean(axis=0)
        regions.append(
            Region(
                float(x * step),
                float(y * step),
                float(min((x + w) * step, width)),
                float(min((y + h) * step, height)),
                float(lum[inside].mean()),
                (float(mean[0]), float(mean[1]), float(mean[2])),
            )
        )
    regions.sort(key=lambda r: -(r.right - r.left) * (r.bottom - r.top))
    return regions


BACKGROUND_NAMES = ("unlabeled", "background", "void", "__background__")


def colour_class(color: tuple[float, float, float], labels: list[str]) -> int:
    """The class a fake network gives a colour: a near-grey (or white) colour is 'person' when
    the network has that class; other colours pick a class by their hue sector. A first class
    named unlabeled/background/void is never given."""
    count = len(labels)
    if count <= 1:
        return 0
    base = 1 if labels[0].lower() in BACKGROUND_NAMES else 0
    names = [label.lower() for label in labels]
    if saturation(color) < 0.25:
        return names.index("person") if "person" in names else base
    return base + (hue_sector(color) * 7) % (count - base)


def mean_color_class(rgb: Array, count: int) -> int:
    """A class from an image's mean colour: (R // 32 * 64 + G // 32 * 8 + B // 32) % count."""
    r, g, b = (int(v) // 32 for v in rgb.reshape(-1, 3).mean(axis=0))
    return (r * 64 + g * 8 + b) % count


def palette(
    count: int, alpha: float, background_black: bool
) -> list[tuple[float, float, float, float]]:
    """Class colours: distinct hues, fully saturated; alpha as given."""
    colors = []
    for n in range(count):
        hsv = np.array([[[(n * 47) % 180, 255, 230]]], np.uint8)
        r, g, b = (float(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])
        if n == 0 and background_black:
            r = g = b = 0.0
        colors.append((r, g, b, alpha))
    return colors
