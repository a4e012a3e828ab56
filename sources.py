"""Video inputs: the test pattern, V4L2 and CSI cameras, network streams, files, images.

`open_source(spec)` turns an --input URI into a Source, or raises SourceError with a one-line
reason. A Source hands out BGR frames with `read()`; it returns None when the input has ended
(a file played to its end, its loops used up) and raises SourceError when the input fails
(a camera unplugged, a stream dropped). Reconnecting is the capture thread's job, not theirs.
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import cv2
import numpy as np

from images import ImagePool
from uris import redact

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
FLIP_METHODS = (
    "none",
    "counterclockwise",
    "rotate-180",
    "clockwise",
    "horizontal",
    "vertical",
    "upper-right-diagonal",
    "upper-left-diagonal",
)
TEST_PATTERN_URIS = {"", "test", "test://", "testpattern", "test://pattern"}
PATTERN_PHOTO = Path(__file__).resolve().parent / "data" / "media" / "astronaut.jpg"
HELD_IMAGE_RATE = 10.0  # a single image held on screen is processed again at this rate
SLIDESHOW_RATE = 1.0  # a folder or glob of images is shown at this rate


class SourceError(Exception):
    """An input that cannot be opened or read; the message names the input and the reason."""


@dataclass(frozen=True)
class InputSpec:
    """What the command line asked for."""

    uri: str = "test://"
    width: int | None = None
    height: int | None = None
    rate: float | None = None
    # 0 once, N more times, -1 forever (jetson-utils' --input-loop); None: loop_count's default
    loop: int | None = None
    flip: str = "none"
    # more videoSource options ("--input-codec=h264"...), for jetson_utils only: OpenCV has none
    jetson_options: tuple[str, ...] = ()


class Source(Protocol):
    """A video input. `pace` is the rate to pace reads at, or None if the device paces them.
    read() gives the next picture (a BGR numpy array, or jetson-utils' bgr8 cudaImage: see
    images.py), None at the end of the input, and raises when the input is lost."""

    description: str

    @property
    def pace(self) -> float | None: ...

    def read(self) -> Any: ...

    def close(self) -> None: ...


class PatternSource:
    """A synthetic moving picture: colour bars, a ramp, a bouncing ball, the frame index and
    time, and a photograph of a person sliding to and fro, so that the networks have something
    to find on a machine with no camera (data/media/README.md)."""

    def __init__(self, width: int = 640, height: int = 480, rate: float = 30.0) -> None:
        self.description = f"test pattern {width}x{height} @ {rate:g} fps"
        self.pace = rate
        self._size = (width, height)
        self._background = self._make_background(width, height)
        photo = self._read_photo()
        side = max(1, min(height // 2, width))
        self._photo = cv2.resize(photo, (side, side), interpolation=cv2.INTER_AREA)
        self._count = 0

    @staticmethod
    def _read_photo() -> np.ndarray:
        try:
            data = np.fromfile(PATTERN_PHOTO, np.uint8)
        except OSError as error:
            raise SourceError(f"test pattern: cannot read its picture: {error}") from None
        photo = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
        if photo is None:
            raise SourceError(f"test pattern: its picture {PATTERN_PHOTO} is not a readable image")
        return photo

    @staticmethod
    def _make_background(width: int, height: int) -> np.ndarray:
        bars = np.array(
            [
                (192, 192, 192),
                (0, 192, 192),
                (192, 192, 0),
                (0, 192, 0),
                (192, 0, 192),
                (0, 0, 192),
                (192, 0, 0),
            ],
            dtype=np.uint8,
        )
        columns = (np.arange(width) * len(bars) // width).clip(0, len(bars) - 1)
        image = np.empty((height, width, 3), dtype=np.uint8)
        split = height * 2 // 3
        image[:split] = bars[columns][None, :, :]
        ramp = np.linspace(0, 255, width, dtype=np.uint8)
        image[split:] = ramp[None, :, None]
        return image

    def read(self) -> np.ndarray:
        width, height = self._size
        frame = self._background.copy()
        t = self._count / (self.pace or 30.0)
        radius = max(8, min(width, height) // 12)
        x = int(radius + (width - 2 * radius) * (0.5 + 0.5 * np.sin(t * 1.3)))
        y = int(radius + (height - 2 * radius) * (0.5 + 0.5 * np.sin(t * 2.1 + 1.0)))
        cv2.circle(frame, (x, y), radius, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.circle(frame, (x, y), radius // 2, (40, 40, 220), -1, cv2.LINE_AA)
        side = self._photo.shape[0]
        left = int((width - side) * (0.5 + 0.5 * np.sin(t * 0.4)))
        frame[height - side :, left : left + side] = self._photo
        stamp = time.strftime("%H:%M:%S") + f".{int(time.time() * 1000) % 1000:03d}"
        scale = height / 480
        stamp_left = max(0, width - int(250 * scale))  # top right: classification writes top left
        cv2.rectangle(frame, (stamp_left, 0), (width, int(70 * scale)), (0, 0, 0), -1)
        for row, text in enumerate((f"frame {self._count}", stamp)):
            cv2.putText(
                frame,
                text,
                (stamp_left + int(10 * scale), int((30 + 30 * row) * scale)),
                cv2.FONT_HERSHEY_SIMPLEX,
                scale,
                (255, 255, 255),
                max(1, int(2 * scale)),
                cv2.LINE_AA,
            )
        self._count += 1
        return frame

    def close(self) -> None:
        pass


class CaptureSource:
    """Anything OpenCV's VideoCapture opens: cameras, network streams, video files."""

    def __init__(
        self,
        capture: cv2.VideoCapture,
        description: str,
        *,
        pace: float | None,
        loop: int = 0,
        size: tuple[int, int] | None = None,
        remote: bool = False,
    ) -> None:
        self.description = description
        self.pace = pace
        self._capture = capture
        self._loops_left = loop
        self._size = size
        self._remote = remote  # a file served over http(s), whose server may go and return
        self._delivered_any = False

    def read(self) -> np.ndarray | None:
        ok, frame = self._capture.read()
        looping = self._loops_left != 0
        if not ok and looping and self._delivered_any and self._rewind():
            ok, frame = self._capture.read()
        if not ok:
            # A live device or stream that fails to read is lost; so is a remote file that
            # should play on but cannot be read from its start again: its server has gone.
            if self.pace is None or (self._remote and looping):
                raise SourceError(f"{self.description}: no frame (device or stream lost)")
            return None
        self._delivered_any = True
        if self._size and (frame.shape[1], frame.shape[0]) != self._size:
            frame = cv2.resize(frame, self._size, interpolation=cv2.INTER_AREA)
        return frame

    def _rewind(self) -> bool:
        if self._loops_left > 0:
            self._loops_left -= 1
        return bool(self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0))

    def close(self) -> None:
        self._capture.release()


class ImageSequence:
    """A still image, a folder or a glob of images, shown as a slideshow at `pace` fps.
    A single image is decoded once, here, so that an unreadable one fails at start."""

    def __init__(
        self,
        paths: list[Path],
        description: str,
        *,
        pace: float,
        loop: int,
        size: tuple[int, int] | None,
    ) -> None:
        self.description = description
        self.pace = pace
        self._paths = paths
        self._position = 0
        self._loops_left = loop
        self._size = size
        self._still = self._load(paths[0]) if len(paths) == 1 else None

    def _load(self, path: Path) -> np.ndarray:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise SourceError(f"{path}: not a readable image")
        if self._size:
            image = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
        return image

    def read(self) -> np.ndarray | None:
        if self._position == len(self._paths):
            if self._loops_left == 0:
                return None
            if self._loops_left > 0:
                self._loops_left -= 1
            self._position = 0
        path = self._paths[self._position]
        self._position += 1
        return self._still.copy() if self._still is not None else self._load(path)

    def close(self) -> None:
        pass


class JetsonSource:
    """jetson_utils.videoSource: every URI jetson-utils knows, decoded on the GPU."""

    def __init__(self, jetson_utils, spec: InputSpec) -> None:
        argv = [f"--input-loop={loop_count(spec)}", f"--input-flip={spec.flip}"]
        argv += [f"--input-width={spec.width}"] if spec.width else []
        argv += [f"--input-height={spec.height}"] if spec.height else []
        argv += [f"--input-rate={spec.rate:g}"] if spec.rate else []
        argv += spec.jetson_options
        self.description = f"{redact(spec.uri)} (jetson_utils.videoSource)"
        self.pace = None
        self._ends = _names_a_file(spec.uri)  # a file ends; a camera or a stream is lost
        self._frames = ImagePool()
        try:
            self._source = jetson_utils.videoSource(spec.uri, argv=argv)
        except Exception as error:  # jetson-utils raises a bare Exception on failure
            raise SourceError(f"{redact(spec.uri)}: {error}") from error

    def read(self) -> Any:
        """The next frame as a bgr8 cudaImage in mapped memory (images.py), copied on the GPU
        out of the capture ring; no copy to the CPU here: the pipeline reads it in place after
        its one synchronize per frame."""
        try:
            image = self._source.Capture(format="bgr8", timeout=1000)
        except Exception as error:  # jetson-utils raises at the end of a stream and on errors
            if self._ends and not self._source.IsStreaming():
                return None  # the file ended, after its --input-loop
            raise SourceError(f"{self.description}: {error}") from error
        if image is None:  # jetson-utils' timeout
            raise SourceError(f"{self.description}: no frame within 1 s")
        # Capture's image is one of the source's --num-buffers (4) ring buffers, which later
        # captures write over: a frame a slow network still holds must not change under it.
        return self._frames.copy(image)

    def close(self) -> None:
        self._source.Close()


class Flipped:
    """Applies an --input-flip method to every frame of another Source."""

    def __init__(self, source: Source, method: str) -> None:
        self.description = f"{source.description}, flipped {method}"
        self.pace = source.pace
        self._source, self._method = source, method

    def read(self) -> np.ndarray | None:
        frame = self._source.read()
        return None if frame is None else flip_frame(frame, self._method)

    def close(self) -> None:
        self._source.close()


def flip_frame(frame: np.ndarray, method: str) -> np.ndarray:
    """Apply one of jetson-utils' --input-flip methods."""
    operations: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "none": lambda f: f,
        "counterclockwise": lambda f: cv2.rotate(f, cv2.ROTATE_90_COUNTERCLOCKWISE),
        "rotate-180": lambda f: cv2.rotate(f, cv2.ROTATE_180),
        "clockwise": lambda f: cv2.rotate(f, cv2.ROTATE_90_CLOCKWISE),
        "horizontal": lambda f: cv2.flip(f, 1),
        "vertical": lambda f: cv2.flip(f, 0),
        "upper-right-diagonal": lambda f: cv2.rotate(cv2.transpose(f), cv2.ROTATE_180),
        "upper-left-diagonal": cv2.transpose,
    }
    return operations[method](frame)


def names_one_image(uri: str) -> bool:
    """Whether the URI names a single still image (not a folder, a glob or a video)."""
    path = uri.strip().removeprefix("file://")
    return not any(char in path for char in "*?[") and Path(path).suffix.lower() in IMAGE_SUFFIXES


def loop_count(spec: InputSpec) -> int:
    """How often the input plays again at its end: --input-loop if given, else -1 (held, like
    a paused frame, so that the networks keep drawing on it) for a single image and 0 (played
    once, then offline with its last frame) for a video file, a folder or a glob of images."""
    if spec.loop is not None:
        return spec.loop
    return -1 if names_one_image(spec.uri) else 0


def _names_a_file(uri: str) -> bool:
    """Whether an --input URI names a file or images, not a device or a network stream."""
    return urlparse(uri).scheme in ("", "file") and not uri.startswith("/dev/")


def import_jetson_utils() -> Any:
    """jetson_utils where it is installed (a Jetson), else None."""
    try:
        import jetson_utils
    except ImportError:
        return None
    return jetson_utils


def _gstreamer_available() -> bool:
    return any(
        line.strip().startswith("GStreamer:") and "YES" in line
        for line in cv2.getBuildInformation().splitlines()
    )


def _open_capture(
    target: str, api: int, description: str, params: list[int] | None = None
) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(target, api, params or [])
    if not capture.isOpened():
        capture.release()
        raise SourceError(f"{description}: cannot be opened")
    return capture


def _open_v4l2(spec: InputSpec, device: str) -> CaptureSource:
    if not os.path.exists(device):
        raise SourceError(f"{spec.uri}: no such device {device}")
    capture = _open_capture(device, cv2.CAP_V4L2, spec.uri)
    capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
    if spec.width and spec.height:
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, spec.width)
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, spec.height)
    if spec.rate:
        capture.set(cv2.CAP_PROP_FPS, spec.rate)
    capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    return CaptureSource(capture, f"{device} (V4L2)", pace=None)


def _open_csi(spec: InputSpec, sensor: str) -> CaptureSource:
    if not _gstreamer_available():
        raise SourceError(
            f"{spec.uri}: this OpenCV was built without GStreamer, which a CSI "
            "camera needs (use jetson_utils or a GStreamer build of OpenCV)"
        )
    width, height, rate = spec.width or 1280, spec.height or 720, spec.rate or 30
    pipeline = (
        f"nvarguscamerasrc sensor-id={sensor} ! video/x-raw(memory:NVMM), "
        f"width={width}, height={height}, framerate={int(rate)}/1 ! nvvidconv ! "
        "video/x-raw, format=BGRx ! videoconvert ! video/x-raw, format=BGR ! "
        "appsink drop=true max-buffers=1"
    )
    capture = _open_capture(pipeline, cv2.CAP_GSTREAMER, spec.uri)
    return CaptureSource(capture, f"CSI camera {sensor}", pace=None)


def _open_network(spec: InputSpec) -> CaptureSource:
    # Low latency: RTSP over TCP (no lost UDP packets), no input buffering, short timeouts.
    os.environ.setdefault(
        "OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp|fflags;nobuffer|flags;low_delay"
    )
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 5000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 5000]
    description = redact(spec.uri)
    capture = _open_capture(spec.uri, cv2.CAP_FFMPEG, description, params)
    if (
        urlparse(spec.uri).scheme in ("http", "https") and capture.get(cv2.CAP_PROP_FRAME_COUNT) > 0
    ):  # a live stream has no frame count
        return _video_file(capture, spec, f"video file {description}", remote=True)
    capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    return CaptureSource(capture, description, pace=None)


def _size(spec: InputSpec) -> tuple[int, int] | None:
    return (spec.width, spec.height) if spec.width and spec.height else None


def _open_path(spec: InputSpec, path: str) -> Source:
    target = Path(path)
    if any(char in path for char in "*?["):
        found = [Path(p) for p in glob.glob(path)]
        description, empty = f"images matching {path}", "the pattern matches no images"
    elif target.is_dir():
        found = list(target.iterdir())
        description, empty = f"images in {path}", "the folder holds no images"
    elif not target.exists():
        raise SourceError(f"{spec.uri}: no such file, folder or device")
    elif target.suffix.lower() in IMAGE_SUFFIXES:
        found, description, empty = [target], f"image {path}", ""
    else:
        return _open_video_file(spec, target)
    paths = sorted(p for p in found if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise SourceError(f"{spec.uri}: {empty}")
    loop = loop_count(spec)
    if len(paths) > 1:
        description = f"{len(paths)} {description}"
    held = len(paths) == 1 and loop == -1
    pace = spec.rate or (HELD_IMAGE_RATE if held else SLIDESHOW_RATE)
    return ImageSequence(paths, description, pace=pace, loop=loop, size=_size(spec))


def _open_video_file(spec: InputSpec, target: Path) -> CaptureSource:
    capture = _open_capture(str(target), cv2.CAP_FFMPEG, spec.uri)
    if not capture.read()[0] or not capture.set(cv2.CAP_PROP_POS_FRAMES, 0):
        capture.release()
        raise SourceError(f"{spec.uri}: not a readable video")
    return _video_file(capture, spec, f"video file {target}")


def _video_file(
    capture: cv2.VideoCapture, spec: InputSpec, description: str, remote: bool = False
) -> CaptureSource:
    """A video file, local or served over HTTP (`remote`): played at --input-rate or its own
    rate, looped as --input-loop says, and ended (offline, not reconnected) after its last
    frame. A remote one that should loop on and cannot be read is lost (reconnected)."""
    file_rate = capture.get(cv2.CAP_PROP_FPS)
    rate = spec.rate or (file_rate if 0 < file_rate < 1000 else 30.0)
    return CaptureSource(
        capture, description, pace=rate, loop=loop_count(spec), size=_size(spec), remote=remote
    )


def open_source(spec: InputSpec) -> Source:
    """Open the input an --input URI names, flipped as asked; SourceError says why it cannot be."""
    jetson_utils = import_jetson_utils()
    if jetson_utils is not None and spec.uri.strip() not in TEST_PATTERN_URIS:
        return JetsonSource(jetson_utils, spec)  # jetson-utils flips by itself
    return with_flip(_open_unflipped(spec), spec.flip)


def with_flip(source: Source, method: str) -> Source:
    """The source, flipped by an --input-flip method unless that is 'none'."""
    return source if method == "none" else Flipped(source, method)


def _open_unflipped(spec: InputSpec) -> Source:
    uri = spec.uri.strip()
    parsed = urlparse(uri)
    if uri in TEST_PATTERN_URIS:
        return PatternSource(spec.width or 640, spec.height or 480, spec.rate or 30.0)
    if parsed.scheme == "v4l2":
        return _open_v4l2(spec, parsed.path or parsed.netloc)
    if uri.startswith("/dev/video"):
        return _open_v4l2(spec, uri)
    if parsed.scheme == "csi":
        return _open_csi(spec, parsed.netloc or "0")
    if parsed.scheme in ("rtsp", "rtsps", "rtmp", "http", "https"):
        return _open_network(spec)
    if parsed.scheme == "file":
        return _open_path(spec, parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:
        raise SourceError(f"{redact(uri)}: unsupported input scheme '{parsed.scheme}://'")
    return _open_path(spec, uri)
