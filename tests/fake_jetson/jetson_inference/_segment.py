"""Fake segNet (binding: PySegNet.cpp; behaviour from segNet.cpp) and backgroundNet
(PyBackgroundNet.cpp).

segNet classifies each cell of its grid (the network's input size / 32) from the cell's mean
colour: bright and grey -> 'person' (when the network has it), saturated -> a class by hue,
anything else -> class 0. backgroundNet keeps the bright or saturated pixels as foreground."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from jetson_utils import _binding, _cuda

from ._base import (
    BACKGROUND_NAMES,
    BRIGHT,
    INFERENCE,
    NULL,
    LabelledClasses,
    Loaded,
    NamedNetwork,
    class_index,
    colour_class,
    construct,
    image_argument,
    load,
    luma,
    method,
    palette,
    saturation,
    step_for,
)
from ._models import grid_size

f32 = _binding.f32


def _filter_mode(name: str) -> int | None:
    """segNet's filter_mode: exactly 'linear' or 'point'."""
    return {"linear": cv2.INTER_LINEAR, "point": cv2.INTER_NEAREST}.get(name)


def _cell_class(color: tuple[float, float, float], labels: list[str]) -> int:
    lum = color[0] * 0.299 + color[1] * 0.587 + color[2] * 0.114
    if lum >= BRIGHT and saturation(color) < 0.25:
        return colour_class(color, labels)
    if saturation(color) >= 0.4 and max(color) >= 96:
        return colour_class(color, labels)
    return 0


class segNet(NamedNetwork, LabelledClasses):
    """Semantic segmentation: classifies every cell of an image's grid."""

    def __init__(
        self,
        network: Any = "fcn-resnet18-pascal-voc",
        argv: Any = NULL,
        model: Any = NULL,
        labels: Any = NULL,
        colors: Any = NULL,
        input_blob: Any = "input_0",
        output_blob: Any = "output_0",
    ) -> None:
        name = _binding.arg_str(network, "network")
        model_path = _binding.arg_opt_str(model, "model")
        labels_path = _binding.arg_opt_str(labels, "labels")
        _binding.arg_opt_str(colors, "colors")
        blobs = {
            "input": _binding.arg_str(input_blob, "input_blob"),
            "output": _binding.arg_str(output_blob, "output_blob"),
        }

        def from_args() -> Loaded | None:
            return load("segNet", model_path or name, labels_path, blobs)

        def from_argv(cmd: _binding.CommandLine) -> Loaded | None:
            chosen = cmd.get_string("model") or cmd.get_string(
                "network", "fcn-resnet18-voc-320x320"
            )
            return load("segNet", chosen or "", cmd.get_string("labels"))

        cmd = construct(self, "segNet", argv, from_argv, from_args)
        net = self._net()
        self._grid = grid_size(net.network)
        background = bool(net.labels) and net.labels[0].lower() in BACKGROUND_NAMES
        self._colors = palette(len(net.labels), 150.0, background)
        if cmd is not None:
            self._set_alpha(cmd.get_float("alpha", 150.0))
        self._class_map = np.zeros((self._grid[1], self._grid[0]), np.uint8)
        self._last: Any = None  # the image of the last Process() (its memory, as a pointer)

    def _set_alpha(self, alpha: float) -> None:
        self._colors = [(r, g, b, alpha) for r, g, b, _ in self._colors]

    @method(f"{INFERENCE}segNet.Process() failed to parse args tuple")
    def Process(
        self,
        image: Any,
        width: Any = 0,
        height: Any = 0,
        ignore_class: Any = "void",
        format: Any = "rgba32f",
    ) -> None:
        """Classify the grid of the image; Overlay() and Mask() then draw the result. An image
        not in rgb8/rgba8/rgb32f/rgba32f is silently not processed, as the binding does."""
        net = self._net()
        ignored = _binding.arg_str(ignore_class, "ignore_class")
        ref = image_argument(image, width, height, format)
        if ref.width == 0 or ref.height == 0:
            raise Exception(
                f"{INFERENCE}segNet.Process() encountered an error segmenting the image"
            )
        if not _binding.is_rgb(ref.format):
            return
        names = [label.lower() for label in net.labels]
        ignore_id = names.index(ignored.lower()) if ignored.lower() in names else -1

        def infer() -> Any:
            columns, rows = self._grid
            rgb = _cuda.rgb_float(ref.view, ref.format, step_for(ref.width))
            cells = cv2.resize(rgb, (columns, rows), interpolation=cv2.INTER_AREA)
            classes = np.zeros((rows, columns), np.uint8)
            for y in range(rows):
                for x in range(columns):
                    color = (float(cells[y, x, 0]), float(cells[y, x, 1]), float(cells[y, x, 2]))
                    found = _cell_class(color, net.labels)
                    if found == ignore_id:
                        found = 0 if ignore_id != 0 else min(1, len(net.labels) - 1)
                    classes[y, x] = found
            return classes

        self._class_map = self._timed(infer)
        self._last = ref

    def _color_grid(self) -> Any:
        return np.array(self._colors, np.float32)[self._class_map]

    def _target(
        self, image: Any, width: Any, height: Any, filter_mode: Any, format: Any, owner: str
    ) -> tuple[Any, int]:
        columns, rows = _binding.arg_int(width, "width"), _binding.arg_int(height, "height")
        mode_name = _binding.arg_str(filter_mode, "filter_mode")
        format_name = _binding.arg_str(format, "format")
        mode = _filter_mode(mode_name)
        if mode is None:
            raise Exception(f"{INFERENCE}segNet.{owner}() invalid filter_mode parameter")
        return _cuda.resolve_image(image, columns, rows, format_name), mode

    @method()
    def Overlay(
        self,
        image: Any,
        width: Any = 0,
        height: Any = 0,
        filter_mode: Any = "linear",
        format: Any = "rgba32f",
    ) -> None:
        """Write the last processed image, with the class colours alpha-blended over it, into
        `image` (any size: the result is scaled to it)."""
        self._net()
        ref, mode = self._target(image, width, height, filter_mode, format, "Overlay")
        last = self._last
        if last is None or ref.format is None or not ref.format.packed:
            raise Exception(
                f"{INFERENCE}segNet.Overlay() encountered an error segmenting the image"
            )
        source = cv2.resize(
            _cuda.rgb_float(last.view, last.format),
            (ref.width, ref.height),
            interpolation=cv2.INTER_LINEAR,
        )
        colors = cv2.resize(self._color_grid(), (ref.width, ref.height), interpolation=mode)
        weight = colors[..., 3:4] / 255.0
        mixed = source * (1.0 - weight) + colors[..., :3] * weight
        _cuda.store_rgb(ref.view, ref.format, mixed, None)

    @method()
    def Mask(
        self,
        image: Any,
        width: Any = 0,
        height: Any = 0,
        filter_mode: Any = "linear",
        format: Any = "rgba32f",
    ) -> None:
        """Write the class colours into `image` (scaled to it); into a gray8 image, the class
        numbers themselves."""
        self._net()
        ref, mode = self._target(image, width, height, filter_mode, format, "Mask")
        if ref.format is None or not ref.format.packed:
            raise Exception(
                f"{INFERENCE}segNet.Mask() encountered an error generating the segmentation mask"
            )
        if ref.format.name == "gray8":
            columns, rows = self._grid
            xs = (np.arange(ref.width) * columns // ref.width).astype(np.intp)
            ys = (np.arange(ref.height) * rows // ref.height).astype(np.intp)
            ref.view[..., 0] = self._class_map[ys[:, None], xs[None, :]]
            return
        colors = cv2.resize(self._color_grid(), (ref.width, ref.height), interpolation=mode)
        _cuda.store_rgb(ref.view, ref.format, colors[..., :3], colors[..., 3])

    @method()
    def GetClassColor(self, index: Any, /) -> tuple[float, float, float, float]:
        """(r, g, b, a) of the class, 0-255."""
        net = self._net()
        r, g, b, a = self._colors[class_index(self, index, len(net.labels))]
        return (f32(r), f32(g), f32(b), f32(a))

    @method()
    def GetGridWidth(self) -> int:
        self._net()
        return self._grid[0]

    @method()
    def GetGridHeight(self) -> int:
        self._net()
        return self._grid[1]

    @method()
    def GetGridSize(self) -> tuple[int, int]:
        self._net()
        return self._grid

    @method()
    def GetOverlayAlpha(self) -> float:
        self._net()
        return f32(self._colors[0][3]) if self._colors else 150.0

    @method()
    def SetOverlayAlpha(self, alpha: Any, explicit_exempt: Any = 1) -> None:
        """The alpha (0-255) of every class colour (the fake has no colours file, so no class
        is exempt)."""
        self._net()
        value = _binding.arg_float(alpha, "alpha")
        _binding.arg_int(explicit_exempt, "explicit_exempt")
        if value < 0.0 or value > 255.0:
            raise Exception(
                f"{INFERENCE}segNet.SetOverlayAlpha() -- provided alpha value is out-of-range"
            )
        self._set_alpha(value)

    @staticmethod
    def Usage() -> str:
        return (
            "segNet arguments:\n  --network=NETWORK  --model=MODEL  --prototxt=PROTOTXT\n"
            "  --labels=LABELS  --colors=COLORS  --input-blob=INPUT  --output-blob=OUTPUT\n"
            "  --alpha=ALPHA  --visualize=VISUAL  --profile\n"
        )


class backgroundNet(NamedNetwork):
    """Background removal: keeps the foreground of an image."""

    def __init__(
        self,
        network: Any = "u2net",
        argv: Any = NULL,
        model: Any = NULL,
        input_blob: Any = "input_0",
        output_blob: Any = "output_0",
    ) -> None:
        name = _binding.arg_str(network, "network")
        model_path = _binding.arg_opt_str(model, "model")
        blobs = {
            "input": _binding.arg_str(input_blob, "input_blob"),
            "output": _binding.arg_str(output_blob, "output_blob"),
        }

        def from_args() -> Loaded | None:
            return load("backgroundNet", model_path or name, None, blobs)

        def from_argv(cmd: _binding.CommandLine) -> Loaded | None:
            chosen = cmd.get_string("network") or cmd.get_string("model", "u2net") or ""
            return load("backgroundNet", chosen, None)

        construct(self, "backgroundNet", argv, from_argv, from_args)

    @method()
    def Process(
        self, input: Any, output: Any = NULL, filter: Any = "linear", mask_alpha: Any = 1
    ) -> None:
        """Remove the background: in place, or into `output` (same size and format). Background
        pixels become black; with an alpha channel and mask_alpha, the mask is the alpha."""
        self._net()
        mode = _binding.arg_str(filter, "filter")
        keep_alpha = _binding.arg_int(mask_alpha, "mask_alpha") > 0
        source = _cuda.get_image(input)
        if source is None:
            raise TypeError(f"{INFERENCE}failed to get CUDA image from input argument")
        target = source
        if output is not NULL:
            target = _cuda.get_image(output)
            if target is None:
                raise TypeError(f"{INFERENCE}failed to get CUDA image from output argument")
            if (source.width, source.height) != (target.width, target.height):
                raise TypeError(f"{INFERENCE}input and output image dimensions don't match")
            if source.format != target.format:
                raise TypeError(f"{INFERENCE}input and output image formats don't match")
        fmt = source._format
        if fmt.kind not in ("rgb", "bgr") or source.width == 0 or source.height == 0:
            raise Exception(
                f"{INFERENCE}backgroundNet.Process() encountered an error processing the image"
            )
        interpolation = (
            cv2.INTER_NEAREST if mode.lower() in ("point", "nearest") else cv2.INTER_LINEAR
        )

        def infer() -> Any:
            view = source._view()
            rgb = _cuda.rgb_float(view, fmt)
            small = cv2.resize(rgb, (80, 80), interpolation=cv2.INTER_AREA)
            high, low = small.max(axis=2), small.min(axis=2)
            vivid = np.where(high > 0, (high - low) / np.maximum(high, 1e-6), 0.0)
            foreground = ((luma(small) >= BRIGHT) | ((vivid >= 0.4) & (high >= 96))).astype(
                np.float32
            )
            mask = cv2.resize(
                foreground, (source.width, source.height), interpolation=interpolation
            )
            alpha = _cuda.alpha_float(view, fmt)
            if fmt.alpha and keep_alpha:
                alpha = mask * 255.0
            return rgb * mask[..., None], alpha

        rgb, alpha = self._timed(infer)
        _cuda.store_rgb(target._view(), fmt, rgb, alpha)

    @staticmethod
    def Usage() -> str:
        return (
            "backgroundNet arguments:\n  --network=NETWORK  --model=MODEL\n"
            "  --input-blob=INPUT  --output-blob=OUTPUT  --profile\n"
        )
