"""Fake poseNet, poseNet.ObjectPose and poseNet.ObjectPose.Keypoint (binding: PyPoseNet.cpp;
behaviour from poseNet.cpp and poseNet.h).

The fake finds one pose per bright region (as detectNet does, see README.md) whose mean luma /
255 reaches the threshold: every keypoint of the topology, laid out as a standing figure (or
an open hand) in the region's box, and every link of the topology."""

from __future__ import annotations

from typing import Any

from jetson_utils import _binding, _cuda

from ._base import (
    INFERENCE,
    NULL,
    Loaded,
    bright_regions,
    construct,
    load,
    method,
    palette,
    step_for,
    tensorNet,
)
from ._models import TOPOLOGIES

f32 = _binding.f32
OVERLAY_BOX, OVERLAY_LINKS, OVERLAY_KEYPOINTS = 1, 2, 4
OVERLAY_DEFAULT = OVERLAY_LINKS | OVERLAY_KEYPOINTS


def overlay_flags(text: str) -> int:
    """poseNet::OverlayFlagsFromStr(): box(es), link(s), keypoint(s), default, none."""
    if not text or len(text) >= 256:
        return OVERLAY_DEFAULT
    tokens = [t for t in text.replace("|", ",").split(",") if t]
    if not tokens:
        return OVERLAY_DEFAULT
    names = {
        "keypoints": OVERLAY_KEYPOINTS,
        "keypoint": OVERLAY_KEYPOINTS,
        "links": OVERLAY_LINKS,
        "link": OVERLAY_LINKS,
        "box": OVERLAY_BOX,
        "boxes": OVERLAY_BOX,
        "default": OVERLAY_DEFAULT,
    }
    flags = 0
    for token in tokens:
        flags |= names.get(token.lower(), 0)
    return flags


class Keypoint:
    """One keypoint of a pose: its type (ID) and place (x, y)."""

    def __init__(self, id: Any = 0, x: Any = 0.0, y: Any = 0.0) -> None:
        number = _binding.arg_int(id, "id")
        self._x, self._y = _binding.arg_float(x, "x"), _binding.arg_float(y, "y")
        if number < 0:
            raise Exception(f"{INFERENCE}invalid keypoint ID was < 0")
        self._id = number
        self._names: list[str] | None = None

    @classmethod
    def _of(cls, number: int, x: float, y: float, names: list[str]) -> Keypoint:
        keypoint = cls(number, x, y)
        keypoint._names = names
        return keypoint

    @property
    def ID(self) -> int:
        return self._id

    @ID.setter
    def ID(self, value: Any) -> None:
        self._id = max(_binding.arg_int(value, "ID"), 0)

    @ID.deleter
    def ID(self) -> None:
        raise TypeError(
            f"{INFERENCE}Not permitted to delete poseNet.ObjectPose.Keypoint.ID attribute"
        )

    @property
    def x(self) -> float:
        return self._x

    @x.setter
    def x(self, value: Any) -> None:
        self._x = _binding.arg_float(value, "x")

    @x.deleter
    def x(self) -> None:
        raise TypeError(
            f"{INFERENCE}Not permitted to delete poseNet.ObjectPose.Keypoint.x attribute"
        )

    @property
    def y(self) -> float:
        return self._y

    @y.setter
    def y(self, value: Any) -> None:
        self._y = _binding.arg_float(value, "y")

    @y.deleter
    def y(self) -> None:
        raise TypeError(
            f"{INFERENCE}Not permitted to delete poseNet.ObjectPose.Keypoint.y attribute"
        )

    def __repr__(self) -> str:
        names = self._names
        name = f" ({names[self._id]})" if names and self._id < len(names) else ""
        return f"<poseNet.ObjectPose.Keypoint ID={self._id}{name} x={self._x:g} y={self._y:g}>"

    __str__ = __repr__


def _box_attribute(name: str) -> property:
    def get(self: ObjectPose) -> float:
        return float(getattr(self, f"_{name.lower()}"))

    def set_(self: ObjectPose, value: Any) -> None:
        setattr(self, f"_{name.lower()}", _binding.arg_float(value, name))

    def delete(self: ObjectPose) -> None:
        raise TypeError(f"{INFERENCE}Not permitted to delete poseNet.ObjectPose.{name} attribute")

    return property(get, set_, delete, f"{name} bounding box coordinate")


class ObjectPose:
    """A detected pose: its keypoints, the links between them (pairs of indexes into the
    Keypoints list) and its bounding box."""

    def __init__(self, id: Any = 0) -> None:
        number = _binding.arg_int(id, "id")
        if number < 0:
            raise Exception(f"{INFERENCE}invalid object pose ID was < 0")
        self._id = number
        self._left = self._top = self._right = self._bottom = 0.0
        self._keypoints: list[Any] = []
        self._links: list[Any] = []
        self._names: list[str] | None = None

    @property
    def ID(self) -> int:
        return self._id

    @ID.setter
    def ID(self, value: Any) -> None:
        self._id = max(_binding.arg_int(value, "ID"), 0)

    @ID.deleter
    def ID(self) -> None:
        raise TypeError(f"{INFERENCE}Not permitted to delete poseNet.ObjectPose.ID attribute")

    @property
    def Keypoints(self) -> list[Any]:
        return self._keypoints

    @Keypoints.setter
    def Keypoints(self, value: Any) -> None:
        if not isinstance(value, list):
            raise Exception(
                f"{INFERENCE}poseNet.ObjectPose.Keypoints must be a list of "
                "poseNet.ObjectPose.Keypoint objects"
            )
        self._keypoints = value

    @Keypoints.deleter
    def Keypoints(self) -> None:
        raise TypeError(
            f"{INFERENCE}Not permitted to delete poseNet.ObjectPose.Keypoints attribute"
        )

    @property
    def Links(self) -> list[Any]:
        return self._links

    @Links.setter
    def Links(self, value: Any) -> None:
        if not isinstance(value, list):
            raise Exception(
                f"{INFERENCE}poseNet.ObjectPose.Links must be a list of (int,int) tuples"
            )
        self._links = value

    @Links.deleter
    def Links(self) -> None:
        raise TypeError(f"{INFERENCE}Not permitted to delete poseNet.ObjectPose.Links attribute")

    Left = _box_attribute("Left")
    Top = _box_attribute("Top")
    Right = _box_attribute("Right")
    Bottom = _box_attribute("Bottom")

    @property
    def ROI(self) -> tuple[float, float, float, float]:
        return (self._left, self._top, self._right, self._bottom)

    def _sync(self) -> tuple[list[Keypoint], list[tuple[int, int]]]:
        """PyObjectPose_Sync(): check the Python lists before the C++ code uses them."""
        keypoints = []
        for keypoint in self._keypoints:
            if not isinstance(keypoint, Keypoint):
                raise Exception(
                    f"{INFERENCE}all objects in the Keypoints list must be of type "
                    "poseNet.ObjectPose.Keypoint"
                )
            keypoints.append(keypoint)
        links = []
        for link in self._links:
            if not isinstance(link, tuple):
                raise Exception(
                    f"{INFERENCE}all objects in the Links list must be (int,int) tuples"
                )
            try:
                a, b = (_binding.arg_int(v, "link") for v in link)
            except (TypeError, ValueError, OverflowError):
                raise Exception(
                    f"{INFERENCE}failed to parse Links list - all objects in the Links list must "
                    "be (int,int) tuples"
                ) from None
            if not (0 <= a < len(keypoints) and 0 <= b < len(keypoints)):
                raise Exception(
                    f"{INFERENCE}Link entry had an out-of-bounds index into the Keypoints list"
                )
            links.append((a, b))
        return keypoints, links

    def _keypoint_id(self, value: Any) -> int:
        if isinstance(value, int):
            return _binding.arg_int(value, "id")
        if self._names is None:
            raise Exception(
                f"{INFERENCE}this ObjectPose object wasn't created by a poseNet - please pass in "
                "a keypoint ID (int) instead of a name string"
            )
        name = _binding.arg_str(value, "name")
        names = [n.lower() for n in self._names]
        if name.lower() not in names:
            raise Exception(
                f"{INFERENCE}poseNet.ObjectPose.FindKeypoint() could not find a keypoint by that "
                "name in the topology - check poseNet.GetNumKeypoints() / "
                "poseNet.GetKeypointName() for valid keypoint names"
            )
        return names.index(name.lower())

    def FindKeypoint(self, id: Any, /) -> int:
        """The index in Keypoints of the keypoint of this ID (or name), -1 if none."""
        number = self._keypoint_id(id)
        keypoints, _ = self._sync()
        return next((n for n, k in enumerate(keypoints) if number == k.ID), -1)

    def FindLink(self, a: Any, b: Any, /) -> int:
        """The index in Links of the link between keypoints of these IDs (or names), -1."""
        first, second = self._keypoint_id(a), self._keypoint_id(b)
        keypoints, links = self._sync()
        for n, (i, j) in enumerate(links):
            if first == keypoints[i].ID and second == keypoints[j].ID:
                return n
        return -1

    def __repr__(self) -> str:
        return (
            f"<poseNet.ObjectPose ID={self._id} Left={self._left:g} Top={self._top:g}"
            f" Right={self._right:g} Bottom={self._bottom:g}"
            f" Keypoints={len(self._keypoints)} Links={len(self._links)}>"
        )

    __str__ = __repr__


class poseNet(tensorNet):
    """Pose estimation: finds the keypoints and links of bodies (or hands) in an image."""

    def __init__(
        self, network: Any = "resnet18-body", argv: Any = NULL, threshold: Any = 0.15
    ) -> None:
        name = _binding.arg_str(network, "network")
        confidence = _binding.arg_float(threshold, "threshold")
        self._threshold = confidence
        self._keypoint_scale = f32(0.0052)
        self._link_scale = f32(0.0013)

        def from_args() -> Loaded | None:
            return load("poseNet", name, None)

        def from_argv(cmd: _binding.CommandLine) -> Loaded | None:
            chosen = cmd.get_string("network") or cmd.get_string("model", "resnet18-body") or ""
            return load("poseNet", chosen, None)

        cmd = construct(self, "poseNet", argv, from_argv, from_args)
        if cmd is not None:
            self._threshold = confidence  # the binding sets the keyword's threshold after argv
            self._keypoint_scale = cmd.get_float("keypoint-scale", self._keypoint_scale)
            self._link_scale = cmd.get_float("link-scale", self._link_scale)
        topology = "hand21" if "hand" in self._net().network.name else "body18"
        self._names, self._links, self._layout = TOPOLOGIES[topology]
        self._colors = palette(len(self._names), 255.0, False)

    @method()
    def Process(self, image: Any, overlay: Any = "links,keypoints") -> list[ObjectPose]:
        """The poses in the image (a cudaImage), drawn on it according to `overlay`."""
        self._net()
        flags = overlay_flags(_binding.arg_str(overlay, "overlay"))
        picture = _cuda.get_image(image)
        if picture is None:
            raise SystemError(
                "<method 'Process' of 'jetson.inference.poseNet' objects> returned NULL without "
                "setting an exception"
            )
        fmt = picture._format
        if not _binding.is_rgb(fmt) or picture.width == 0 or picture.height == 0:
            raise Exception(
                f"{INFERENCE}poseNet.Process() encountered an error processing the image"
            )
        poses = self._timed(lambda: self._poses(picture))
        self._draw(picture._view(), fmt, picture.width, picture.height, poses, flags)
        return poses

    def _poses(self, picture: Any) -> list[ObjectPose]:
        step = step_for(picture.width)
        rgb = _cuda.rgb_float(picture._view(), picture._format, step)
        poses: list[ObjectPose] = []
        for region in bright_regions(rgb, step, picture.width, picture.height):
            if f32(region.brightness / 255.0) < self._threshold:
                continue
            pose = ObjectPose(len(poses))
            pose._names = self._names
            width, height = region.right - region.left, region.bottom - region.top
            pose._keypoints = [
                Keypoint._of(
                    n, f32(region.left + fx * width), f32(region.top + fy * height), self._names
                )
                for n, (fx, fy) in enumerate(self._layout)
            ]
            pose._links = [(min(a, b), max(a, b)) for a, b in self._links]
            xs = [k.x for k in pose._keypoints]
            ys = [k.y for k in pose._keypoints]
            pose._left, pose._top, pose._right, pose._bottom = min(xs), min(ys), max(xs), max(ys)
            poses.append(pose)
        return poses

    def _draw(
        self, view: Any, fmt: Any, width: int, height: int, poses: list[ObjectPose], flags: int
    ) -> None:
        """poseNet::Overlay(): boxes, links, then keypoints."""
        line_width = max(max(width, height) * self._link_scale, 1.5)
        radius = max(max(width, height) * self._keypoint_scale, 4.0)
        for pose in poses:
            keypoints, links = pose._sync()
            if flags & OVERLAY_BOX:
                _cuda.fill_rect(view, fmt, pose.ROI, (255.0, 255.0, 255.0, 100.0))
            if flags & OVERLAY_LINKS:
                for a, b in links:
                    color = self._colors[keypoints[b].ID % len(self._colors)]
                    start, end = (keypoints[a].x, keypoints[a].y), (keypoints[b].x, keypoints[b].y)
                    _cuda.draw_line(view, fmt, start, end, color, line_width)
            if flags & OVERLAY_KEYPOINTS:
                for keypoint in keypoints:
                    color = self._colors[keypoint.ID % len(self._colors)]
                    _cuda.draw_circle(view, fmt, keypoint.x, keypoint.y, radius, color)

    @method()
    def Overlay(
        self, input: Any, poses: Any, overlay: Any = "links,keypoints", output: Any = NULL
    ) -> None:
        """Draw poses on the input image (or on `output`, after copying the input into it)."""
        self._net()
        flags = overlay_flags(_binding.arg_str(overlay, "overlay"))
        source = _cuda.get_image(input)
        target = _cuda.get_image(input if output is NULL else output)
        if source is None or target is None:
            raise TypeError(
                f"{INFERENCE}failed to get CUDA image from input or output image argument(s)"
            )
        if (source.width, source.height, source.format) != (
            target.width,
            target.height,
            target.format,
        ):
            raise TypeError(
                f"{INFERENCE}input/output images need to have matching dimensions and formats"
            )
        if not isinstance(poses, list):
            raise TypeError(f"{INFERENCE}object poses should be of type list")
        for pose in poses:
            if not isinstance(pose, ObjectPose):
                raise TypeError(
                    f"{INFERENCE}object poses list elements should be of type "
                    "jetson.inference.poseNet.ObjectPose"
                )
            pose._sync()
        if flags == 0:
            return
        if target.ptr != source.ptr:
            _cuda.device_copy(target._buffer, source._buffer)
        self._draw(target._view(), target._format, target.width, target.height, poses, flags)

    @method()
    def GetThreshold(self) -> float:
        self._net()
        return self._threshold

    @method(f"{INFERENCE}poseNet.SetThreshold() failed to parse arguments")
    def SetThreshold(self, threshold: Any, /) -> None:
        self._net()
        self._threshold = _binding.arg_float(threshold, "threshold")

    @method()
    def GetNumKeypoints(self) -> int:
        self._net()
        return len(self._names)

    @method()
    def GetKeypointName(self, index: Any, /) -> str:
        self._net()
        value = _binding.arg_int(index, "index")
        if value < 0 or value >= len(self._names):
            raise Exception(f"{INFERENCE}requested keypoint index is out of bounds")
        return self._names[value]

    @method()
    def FindKeypointID(self, name: Any, /) -> int:
        self._net()
        text = _binding.arg_str(name, "name").lower()
        names = [n.lower() for n in self._names]
        if text not in names:
            raise Exception(f"{INFERENCE}couldn't find a keypoint by that name in the topology")
        return names.index(text)

    @method()
    def SetKeypointAlpha(self, alpha: Any, keypoint: Any = -1) -> None:
        """The alpha (0-255) of every keypoint's colour (the binding never reads `keypoint`)."""
        self._net()
        value = _binding.arg_float(alpha, "alpha")
        _binding.arg_int(keypoint, "keypoint")
        if value < 0.0 or value > 255.0:
            raise Exception(
                f"{INFERENCE}poseNet.SetKeypointAlpha() -- provided alpha value is out-of-range"
            )
        self._colors = [(r, g, b, value) for r, g, b, _ in self._colors]

    @method()
    def GetKeypointScale(self) -> float:
        self._net()
        return self._keypoint_scale

    @method()
    def SetKeypointScale(self, scale: Any) -> None:
        """Keypoint circles' radius, as a fraction of the image's larger side."""
        self._net()
        self._keypoint_scale = _binding.arg_float(scale, "scale")

    @method()
    def GetLinkScale(self) -> float:
        self._net()
        return self._link_scale

    @method()
    def SetLinkScale(self, scale: Any) -> None:
        """Link lines' width, as a fraction of the image's larger side."""
        self._net()
        self._link_scale = _binding.arg_float(scale, "scale")

    @staticmethod
    def Usage() -> str:
        return (
            "poseNet arguments:\n  --network=NETWORK  --model=MODEL  --prototxt=PROTOTXT\n"
            "  --labels=LABELS  --input-blob=INPUT  --output-cvg=COVERAGE\n"
            "  --output-bbox=BOXES  --mean-pixel=PIXEL  --threshold=THRESHOLD\n"
            "  --overlay=OVERLAY  --keypoint-scale=X  --link-scale=X  --profile\n"
        )


# The inner classes, as the binding registers them: poseNet.ObjectPose.Keypoint.
setattr(ObjectPose, "Keypoint", Keypoint)  # noqa: B010
setattr(poseNet, "ObjectPose", ObjectPose)  # noqa: B010
