"""Fake detectNet and detectNet.Detection (binding: PyDetectNet.cpp; behaviour from
detectNet.cpp, detectNet.h and objectTrackerIOU.cpp of jetson-inference).

The fake detects the bright regions of an image (luma >= 160, see README.md): one detection a
region, its box the region's, Confidence its mean luma / 255, ClassID from its mean colour
(grey or white: 'person' when the network has that class). Then, as detectNet does: boxes of one
class that overlap more than the clustering threshold are merged, detections are sorted by area,
clipped to the image, tracked (when tracking is on) and drawn (overlay flags)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jetson_utils import _binding, _cuda, _font

from ._base import (
    INFERENCE,
    NULL,
    LabelledClasses,
    Loaded,
    Threshold,
    bright_regions,
    class_index,
    colour_class,
    construct,
    image_argument,
    load,
    method,
    palette,
    step_for,
)

f32 = _binding.f32

OVERLAY_BOX, OVERLAY_LABEL, OVERLAY_CONFIDENCE, OVERLAY_TRACKING, OVERLAY_LINES = 1, 2, 4, 8, 16
OVERLAY_DEFAULT = OVERLAY_BOX | OVERLAY_LABEL | OVERLAY_CONFIDENCE


def overlay_flags(text: str) -> int:
    """detectNet::OverlayFlagsFromStr(): box, label(s), conf(idence), track(ing), line(s),
    default, none, separated by ',' or '|'; an empty string is the default."""
    if not text or len(text) >= 256:
        return OVERLAY_DEFAULT
    tokens = [t for t in text.replace("|", ",").split(",") if t]
    if not tokens:
        return OVERLAY_DEFAULT
    names = {
        "box": OVERLAY_BOX,
        "label": OVERLAY_LABEL,
        "labels": OVERLAY_LABEL,
        "conf": OVERLAY_CONFIDENCE,
        "confidence": OVERLAY_CONFIDENCE,
        "track": OVERLAY_TRACKING,
        "tracking": OVERLAY_TRACKING,
        "line": OVERLAY_LINES,
        "lines": OVERLAY_LINES,
        "default": OVERLAY_DEFAULT,
    }
    flags = 0
    for token in tokens:
        flags |= names.get(token.lower(), 0)
    return flags


@dataclass
class _Box:
    """detectNet::Detection, the C++ struct (floats are C floats)."""

    ClassID: int = 0
    Confidence: float = 0.0
    TrackID: int = -1
    TrackStatus: int = -1
    TrackFrames: int = 0
    TrackLost: int = 0
    Left: float = 0.0
    Top: float = 0.0
    Right: float = 0.0
    Bottom: float = 0.0

    def width(self) -> float:
        return f32(self.Right - self.Left)

    def height(self) -> float:
        return f32(self.Bottom - self.Top)

    def area(self) -> float:
        return f32(self.width() * self.height())

    def overlaps(self, other: _Box) -> bool:
        return not (
            other.Left > self.Right
            or other.Right < self.Left
            or other.Top > self.Bottom
            or other.Bottom < self.Top
        )

    def intersection(self, other: _Box) -> float:
        if not self.overlaps(other):
            return 0.0
        return (min(self.Right, other.Right) - max(self.Left, other.Left)) * (
            min(self.Bottom, other.Bottom) - max(self.Top, other.Top)
        )

    def intersects(self, other: _Box, threshold: float) -> bool:
        largest = max(self.area(), other.area())
        return largest > 0 and self.intersection(other) / largest > threshold

    def iou(self, other: _Box) -> float:
        overlap = self.intersection(other)
        union = self.area() + other.area() - overlap
        return overlap / union if union > 0 else 0.0

    def expand(self, other: _Box) -> None:
        if self.overlaps(other):
            self.Left, self.Top = min(self.Left, other.Left), min(self.Top, other.Top)
            self.Right, self.Bottom = max(self.Right, other.Right), max(self.Bottom, other.Bottom)

    def copy(self) -> _Box:
        return _Box(**self.__dict__)


def _int_attribute(name: str, floor: int | None = None, doc: str = "") -> property:
    def get(self: Detection) -> int:
        return int(getattr(self._box, name))

    def set_(self: Detection, value: Any) -> None:
        number = _binding.arg_int(value, name)
        setattr(self._box, name, max(number, floor) if floor is not None else number)

    def delete(self: Detection) -> None:
        raise TypeError(f"{INFERENCE}Not permitted to delete detectNet.Detection.{name} attribute")

    return property(get, set_, delete, doc)


def _float_attribute(name: str, doc: str = "") -> property:
    def get(self: Detection) -> float:
        return float(getattr(self._box, name))

    def set_(self: Detection, value: Any) -> None:
        setattr(self._box, name, _binding.arg_float(value, name))

    def delete(self: Detection) -> None:
        raise TypeError(f"{INFERENCE}Not permitted to delete detectNet.Detection.{name} attribute")

    return property(get, set_, delete, doc)


class Detection:
    """One detected object (detectNet.Detection)."""

    def __init__(
        self,
        classID: Any = 0,
        confidence: Any = 0.0,
        left: Any = 0.0,
        top: Any = 0.0,
        right: Any = 0.0,
        bottom: Any = 0.0,
    ) -> None:
        self._box = _Box(
            ClassID=max(_binding.arg_int(classID, "classID"), 0),
            Confidence=_binding.arg_float(confidence, "confidence"),
            Left=_binding.arg_float(left, "left"),
            Top=_binding.arg_float(top, "top"),
            Right=_binding.arg_float(right, "right"),
            Bottom=_binding.arg_float(bottom, "bottom"),
        )

    @classmethod
    def _of(cls, box: _Box) -> Detection:
        detection = cls.__new__(cls)
        detection._box = box.copy()
        return detection

    ClassID = _int_attribute("ClassID", 0, "Class index of the detected object")
    TrackID = _int_attribute("TrackID", None, "Unique tracking ID (-1 if untracked)")
    TrackStatus = _int_attribute("TrackStatus", None, "-1 dropped, 0 initializing, 1 active")
    TrackFrames = _int_attribute("TrackFrames", None, "Frames the object has been tracked for")
    TrackLost = _int_attribute("TrackLost", None, "Consecutive frames tracking has been lost")
    Instance = _int_attribute("TrackID", None, "TrackID's legacy name")
    Confidence = _float_attribute("Confidence", "Confidence value of the detected object")
    Left = _float_attribute("Left", "Left bounding box coordinate")
    Right = _float_attribute("Right", "Right bounding box coordinate")
    Top = _float_attribute("Top", "Top bounding box coordinate")
    Bottom = _float_attribute("Bottom", "Bottom bounding box coordinate")

    @property
    def Width(self) -> float:
        return self._box.width()

    @property
    def Height(self) -> float:
        return self._box.height()

    @property
    def Area(self) -> float:
        return self._box.area()

    @property
    def Center(self) -> tuple[float, float]:
        box = self._box
        return (f32(box.Left + box.width() * 0.5), f32(box.Top + box.height() * 0.5))

    @property
    def ROI(self) -> tuple[float, float, float, float]:
        box = self._box
        return (box.Left, box.Top, box.Right, box.Bottom)

    def Contains(self, x: Any, y: Any) -> bool:
        """Whether (x, y) is inside the box (edges included)."""
        px, py = _binding.arg_float(x, "x"), _binding.arg_float(y, "y")
        box = self._box
        return box.Left <= px <= box.Right and box.Top <= py <= box.Bottom

    def __repr__(self) -> str:
        box = self._box
        track = ""
        if box.TrackID >= 0:
            track = (
                f" TrackID={box.TrackID} TrackStatus={box.TrackStatus}"
                f" TrackFrames={box.TrackFrames} TrackLost={box.TrackLost}"
            )
        return (
            f"<detectNet.Detection ClassID={box.ClassID} Confidence={box.Confidence:g}{track}"
            f" Left={box.Left:g} Top={box.Top:g} Right={box.Right:g} Bottom={box.Bottom:g}>"
        )

    __str__ = __repr__


# --- tracking ----------------------------------------------------------------------------

MIN_FRAMES, DROP_FRAMES, OVERLAP = 3, 15, 0.5  # objectTrackerIOU's defaults


class IOUTracker:
    """objectTrackerIOU, as jetson-inference implements it: a track is matched to the unmatched
    detection of its class with the highest IOU over the threshold; detections are reported
    once their track has been seen for minFrames frames, and a track lost for dropFrames frames
    is dropped. (Its quirks are kept: a track gets its ID on the frame after it reaches
    minFrames, and a detection matched to a track whose ID is still -1 also starts a new track.)
    """

    def __init__(self) -> None:
        self.enabled = True
        self.min_frames, self.drop_frames, self.overlap = MIN_FRAMES, DROP_FRAMES, f32(OVERLAP)
        self.tracks: list[_Box] = []
        self.next_id = 0

    def process(self, detections: list[_Box]) -> list[_Box]:
        if not self.enabled:
            return detections
        for n, track in enumerate(self.tracks):
            best, best_iou = -1, 0.0
            for i, candidate in enumerate(detections):
                if candidate.TrackID >= 0 or candidate.ClassID != track.ClassID:
                    continue
                iou = track.iou(candidate)
                if iou >= self.overlap and iou > best_iou:
                    best, best_iou = i, iou
            if best >= 0:
                match = detections[best]
                if track.TrackFrames == self.min_frames:
                    match.TrackID, self.next_id = self.next_id, self.next_id + 1
                else:
                    match.TrackID = track.TrackID
                match.TrackFrames = track.TrackFrames + 1
                match.TrackStatus = 1 if match.TrackFrames >= self.min_frames else 0
                match.TrackLost = 0
                self.tracks[n] = match.copy()
            else:
                track.TrackLost += 1
                if track.TrackLost >= self.drop_frames:
                    track.TrackStatus = -1
        for candidate in detections:
            if candidate.TrackID >= 0:
                continue
            candidate.TrackID, candidate.TrackStatus = -1, 0
            candidate.TrackFrames = candidate.TrackLost = 0
            self.tracks.append(candidate.copy())
        reported = [track.copy() for track in self.tracks if track.TrackFrames >= self.min_frames]
        self.tracks = [track for track in self.tracks if track.TrackStatus >= 0]
        return reported


# --- detectNet ---------------------------------------------------------------------------


class detectNet(LabelledClasses, Threshold):
    """Object detection: locates objects in an image."""

    def __init__(
        self,
        network: Any = "ssd-mobilenet-v2",
        argv: Any = NULL,
        threshold: Any = 0.5,
        model: Any = NULL,
        labels: Any = NULL,
        colors: Any = NULL,
        input_blob: Any = "data",
        output_cvg: Any = "coverage",
        output_bbox: Any = "bboxes",
    ) -> None:
        name = _binding.arg_str(network, "network")
        confidence = _binding.arg_float(threshold, "threshold")
        model_path = _binding.arg_opt_str(model, "model")
        labels_path = _binding.arg_opt_str(labels, "labels")
        _binding.arg_opt_str(colors, "colors")
        blobs = {
            "input": _binding.arg_str(input_blob, "input_blob"),
            "coverage": _binding.arg_str(output_cvg, "output_cvg"),
            "bbox": _binding.arg_str(output_bbox, "output_bbox"),
        }
        self._threshold = confidence
        self._clustering = f32(0.75)
        self._alpha = f32(120.0)
        self._line_width = f32(2.0)
        self._tracker: IOUTracker | None = None
        self._tracker_type = ""

        def from_args() -> Loaded | None:
            return load("detectNet", model_path or name, labels_path, blobs)

        def from_argv(cmd: _binding.CommandLine) -> Loaded | None:
            chosen = cmd.get_string("network") or cmd.get_string("model", "ssd-mobilenet-v2") or ""
            self._threshold = cmd.get_float("threshold") or cmd.get_float("confidence") or f32(0.5)
            labels_file = cmd.get_string("class_labels") or cmd.get_string("labels")
            return load("detectNet", chosen, labels_file)

        cmd = construct(self, "detectNet", argv, from_argv, from_args)
        self._colors = palette(len(self._net().labels), self._alpha, False)
        if cmd is not None:
            self._set_alpha(cmd.get_float("alpha", 120.0))
            self._clustering = cmd.get_float("clustering", self._clustering)
            tracker = cmd.get_string("tracker", cmd.get_string("tracking"))
            kind = "IOU" if cmd.get_flag("tracking") else (tracker or "").upper()
            if kind == "IOU":
                self._tracker, self._tracker_type = IOUTracker(), "IOU"
                self._tracker.min_frames = cmd.get_unsigned("tracker-min-frames", MIN_FRAMES)
                self._tracker.drop_frames = cmd.get_unsigned("tracker-drop-frames", DROP_FRAMES)
                self._tracker.overlap = cmd.get_float("tracker-overlap", OVERLAP)

    def _set_alpha(self, alpha: float) -> None:
        self._alpha = alpha
        self._colors = [(r, g, b, alpha) for r, g, b, _ in self._colors]

    @method()
    def Detect(
        self,
        image: Any,
        width: Any = 0,
        height: Any = 0,
        overlay: Any = "box,labels,conf",
        format: Any = "rgba32f",
    ) -> list[Detection]:
        """The detections in the image, drawn on it according to `overlay` (box, labels,
        conf, lines, tracking; 'none' draws nothing). An image not in rgb8/rgba8/rgb32f/rgba32f
        gives no detections, as the binding does."""
        net = self._net()
        ref = image_argument(image, width, height, format)
        flags = overlay_flags(_binding.arg_str(overlay, "overlay"))
        if ref.width == 0 or ref.height == 0:
            raise Exception(
                f"{INFERENCE}detectNet.Detect() encountered an error classifying the image"
            )
        if not _binding.is_rgb(ref.format):
            return []
        boxes = self._timed(lambda: self._detect(ref, net))
        if flags and boxes:
            self._draw(ref.view, ref.format, ref.width, boxes, flags)
        return [Detection._of(box) for box in boxes]

    def _detect(self, ref: Any, net: Loaded) -> list[_Box]:
        step = step_for(ref.width)
        rgb = _cuda.rgb_float(ref.view, ref.format, step)
        found: list[_Box] = []
        for region in bright_regions(rgb, step, ref.width, ref.height):
            confidence = f32(min(region.brightness / 255.0, 1.0))
            if confidence < self._threshold:
                continue
            box = _Box(
                ClassID=colour_class(region.color, net.labels),
                Confidence=confidence,
                Left=f32(region.left),
                Top=f32(region.top),
                Right=f32(region.right),
                Bottom=f32(region.bottom),
            )
            for kept in found:  # clusterDetections()
                if box.intersects(kept, self._clustering) and box.ClassID == kept.ClassID:
                    kept.expand(box)
                    kept.Confidence = max(kept.Confidence, box.Confidence)
                    break
            else:
                found.append(box)
        found.sort(key=lambda box: -box.area())
        for box in found:
            box.Top, box.Left = max(box.Top, 0.0), max(box.Left, 0.0)
            box.Right = min(box.Right, float(ref.width - 1))
            box.Bottom = min(box.Bottom, float(ref.height - 1))
        if self._tracker is not None and self._tracker.enabled:
            found = self._tracker.process(found)
        return found

    def _draw(self, view: Any, fmt: Any, width: int, boxes: list[_Box], flags: int) -> None:
        """detectNet::Overlay(): filled boxes, box lines, then label text."""
        if flags & OVERLAY_BOX:
            for box in boxes:
                color = self._colors[box.ClassID % len(self._colors)]
                _cuda.fill_rect(view, fmt, (box.Left, box.Top, box.Right, box.Bottom), color)
        if flags & OVERLAY_LINES:
            for box in boxes:
                color = self._colors[box.ClassID % len(self._colors)]
                corners = [
                    (box.Left, box.Top),
                    (box.Right, box.Top),
                    (box.Right, box.Bottom),
                    (box.Left, box.Bottom),
                ]
                for n in range(4):
                    _cuda.draw_line(
                        view, fmt, corners[n], corners[(n + 1) % 4], color, self._line_width
                    )
        if flags & (OVERLAY_LABEL | OVERLAY_CONFIDENCE | OVERLAY_TRACKING):
            size = _cuda.adapt_font_size(width)
            labels = self._net().labels
            for box in boxes:
                words = []
                if flags & OVERLAY_LABEL:
                    words.append(labels[box.ClassID] if box.ClassID < len(labels) else "Invalid")
                if flags & OVERLAY_TRACKING and box.TrackID >= 0:
                    words.append(str(box.TrackID))
                if flags & OVERLAY_CONFIDENCE:
                    words.append(f"{box.Confidence * 100:.1f}%")
                alpha = 255.0
                if box.TrackID >= 0:
                    alpha *= 1.0 - min(box.TrackLost, 15) / 15.0
                position = (int(box.Left) + 5, int(box.Top) + 3)
                _font.draw_text(view, fmt, " ".join(words), *position, size, (255, 255, 255, alpha))

    @method()
    def Overlay(
        self,
        image: Any,
        detections: Any,
        width: Any = 0,
        height: Any = 0,
        overlay: Any = "box,labels,conf",
        format: Any = "rgba32f",
        output: Any = NULL,
    ) -> None:
        """Draw detections on the image (or on `output`, after copying the image into it)."""
        self._net()
        columns, rows = _binding.arg_int(width, "width"), _binding.arg_int(height, "height")
        flags = overlay_flags(_binding.arg_str(overlay, "overlay"))
        format_name = _binding.arg_str(format, "format")
        target = image if output is NULL else output
        try:
            source = _cuda.resolve_image(image, columns, rows, format_name)
            destination = _cuda.resolve_image(target, columns, rows, format_name)
        except Exception:
            raise TypeError(
                f"{INFERENCE}failed to get CUDA image from input or output image argument(s)"
            ) from None
        if not isinstance(detections, list):
            raise TypeError(f"{INFERENCE}detections should be of type list")
        boxes = []
        for detection in detections:
            if not isinstance(detection, Detection):
                raise TypeError(
                    f"{INFERENCE}detections value should be of type "
                    "jetson.inference.detectNet.Detection"
                )
            boxes.append(detection._box.copy())
        if not boxes:
            return
        if flags == 0:
            raise Exception(f"{INFERENCE}detectNet.Overlay() encountered an error")
        if destination.view.ctypes.data != source.view.ctypes.data:
            _cuda.device_copy(destination.view, source.view)
        self._draw(destination.view, source.format, source.width, boxes, flags)

    @method()
    def GetClassSynset(self, index: Any, /) -> str:
        net = self._net()
        return net.synsets[class_index(self, index, len(net.labels))]

    @method()
    def GetConfidenceThreshold(self) -> float:
        self._net()
        return self._threshold

    @method()
    def SetConfidenceThreshold(self, threshold: Any, /) -> None:
        self._net()
        self._threshold = _binding.arg_float(threshold, "threshold")

    @method()
    def GetClusteringThreshold(self) -> float:
        self._net()
        return self._clustering

    @method()
    def SetClusteringThreshold(self, threshold: Any, /) -> None:
        self._net()
        self._clustering = _binding.arg_float(threshold, "threshold")

    @method()
    def GetTrackerType(self) -> str | None:
        """'IOU', or None without a tracker ('KLT' needs VPI, which the fake does not have)."""
        self._net()
        return self._tracker_type if self._tracker is not None else None

    @method()
    def SetTrackerType(self, type: Any, /) -> None:
        """'IOU' creates a tracker (keeping the current one if it is IOU already); anything
        else ('KLT' included, without VPI) removes it."""
        self._net()
        name = _binding.arg_str(type, "type")
        if name.upper() == "IOU":
            if self._tracker is None:
                self._tracker, self._tracker_type = IOUTracker(), "IOU"
        else:
            self._tracker, self._tracker_type = None, ""

    @method()
    def IsTrackingEnabled(self) -> bool:
        self._net()
        return self._tracker is not None and self._tracker.enabled

    @method()
    def SetTrackingEnabled(self, enabled: Any, /) -> None:
        """Enable tracking (creating an IOU tracker if there is none) or disable it."""
        self._net()
        on = _binding.arg_bool(enabled)
        if self._tracker is not None:
            self._tracker.enabled = on
        elif on:
            self._tracker, self._tracker_type = IOUTracker(), "IOU"

    @method()
    def GetTrackingParams(self) -> dict[str, Any]:
        """minFrames, dropFrames, overlapThreshold (the defaults without a tracker)."""
        self._net()
        tracker = self._tracker
        if tracker is None:
            return {"minFrames": MIN_FRAMES, "dropFrames": DROP_FRAMES, "overlapThreshold": OVERLAP}
        return {
            "minFrames": tracker.min_frames,
            "dropFrames": tracker.drop_frames,
            "overlapThreshold": tracker.overlap,
        }

    @method()
    def SetTrackingParams(
        self, minFrames: Any = -1, dropFrames: Any = -1, overlapThreshold: Any = -1.0
    ) -> None:
        """Set the IOU tracker's parameters (negative values are left alone; without a tracker,
        nothing happens)."""
        self._net()
        frames = _binding.arg_int(minFrames, "minFrames")
        drops = _binding.arg_int(dropFrames, "dropFrames")
        overlap = _binding.arg_float(overlapThreshold, "overlapThreshold")
        tracker = self._tracker
        if tracker is None:
            return
        if frames >= 0:
            tracker.min_frames = frames
        if drops >= 0:
            tracker.drop_frames = drops
        if overlap >= 0:
            tracker.overlap = overlap

    @method()
    def GetOverlayAlpha(self) -> float:
        self._net()
        return self._alpha

    @method()
    def SetOverlayAlpha(self, alpha: Any) -> None:
        """The alpha (0-255) of every class's box colour."""
        self._net()
        value = _binding.arg_float(alpha, "alpha")
        if value < 0.0 or value > 255.0:
            raise Exception(
                f"{INFERENCE}detectNet.SetOverlayAlpha() -- provided alpha value is out-of-range"
            )
        self._set_alpha(value)

    @method()
    def GetLineWidth(self) -> float:
        self._net()
        return self._line_width

    @method()
    def SetLineWidth(self, width: Any) -> None:
        """The width of the 'lines' overlay, in pixels (> 0)."""
        self._net()
        value = _binding.arg_float(width, "width")
        if value <= 0.0:
            raise Exception(
                f"{INFERENCE}detectNet.SetLineWidth() -- provided value is out-of-range"
            )
        self._line_width = value

    @staticmethod
    def Usage() -> str:
        return (
            "detectNet arguments:\n  --network=NETWORK  --model=MODEL  --prototxt=PROTOTXT\n"
            "  --labels=LABELS  --input-blob=INPUT  --output-cvg=COVERAGE\n"
            "  --output-bbox=BOXES  --mean-pixel=PIXEL  --confidence=CONF\n"
            "  --clustering=CLUSTER  --alpha=ALPHA  --overlay=OVERLAY  --profile\n"
            "objectTracker arguments:\n  --tracking  --tracker=TRACKER  --tracker-min-frames=N\n"
            "  --tracker-drop-frames=N  --tracker-overlap=N\n"
        )


# The inner class, as the binding registers it: detectNet.Detection.
setattr(detectNet, "Detection", Detection)  # noqa: B010
