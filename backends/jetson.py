"""jetson-inference's networks, run by jetson-inference itself on a Jetson (TensorRT).

One registered backend, "jetson", covers the six network types: `JetsonBackend.create(entry)`
loads the entry's network by its jetson-inference name (imageNet, detectNet, segNet, poseNet,
actionNet or backgroundNet) and returns the object the type's Model expects (the Protocols
of networks/*.py). jetson_inference and jetson_utils are imported in the constructors, never
at the top of this module, so that it imports on a PC, where the entries run their stand-ins.

Live settings: each object's `configure(settings)` (model.configure) maps the type's settings
onto the network's own setters (SetThreshold, SetClusteringThreshold, SetTrackingEnabled...),
at the frame boundary before the network runs, and calls a setter only when its value has
changed since it was last applied. Where the network itself does what the Model would,
the object says so: imageNet smooths its scores (`smooths`), detectNet tracks (`tracks`).

Images: a frame jetson-utils captured is a bgr8 cudaImage in mapped memory (sources.py
JetsonSource); each network converts it on the GPU to the RGB format it takes, with no copy
through the CPU. A numpy frame (a source of OpenCV's, such as the test pattern) is copied to
CUDA memory first (cudaFromNumpy), once per network.

Verified against the faithful fakes of tests/fake_jetson (tests/test_jetson_backend.py), not
on a Jetson; see the README, "jetson-inference's networks and their stand-ins".
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from backends.registry import Backend, register_backend
from results import Detection, class_label

if TYPE_CHECKING:
    from catalogue import CatalogueEntry

TOP_K = 5  # classes asked of imageNet.Classify, as many as the results report
# imageNet's smoothing factor is the weight of the new frame; it smooths only in (0, 1), so a
# weight of past frames of 1 (scores frozen) is given as this nearly-frozen factor.
SMALLEST_SMOOTHING = 1e-6
_UNSET = object()


def _modules() -> tuple[Any, Any]:
    """jetson_inference and jetson_utils, imported when a network is loaded."""
    return importlib.import_module("jetson_inference"), importlib.import_module("jetson_utils")


class _JetsonNetwork:
    """What the six have in common: the loaded network, the frame's upload into CUDA memory,
    and setters called only when their value changes."""

    takes_cuda = True  # process() may be given the captured cudaImage itself (images.py)

    def __init__(self, net: Any, cuda: Any) -> None:
        self.net = net
        self._cuda = cuda  # jetson_utils
        self._applied: dict[str, Any] = {}
        self._buffers: dict[tuple[str, int, int], Any] = {}

    def _apply(self, key: str, value: Hashable, setter: Callable[[], object]) -> None:
        """Call `setter` if `value` differs from the last value applied under `key`."""
        if self._applied.get(key, _UNSET) != value:
            setter()
            self._applied[key] = value

    def _buffer(self, role: str, width: int, height: int, format: str) -> Any:  # noqa: A002
        """A mapped cudaImage kept for reuse, per role and size."""
        key = (role, width, height)
        image = self._buffers.get(key)
        if image is None:
            image = self._cuda.cudaAllocMapped(width=width, height=height, format=format)
            self._buffers = {k: v for k, v in self._buffers.items() if k[0] != role}
            self._buffers[key] = image
        return image

    def _upload(self, image: Any, format: str = "rgb8") -> Any:  # noqa: A002
        """The frame as a cudaImage in `format`, converted on the GPU. A frame captured by
        jetson-utils is a bgr8 cudaImage already; a numpy frame (from a source of OpenCV's, such
        as the test pattern) is first copied to CUDA memory, once per network."""
        height, width = image.shape[:2]
        if isinstance(image, np.ndarray):
            image = self._cuda.cudaFromNumpy(np.ascontiguousarray(image), isBGR=True)
        converted = self._buffer("input", width, height, format)
        self._cuda.cudaConvertColor(image, converted)
        return converted

    def _labels(self, count: int) -> list[str]:
        return [str(self.net.GetClassDesc(index)) for index in range(count)]


class JetsonClassifier(_JetsonNetwork):
    """imageNet: a Classifier (networks/classification.py)."""

    smooths = True
    per_camera = True  # its smoothing follows one camera

    def __init__(self, entry: CatalogueEntry) -> None:
        inference, cuda = _modules()
        super().__init__(inference.imageNet(network=entry.name), cuda)
        self.count = int(self.net.GetNumClasses())
        self.labels = self._labels(self.count)

    def configure(self, settings: Any) -> None:
        threshold = float(settings.confidence_threshold)
        self._apply("threshold", threshold, lambda: self.net.SetThreshold(threshold))
        past = float(settings.output_smoothing)  # our weight of past frames
        factor = 0.0 if past <= 0 else max(1.0 - past, SMALLEST_SMOOTHING)
        self._apply("smoothing", factor, lambda: self.net.SetSmoothing(factor))

    def classify(self, image: np.ndarray) -> np.ndarray:
        """A score per class: the top classes' confidences, 0 for the rest. Classify with a
        topK gives a list of (class, confidence) over the threshold, best first."""
        top = self.net.Classify(self._upload(image), topK=TOP_K)
        if isinstance(top, tuple):  # (class, confidence): what topK < 0 gives
            top = [top] if top[0] >= 0 else []
        scores = np.zeros(self.count, np.float32)
        for class_id, confidence in top:
            if 0 <= class_id < self.count:
                scores[class_id] = confidence
        return scores


class JetsonDetector(_JetsonNetwork):
    """detectNet: a Detector (networks/detection.py), with detectNet's own IOU tracker."""

    tracks = True
    per_camera = True  # its tracker follows one camera

    def __init__(self, entry: CatalogueEntry) -> None:
        inference, cuda = _modules()
        super().__init__(inference.detectNet(network=entry.name), cuda)
        self.labels = self._labels(int(self.net.GetNumClasses()))
        self._tracking = False

    def configure(self, settings: Any) -> None:
        self._thresholds(settings.confidence_threshold, settings.clustering_threshold)
        alpha = float(settings.overlay_alpha)
        self._apply("alpha", alpha, lambda: self.net.SetOverlayAlpha(alpha))
        tracking = (
            bool(settings.tracking_enabled),
            int(settings.tracking_min_frames),
            int(settings.tracking_drop_frames),
            float(settings.tracking_overlap_threshold),
        )
        self._apply("tracking", tracking, lambda: self._set_tracking(*tracking))

    def _thresholds(self, confidence: float, clustering: float) -> None:
        confidence, clustering = float(confidence), float(clustering)
        self._apply("threshold", confidence, lambda: self.net.SetThreshold(confidence))
        self._apply("clustering", clustering, lambda: self.net.SetClusteringThreshold(clustering))

    def _set_tracking(self, enabled: bool, min_frames: int, drop: int, overlap: float) -> None:
        """Enabling makes detectNet's IOU tracker if it has none; the parameters are set once
        it exists (without a tracker SetTrackingParams does nothing)."""
        self.net.SetTrackingEnabled(enabled)
        if enabled:
            self.net.SetTrackingParams(
                minFrames=min_frames, dropFrames=drop, overlapThreshold=overlap
            )
        self._tracking = enabled

    def detect(
        self, image: np.ndarray, confidence_threshold: float, nms_threshold: float
    ) -> list[Detection]:
        self._thresholds(confidence_threshold, nms_threshold)  # no call if configure() did
        found = self.net.Detect(self._upload(image), overlay="none")
        detections = []
        for item in found:
            class_id = int(item.ClassID)
            track_id = None
            if self._tracking and item.TrackStatus >= 0 and item.TrackID >= 0:
                track_id = int(item.TrackID)
            detections.append(
                Detection(
                    class_id=class_id,
                    label=class_label(self.labels, class_id),
                    confidence=min(1.0, max(0.0, float(item.Confidence))),
                    box=(float(item.Left), float(item.Top), float(item.Right), float(item.Bottom)),
                    track_id=track_id,
                )
            )
        return detections


class JetsonSegmenter(_JetsonNetwork):
    """segNet: a Segmenter (networks/segmentation.py)."""

    def __init__(self, entry: CatalogueEntry) -> None:
        inference, cuda = _modules()
        super().__init__(inference.segNet(network=entry.name), cuda)
        self.labels = self._labels(int(self.net.GetNumClasses()))

    def configure(self, settings: Any) -> None:
        """overlay_alpha: segNet's, for its own Overlay (the dashboard draws its own tint)."""
        alpha = float(settings.overlay_alpha)
        self._apply("alpha", alpha, lambda: self.net.SetOverlayAlpha(alpha))

    def segment(self, image: np.ndarray) -> np.ndarray:
        """The class map at the frame's size: Mask into a gray8 image writes class numbers;
        'point' filtering keeps them whole numbers."""
        height, width = image.shape[:2]
        self.net.Process(self._upload(image))
        mask = self._buffer("mask", width, height, "gray8")
        self.net.Mask(mask, filter_mode="point")
        self._cuda.cudaDeviceSynchronize()  # the kernel has written the mapped memory
        return np.array(self._cuda.cudaToNumpy(mask)[..., 0], np.uint8)  # a copy: reused


class JetsonPose(_JetsonNetwork):
    """poseNet: a PoseEstimator (networks/pose.py). The binding gives keypoints without a
    confidence (only ID, x, y): a keypoint found has confidence 1, one not found 0.
    poseNet's threshold (confidence_threshold) decides which are found."""

    def __init__(self, entry: CatalogueEntry) -> None:
        inference, cuda = _modules()
        super().__init__(inference.poseNet(network=entry.name), cuda)
        count = int(self.net.GetNumKeypoints())
        self.keypoint_names = [str(self.net.GetKeypointName(index)) for index in range(count)]
        # The binding has no skeleton table: each pose's Links pair indices into its own
        # Keypoints. The union of the links seen, as keypoint ids, stands for the skeleton.
        self.links: list[tuple[int, int]] = []

    def configure(self, settings: Any) -> None:
        threshold = float(settings.confidence_threshold)
        self._apply("threshold", threshold, lambda: self.net.SetThreshold(threshold))

    def estimate(self, image: np.ndarray) -> list[list[tuple[float, float, float]]]:
        people = []
        links = set(self.links)
        for pose in self.net.Process(self._upload(image), overlay="none"):
            points = [(0.0, 0.0, 0.0)] * len(self.keypoint_names)
            keypoints = list(pose.Keypoints)
            for keypoint in keypoints:
                if 0 <= keypoint.ID < len(points):
                    points[keypoint.ID] = (float(keypoint.x), float(keypoint.y), 1.0)
            for a, b in pose.Links:
                if 0 <= a < len(keypoints) and 0 <= b < len(keypoints):
                    ids = sorted((int(keypoints[a].ID), int(keypoints[b].ID)))
                    links.add((ids[0], ids[1]))
            people.append(points)
        if len(links) != len(self.links):
            self.links = sorted(links)
        return people


class JetsonAction(_JetsonNetwork):
    """actionNet: a ClipClassifier (networks/action.py, ClipActionModel)."""

    per_camera = True  # its clip is one camera's frames

    def __init__(self, entry: CatalogueEntry) -> None:
        inference, cuda = _modules()
        super().__init__(inference.actionNet(network=entry.name), cuda)
        self.labels = self._labels(int(self.net.GetNumClasses()))

    def configure(self, settings: Any) -> None:
        threshold = float(settings.confidence_threshold)
        self._apply("threshold", threshold, lambda: self.net.SetThreshold(threshold))
        skip = int(settings.skip_frames)
        self._apply("skip", skip, lambda: self.net.SetSkipFrames(skip))

    def classify(self, image: np.ndarray) -> tuple[int, float]:
        class_id, confidence = self.net.Classify(self._upload(image))
        return int(class_id), float(confidence)


class JetsonMatting(_JetsonNetwork):
    """backgroundNet: a Matting (networks/background.py). Process into an rgba8 output (with
    mask_alpha, its default) writes the foreground mask into the output's alpha channel; the
    dashboard composites with it (its own modes), not with backgroundNet's output."""

    def __init__(self, entry: CatalogueEntry) -> None:
        inference, cuda = _modules()
        super().__init__(inference.backgroundNet(network=entry.name), cuda)

    def mask(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        rgba = self._upload(image, "rgba8")  # input and output must have one format
        output = self._buffer("output", width, height, "rgba8")
        # mask_alpha is left at its default (true): the binding's format string ("O|Ossi")
        # has one unit more than its keyword list, so passing a fourth argument fails there.
        self.net.Process(rgba, output, filter="linear")
        self._cuda.cudaDeviceSynchronize()
        alpha = self._cuda.cudaToNumpy(output)[..., 3]
        return alpha.astype(np.float32) * np.float32(1 / 255)


# network type -> the object that runs jetson-inference's network of that type
CLASSES: dict[str, Callable[[CatalogueEntry], _JetsonNetwork]] = {
    "classification": JetsonClassifier,
    "detection": JetsonDetector,
    "segmentation": JetsonSegmenter,
    "pose": JetsonPose,
    "action": JetsonAction,
    "background": JetsonMatting,
}


@register_backend
class JetsonBackend(Backend):
    """jetson-inference, for every network type: create() returns the type's object."""

    name = "jetson"
    requires: ClassVar[tuple[str, ...]] = ("jetson_inference", "jetson_utils")

    @classmethod
    def create(cls, entry: CatalogueEntry) -> Any:
        return CLASSES[entry.type](entry)
