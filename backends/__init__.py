"""Runtimes that run networks, one module each; `build()` makes the one an entry names.

Each module is imported only when a network needs it, so a machine without a runtime can
still run the networks of the others.
"""
from __future__ import annotations

import importlib
from typing import Any

from catalogue import CatalogueEntry

# backend name -> (module, class made from the catalogue entry)
FACTORIES = {
    "onnx-nanodet": ("backends.onnx", "NanoDetDetector"),
    "onnx-yolo": ("backends.onnx", "YoloDetector"),
    "onnx-ssd": ("backends.onnx", "SsdDetector"),
    "onnx-classifier": ("backends.onnx", "OnnxClassifier"),
    "mediapipe-classifier": ("backends.mediapipe_tasks", "TaskClassifier"),
    "opencv-hog": ("backends.opencv_hog", "HogPeopleDetector"),
    "mediapipe-segmenter": ("backends.mediapipe_tasks", "TaskSegmenter"),
    "mediapipe-pose": ("backends.mediapipe_solutions", "BodyPose"),
    "mediapipe-hands": ("backends.mediapipe_solutions", "HandPose"),
    "mediapipe-selfie": ("backends.mediapipe_solutions", "SelfieSegmentation"),
    "onnx-u2net": ("backends.onnx", "U2NetMatting"),
}


def build(entry: CatalogueEntry) -> Any:
    """The loaded backend object (a Classifier, a Detector...) for a catalogue entry."""
    module_name, factory = FACTORIES[entry.backend]
    return getattr(importlib.import_module(module_name), factory)(entry)
