"""onnxruntime: the shipped NanoDet detector and users' own ONNX classifiers and detectors.

Users' own files follow the conventions of the models people train for jetson-inference:
- classifier: ImageNet preprocessing (RGB, /255, mean/std), one [1,C] output of logits or
  probabilities (pytorch-classification's resnet-18 exports, torchvision models...);
- ssd: pytorch-ssd's export (RGB, (x - 127) / 128), `scores` [1,N,C] with background in column
  0 and `boxes` [1,N,4] normalised (x1, y1, x2, y2);
- yolo: RGB, /255, one YOLOv5 [1,N,5+C] or YOLOv8 [1,4+C,N] output.

onnxruntime is imported when a network is made (see backends/registry.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from backends.onnx_detection import (
    SAME_OBJECT_IOU,
    decode_nanodet,
    decode_ssd,
    decode_yolo,
    nanodet_blob,
    nms,
    to_detections,
)
from backends.registry import Backend, register_backend
from catalogue import CatalogueEntry, ModelError, read_labels
from results import Detection

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


class OnnxNetwork:
    """A CPU inference session, its input name and size (from the file, or the entry)."""

    def __init__(self, entry: CatalogueEntry, default_size: tuple[int, int]) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        # Idle worker threads sleep instead of spin-waiting: with several networks sharing
        # two cores, spinning burns the CPU the others need (bench/models.py: about +1.5 fps
        # with all six networks).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            str(entry.file("model")), sess_options=options, providers=["CPUExecutionProvider"]
        )
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        shape = model_input.shape
        if len(shape) != 4:
            raise ModelError(f"{entry.name}: expected an NCHW image input, got shape {shape}")
        from_file = (shape[3], shape[2]) if all(isinstance(d, int) for d in shape[2:]) else None
        configured = (
            (entry.input["width"], entry.input["height"]) if "width" in entry.input else None
        )
        self.size: tuple[int, int] = from_file or configured or default_size

    def run(self, blob: np.ndarray) -> list[np.ndarray]:
        return self.session.run(None, {self.input_name: blob})

    def rgb_blob(
        self, image: np.ndarray, mean: np.ndarray | float, std: np.ndarray | float
    ) -> np.ndarray:
        """Resize to the input size, BGR to RGB, (x - mean) / std, NCHW float32."""
        rgb = cv2.cvtColor(
            cv2.resize(image, self.size, interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB
        ).astype(np.float32)
        return ((rgb - mean) / std).transpose(2, 0, 1)[None]


def _frame_detections(
    decoded: tuple[np.ndarray, np.ndarray, np.ndarray],
    labels: Sequence[str],
    image: np.ndarray,
    scale: tuple[float, float],
    confidence: float,
    nms_threshold: float,
    same_object_iou: float | None = SAME_OBJECT_IOU,
) -> list[Detection]:
    boxes, scores, class_ids = decoded
    keep = nms(boxes, scores, class_ids, nms_threshold, confidence, same_object_iou)
    height, width = image.shape[:2]
    return to_detections(
        boxes[keep], scores[keep], class_ids[keep], labels, scale[0], scale[1], width, height
    )


@register_backend
class NanoDetDetector(Backend):
    """NanoDet (COCO-80): BGR input normalised by its own mean and std, GFL/DFL head; the
    frame's shape kept (nanodet_blob), one label per object (nms)."""

    name = "onnx-nanodet"
    requires = ("onnxruntime",)

    def __init__(self, entry: CatalogueEntry) -> None:
        self._network = OnnxNetwork(entry, (416, 416))
        self.labels = read_labels(entry.file("labels"))
        # as before, for bench/detections.py: keep_ratio False, same_object_iou None
        self.keep_ratio = True
        self.same_object_iou: float | None = SAME_OBJECT_IOU

    def detect(
        self, image: np.ndarray, confidence_threshold: float, nms_threshold: float
    ) -> list[Detection]:
        size = self._network.size[0]
        blob, scale_x, scale_y = nanodet_blob(image, size, self.keep_ratio)
        decoded = decode_nanodet(
            self._network.run(blob), size, score_threshold=confidence_threshold
        )
        return _frame_detections(
            decoded,
            self.labels,
            image,
            (scale_x, scale_y),
            confidence_threshold,
            nms_threshold,
            self.same_object_iou,
        )


@register_backend
class SsdDetector(Backend):
    """A pytorch-ssd style ONNX detector (see the module docstring)."""

    name = "onnx-ssd"
    requires = ("onnxruntime",)

    def __init__(self, entry: CatalogueEntry) -> None:
        self._network = OnnxNetwork(entry, (300, 300))
        self.labels = read_labels(entry.file("labels"))
        self._output_names = [o.name for o in self._network.session.get_outputs()]

    def detect(
        self, image: np.ndarray, confidence_threshold: float, nms_threshold: float
    ) -> list[Detection]:
        outputs = self._network.run(self._network.rgb_blob(image, 127.0, 128.0))
        boxes, scores = self._boxes_and_scores(outputs)
        height, width = image.shape[:2]
        decoded = decode_ssd(boxes, scores, width, height, score_threshold=confidence_threshold)
        labels = (
            self.labels[1:]
            if self.labels and self.labels[0].upper() in ("BACKGROUND", "__BACKGROUND__")
            else self.labels
        )
        return _frame_detections(
            decoded, labels, image, (1.0, 1.0), confidence_threshold, nms_threshold
        )

    def _boxes_and_scores(self, outputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The outputs named 'boxes' and 'scores'; failing names, the one output whose last
        dimension is 4 holds the boxes."""
        named = dict(zip(self._output_names, outputs))
        if "boxes" in named and "scores" in named:
            return named["boxes"], named["scores"]
        four = [i for i, output in enumerate(outputs) if output.shape[-1] == 4]
        if len(outputs) != 2 or len(four) != 1:
            raise ValueError(
                f"cannot tell boxes from scores among outputs {self._output_names}"
                ": name them 'boxes' and 'scores'"
            )
        return outputs[four[0]], outputs[1 - four[0]]


@register_backend
class YoloDetector(Backend):
    """A YOLOv5/v8 style ONNX detector (see the module docstring)."""

    name = "onnx-yolo"
    requires = ("onnxruntime",)

    def __init__(self, entry: CatalogueEntry) -> None:
        self._network = OnnxNetwork(entry, (640, 640))
        self.labels = read_labels(entry.file("labels"))

    def detect(
        self, image: np.ndarray, confidence_threshold: float, nms_threshold: float
    ) -> list[Detection]:
        output = self._network.run(self._network.rgb_blob(image, 0.0, 255.0))[0]
        decoded = decode_yolo(output, score_threshold=confidence_threshold)
        width, height = self._network.size
        scale = (image.shape[1] / width, image.shape[0] / height)
        return _frame_detections(
            decoded, self.labels, image, scale, confidence_threshold, nms_threshold
        )


@register_backend
class OnnxClassifier(Backend):
    """An ImageNet-style ONNX classifier: probabilities per label."""

    name = "onnx-classifier"
    requires = ("onnxruntime",)

    def __init__(self, entry: CatalogueEntry) -> None:
        self._network = OnnxNetwork(entry, (224, 224))
        self.labels = read_labels(entry.file("labels"))

    def classify(self, image: np.ndarray) -> np.ndarray:
        blob = self._network.rgb_blob(image, IMAGENET_MEAN * 255, IMAGENET_STD * 255)
        scores = self._network.run(blob)[0].reshape(-1).astype(np.float32)
        if scores.min() < 0 or abs(float(scores.sum()) - 1.0) > 1e-2:  # logits: softmax them
            exp = np.exp(scores - scores.max())
            scores = exp / exp.sum()
        return scores


@register_backend
class U2NetMatting(Backend):
    """U^2-Net-p salient-object matting: its fused saliency map, min-max normalised to 0-1."""

    name = "onnx-u2net"
    requires = ("onnxruntime",)

    def __init__(self, entry: CatalogueEntry) -> None:
        self._network = OnnxNetwork(entry, (320, 320))
        self._mean = np.array(entry.input.get("mean", IMAGENET_MEAN), np.float32) * 255
        self._std = np.array(entry.input.get("std", IMAGENET_STD), np.float32) * 255

    def mask(self, image_bgr: np.ndarray) -> np.ndarray:
        """float32 0-1 foreground weight, HxW of the frame."""
        blob = self._network.rgb_blob(image_bgr, self._mean, self._std)
        saliency = self._network.run(blob)[0][0, 0].astype(np.float32)  # the fused map
        low, high = float(saliency.min()), float(saliency.max())
        saliency = (saliency - low) / max(high - low, 1e-6)
        height, width = image_bgr.shape[:2]
        return cv2.resize(saliency, (width, height), interpolation=cv2.INTER_LINEAR)
