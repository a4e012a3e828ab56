"""Fake imageNet (binding: PyImageNet.cpp) and actionNet (PyActionNet.cpp).

Results come from the image's mean colour (see README.md): the class is
(R // 32 * 64 + G // 32 * 8 + B // 32) % GetNumClasses() of the mean R, G, B (0-255); its
confidence grows with the image's contrast (imageNet) or with the motion since the previous
frame (actionNet)."""

from __future__ import annotations

from typing import Any

import numpy as np
from jetson_utils import _binding, _cuda

from ._base import (
    INFERENCE,
    NULL,
    LabelledClasses,
    Loaded,
    NamedNetwork,
    Threshold,
    construct,
    image_argument,
    load,
    mean_color_class,
    method,
    step_for,
)

Array = Any


def scores(count: int, primary: int, confidence: float) -> Array:
    """A class-score vector: `confidence` on the primary class, the rest of the probability on
    the next two classes (0.6 and 0.3 of it), zero elsewhere."""
    vector = np.zeros(count, np.float32)
    vector[primary] = confidence
    rest = 1.0 - confidence
    if count > 1:
        vector[(primary + 1) % count] += rest * 0.6
    if count > 2:
        vector[(primary + 2) % count] += rest * 0.3
    return vector


class imageNet(NamedNetwork, Threshold):
    """Image recognition: classifies an image."""

    def __init__(
        self,
        network: Any = "googlenet",
        argv: Any = NULL,
        model: Any = NULL,
        labels: Any = NULL,
        input_blob: Any = "data",
        output_blob: Any = "prob",
    ) -> None:
        name = _binding.arg_str(network, "network")
        model_path = _binding.arg_opt_str(model, "model")
        labels_path = _binding.arg_opt_str(labels, "labels")
        blobs = {
            "input": _binding.arg_str(input_blob, "input_blob"),
            "output": _binding.arg_str(output_blob, "output_blob"),
        }
        self._threshold = _binding.f32(0.01)
        self._smoothing = 0.0
        self._smoothed: Array | None = None

        def from_args() -> Loaded | None:
            return load("imageNet", model_path or name, labels_path, blobs)

        def from_argv(cmd: _binding.CommandLine) -> Loaded | None:
            chosen = cmd.get_string("network") or cmd.get_string("model", "googlenet") or ""
            return load("imageNet", chosen, cmd.get_string("labels"))

        cmd = construct(self, "imageNet", argv, from_argv, from_args)
        if cmd is not None:
            self._threshold = cmd.get_float("threshold", self._threshold)
            self._smoothing = cmd.get_float("smoothing", self._smoothing)

    def _outputs(self, raw: Array) -> Array:
        """applySmoothing(): a running average of the scores when smoothing is on."""
        factor = 1.0 / self._smoothing if self._smoothing > 1 else self._smoothing
        if factor <= 0 or factor >= 1:
            return raw
        if self._smoothed is None or self._smoothed.shape != raw.shape:
            self._smoothed = raw.copy()
        else:
            self._smoothed += np.float32(factor) * (raw - self._smoothed)
        return self._smoothed

    @method()
    def Classify(
        self, image: Any, width: Any = 0, height: Any = 0, format: Any = "rgba32f", topK: Any = -1
    ) -> Any:
        """(class, confidence), class -1 when no class reaches the threshold; with topK >= 0 a
        list of (class, confidence) by confidence (topK 0: every class over the threshold)."""
        net = self._net()
        ref = image_argument(image, width, height, format)
        top = _binding.arg_int(topK, "topK")
        if not _binding.is_rgb(ref.format) or ref.width == 0 or ref.height == 0:
            raise Exception(
                f"{INFERENCE}imageNet.Classify() encountered an error classifying the image"
            )
        count = len(net.labels)

        def infer() -> Array:
            rgb = _cuda.rgb_float(ref.view, ref.format, step_for(ref.width))
            contrast = float(rgb.reshape(-1, 3).std(axis=0).mean())
            confidence = 0.5 + 0.45 * min(contrast / 64.0, 1.0)
            return scores(count, mean_color_class(rgb, count), confidence)

        outputs = self._outputs(self._timed(infer))
        if top < 0:
            best, best_score = -1, 0.0
            for index in range(count):
                value = float(outputs[index])
                if value >= self._threshold and value > best_score:
                    best, best_score = index, value
            return (best, _binding.f32(best_score))
        found = [(i, float(v)) for i, v in enumerate(outputs) if v >= self._threshold]
        found.sort(key=lambda pair: -pair[1])
        return [(i, _binding.f32(v)) for i, v in (found[:top] if top > 0 else found)]

    @method()
    def GetNumClasses(self) -> int:
        return len(self._net().labels)

    def _describe(self, index: Any, values: list[str]) -> str:
        value = _binding.arg_int(index, "index")
        if value >= len(values):
            raise Exception(f"{INFERENCE}imageNet requested class index is out of bounds")
        return values[value] if value >= 0 else "none"

    @method(f"{INFERENCE}imageNet failed to parse arguments")
    def GetClassLabel(self, index: Any, /) -> str:
        return self._describe(index, self._net().labels)

    @method(f"{INFERENCE}imageNet failed to parse arguments")
    def GetClassDesc(self, index: Any, /) -> str:
        """The class's description; "none" for a negative index (as the binding does)."""
        return self._describe(index, self._net().labels)

    @method(f"{INFERENCE}imageNet failed to parse arguments")
    def GetClassSynset(self, index: Any, /) -> str:
        return self._describe(index, self._net().synsets)

    @method()
    def GetSmoothing(self) -> float:
        self._net()
        return self._smoothing

    @method()
    def SetSmoothing(self, factor: Any, /) -> None:
        """A weight in (0, 1) on the newest scores, or a window of N > 1 frames (weight 1/N);
        0 or 1 turns smoothing off."""
        self._net()
        self._smoothing = _binding.arg_float(factor, "factor")

    @staticmethod
    def Usage() -> str:
        return (
            "imageNet arguments:\n  --network=NETWORK  --model=MODEL  --prototxt=PROTOTXT\n"
            "  --labels=LABELS  --input-blob=INPUT  --output-blob=OUTPUT\n"
            "  --threshold=CONF  --smoothing=WEIGHT  --profile\n"
        )


class actionNet(NamedNetwork, LabelledClasses, Threshold):
    """Action recognition: classifies a sequence of frames (one at a time)."""

    def __init__(
        self,
        network: Any = "resnet-18",
        argv: Any = NULL,
        model: Any = NULL,
        labels: Any = NULL,
        input_blob: Any = "input",
        output_blob: Any = "output",
    ) -> None:
        name = _binding.arg_str(network, "network")
        model_path = _binding.arg_opt_str(model, "model")
        labels_path = _binding.arg_opt_str(labels, "labels")
        blobs = {
            "input": _binding.arg_str(input_blob, "input_blob"),
            "output": _binding.arg_str(output_blob, "output_blob"),
        }
        self._threshold = _binding.f32(0.01)
        self._skip_frames = 1
        self._frames_skipped = 10000  # so that the first frame is classified
        self._last = (0, 0.0)
        self._previous: Array | None = None

        def from_args() -> Loaded | None:
            return load("actionNet", model_path or name, labels_path, blobs)

        def from_argv(cmd: _binding.CommandLine) -> Loaded | None:
            chosen = cmd.get_string("network") or cmd.get_string("model", "resnet-18") or ""
            return load("actionNet", chosen, cmd.get_string("labels"))

        cmd = construct(self, "actionNet", argv, from_argv, from_args)
        if cmd is not None:
            self._threshold = cmd.get_float("threshold", self._threshold)
            self._skip_frames = cmd.get_unsigned("skip_frames", self._skip_frames)

    @method()
    def Classify(
        self, image: Any, width: Any = 0, height: Any = 0, format: Any = "rgba32f"
    ) -> tuple[int, float]:
        """(class, confidence) of the action in the frames so far; between classified frames
        (GetSkipFrames()), the last result again. A frame not in rgb8/rgba8/rgb32f/rgba32f
        gives (0, 0.0), as the binding does."""
        net = self._net()
        ref = image_argument(image, width, height, format)
        if ref.width == 0 or ref.height == 0:
            raise Exception(
                f"{INFERENCE}actionNet.Classify() encountered an error classifying the image"
            )
        if not _binding.is_rgb(ref.format):
            return (0, 0.0)
        if self._frames_skipped < self._skip_frames:
            self._frames_skipped += 1
            return self._last
        self._frames_skipped = 0
        count = len(net.labels)

        def infer() -> tuple[int, float]:
            rgb = _cuda.rgb_float(ref.view, ref.format, step_for(ref.width))
            previous, self._previous = self._previous, rgb
            motion = 0.0
            if previous is not None and previous.shape == rgb.shape:
                motion = float(np.abs(rgb - previous).mean())
            confidence = _binding.f32(0.3 + 0.65 * min(motion / 32.0, 1.0))
            if confidence < self._threshold or count == 0:
                return (-1, 0.0)
            return (mean_color_class(rgb, count), confidence)

        self._last = self._timed(infer)
        return self._last

    @method()
    def GetSkipFrames(self) -> int:
        self._net()
        return self._skip_frames

    @method()
    def SetSkipFrames(self, skipFrames: Any, /) -> None:
        """Frames skipped between classifications (default 1: every other frame); a negative
        number wraps around to a uint32, as in C."""
        self._net()
        self._skip_frames = _binding.u32(_binding.arg_int(skipFrames, "skipFrames"))

    @staticmethod
    def Usage() -> str:
        return (
            "actionNet arguments:\n  --network=NETWORK  --model=MODEL  --labels=LABELS\n"
            "  --input-blob=INPUT  --output-blob=OUTPUT  --threshold=CONF\n"
            "  --skip-frames=SKIP  --profile\n"
        )
