"""Fake videoSource and videoOutput of jetson_utils (binding: PyVideo.cpp; behaviour from
videoSource.cpp, videoOptions.cpp, URI.cpp, gstCamera.cpp, gstDecoder.cpp, imageLoader.cpp and
videoOutput.cpp of jetson-utils).

What a URI gives here:

- csi://N, v4l2:///dev/videoN (or /dev/videoN), rtp://, rtsp://, webrtc://: a fake live camera
  showing the synthetic scene, delivered at its frame rate (--input-rate, 30 by default) in
  real time; a slow reader gets the latest frame (older ones are dropped), as from a camera.
  Size: --input-width/--input-height, else 1280x720 (gstCamera's default).
- a video file (mkv, mp4, qt, flv, avi, h264, h265, mov, webm), decoded with OpenCV, every
  frame in turn (not paced), then the end of the stream; --input-loop=N plays it N more times
  (-1: forever). A missing file cannot be opened.
- image files (a file, a directory or a glob of jpg/png/...): one image per Capture.
- fake://... (test scaffolding, not a jetson-utils URI; see README.md):
    fake://pattern            the synthetic scene, endlessly, as fast as it is read
    fake://still              the scene's first frame, endlessly
    fake://end-after/N        N frames, then the end of the stream (Capture raises, IsStreaming()
                              is False); --input-loop=N plays it again
    fake://lost-after/N       N frames, then every Capture raises (IsStreaming() stays True)
    fake://timeout-after/N    N frames, then every Capture times out (returns None)
    fake://unavailable        the source cannot be created (the constructor raises)
  with query options: timeouts=2,5 (those Capture calls, counted from 0, time out),
  paced=1 (deliver in real time at the frame rate), eos_timeout=1 (at the end of the stream,
  one Capture times out before they raise, as a reader already waiting at the end sees).
  Default size 320x240.

The synthetic scene: a dark gradient, a bright white box (the "object": detectNet and poseNet
find it) sliding across, a saturated red square and a green disc. Pixel (0, 0) holds the frame
number: red = n % 256, green = n // 256 % 256.
"""

from __future__ import annotations

import glob
import os
import time
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs

import cv2
import numpy as np

from ._binding import (
    NULL,
    UTILS,
    Call,
    CommandLine,
    ImageFormat,
    arg_int,
    arg_opt_str,
    arg_str,
    arg_ulonglong,
    f32,
    format_from_str,
    method,
)
from ._cuda import Array, cudaImage, get_image, register, rgb_float, store_rgb


@dataclass
class FakeVideoConfig:
    """Fake-only settings (`jetson_utils.fake_config`).

    timeout_scale: a Capture that times out waits timeout * timeout_scale (1.0: the real
    wait; tests may set 0 to time out at once)."""

    timeout_scale: float = 1.0


fake_config = FakeVideoConfig()

VIDEO_EXTENSIONS = ("mkv", "mp4", "qt", "flv", "avi", "h264", "h265", "mov", "webm")
IMAGE_EXTENSIONS = (
    "jpg",
    "jpeg",
    "png",
    "tga",
    "targa",
    "bmp",
    "gif",
    "psd",
    "hdr",
    "pic",
    "pnm",
    "pbm",
    "ppm",
    "pgm",
)
IP_PROTOCOLS = ("rtp", "rtsp", "rtmp", "rtpmp2ts", "webrtc")
FLIP_METHODS = (
    "none",
    "counterclockwise",
    "rotate-180",
    "clockwise",
    "horizontal-flip",
    "upper-right-diagonal",
    "vertical-flip",
    "upper-left-diagonal",
)
CODECS = ("unknown", "raw", "H264", "H265", "VP8", "VP9", "MPEG2", "MPEG4", "MJPEG")
RAW_FORMAT = "rgb8"  # what Capture(format='raw') gives here (a CSI camera gives nv12)


# --- URI and videoOptions ------------------------------------------------------------------


@dataclass
class URI:
    """jetson-utils' URI: protocol://location, or a path, a /dev/video device, a number."""

    string: str = ""
    protocol: str = ""
    path: str = ""
    extension: str = ""
    location: str = ""
    port: int = -1

    def valid(self) -> bool:
        return bool(self.protocol) and bool(self.location)

    @classmethod
    def parse(cls, text: str) -> URI | None:
        if not text:
            return None
        uri = cls(string=text)
        if "://" in text:
            uri.protocol, uri.location = text.split("://", 1)
        else:
            if text.startswith("/dev/video"):
                uri.protocol = "v4l2"
            elif "." in text or "/" in text or os.path.exists(text):
                uri.protocol = "file"
            elif _leading_int(text) is not None:
                uri.protocol = "csi"
            elif text == "display":
                uri.protocol = "display"
            else:
                return None
            uri.location = text
            location = os.path.abspath(text) if uri.protocol == "file" else text
            uri.string = f"{uri.protocol}://{location}"
        uri.path = uri.location
        uri.protocol = uri.protocol.lower()
        if uri.protocol == "v4l2":
            number = _leading_int(uri.location.removeprefix("/dev/video"))
            if not uri.location.startswith("/dev/video") or number is None:
                return None
            uri.port = number
        elif uri.protocol == "csi":
            number = _leading_int(uri.location)
            if number is None:
                return None
            uri.port = number
        elif uri.protocol == "display":
            number = _leading_int(uri.location)
            uri.port = 0 if number is None else number
        elif uri.protocol == "file":
            base = os.path.basename(uri.location)
            uri.extension = base.rsplit(".", 1)[1].lower() if "." in base else ""
        elif uri.protocol == "fake":
            pass  # test scaffolding: fake://<behaviour>[/N][?options]
        elif not _parse_ip(uri):
            return None
        return uri

    def as_dict(self) -> dict[str, Any]:
        fields = {
            "string": self.string,
            "protocol": self.protocol,
            "path": self.path,
            "extension": self.extension,
            "location": self.location,
        }
        return {key: value for key, value in fields.items() if value} | {"port": self.port}


def _leading_int(text: str) -> int | None:
    digits = ""
    for i, char in enumerate(text.strip()):
        if char.isdigit() or (i == 0 and char in "+-"):
            digits += char
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return None


def _parse_ip(uri: URI) -> bool:
    """The address part of an IP stream URI (host:port/path)."""
    location, port_text = uri.location, ""
    if ":" in location:
        colon = location.index(":")
        if uri.protocol == "rtsp" and "@" in location[colon + 1 :]:
            colon = location.index(":", colon + 1) if ":" in location[colon + 1 :] else colon
        slash = location.find("/", colon + 1)
        if slash >= 0:
            uri.path = location[slash:]
        port_text = location[colon + 1 : slash if slash >= 0 else None]
        location = location[:colon]
    elif "." not in location:
        port_text, location = location, "0.0.0.0"
    if port_text:
        port = _leading_int(port_text)
        if port is None:
            if uri.protocol != "rtsp":
                return False
            port = 554
        uri.port = port
    uri.location = "0.0.0.0" if location == "@" else location
    return True


@dataclass
class VideoOptions:
    """jetson-utils' videoOptions."""

    resource: URI = field(default_factory=URI)
    save: URI = field(default_factory=URI)
    width: int = 0
    height: int = 0
    frame_rate: float = 0.0
    frame_count: int = 0
    bit_rate: int = 0
    num_buffers: int = 4
    loop: int = 0
    latency: int = 10
    zero_copy: bool = True
    io_type: str = "input"
    device_type: str = "default"
    flip_method: str = "none"
    codec: str = "unknown"
    stun_server: str = ""
    ssl_cert: str = ""
    ssl_key: str = ""

    def as_dict(self) -> dict[str, Any]:
        """PyVideoOptions_ToDict(), what GetOptions() returns."""
        result: dict[str, Any] = {
            "resource": self.resource.as_dict(),
            "width": self.width,
            "height": self.height,
            "framerate": self.frame_rate,
            "codec": self.codec,
        }
        if self.io_type == "output":
            result["bitrate"] = self.bit_rate
        else:
            result["loop"] = self.loop
            result["flipMethod"] = self.flip_method
        result |= {
            "numBuffers": self.num_buffers,
            "zeroCopy": self.zero_copy,
            "deviceType": self.device_type,
            "ioType": self.io_type,
        }
        if self.device_type == "ip":
            result["latency"] = self.latency
        if self.resource.protocol == "webrtc":
            result |= {
                key: value
                for key, value in [
                    ("stunServer", self.stun_server),
                    ("sslCert", self.ssl_cert),
                    ("sslKey", self.ssl_key),
                ]
                if value
            }
        return result


def _device_type(protocol: str) -> str:
    if protocol in ("v4l2", "csi", "file", "display"):
        return protocol
    return "ip" if protocol in IP_PROTOCOLS else "default"


def flip_from_str(name: str | None) -> str:
    if name is None:
        return "none"
    key = name.lower()
    if key in FLIP_METHODS:
        return key
    return {"horizontal": "horizontal-flip", "vertical": "vertical-flip"}.get(key, "none")


def _options_from_dict(values: Any, options: VideoOptions) -> VideoOptions:
    """PyVideoOptions_FromDict()."""
    if not isinstance(values, dict):
        raise Exception(f"{UTILS}options argument should be a dictionary")
    for key in ("resource", "save"):
        if key in values:
            text = values[key]
            if not isinstance(text, str):
                raise Exception(f"{UTILS}URI's should be set as a string")
            if not text:
                raise Exception(f"{UTILS}URI was set with a NULL or empty string")
            uri = URI.parse(text)
            if uri is None:
                raise Exception(f"{UTILS}failed to parse URI string")
            setattr(options, key, uri)
    numbers = {
        "width": "width",
        "height": "height",
        "bitrate": "bit_rate",
        "numBuffers": "num_buffers",
        "loop": "loop",
        "latency": "latency",
    }
    for key, name in numbers.items():
        if key in values:
            setattr(options, name, int(values[key]))
    if "zeroCopy" in values:
        options.zero_copy = bool(values["zeroCopy"])
    if "framerate" in values:
        options.frame_rate = f32(float(values["framerate"]))
    for key, name in (
        ("stunServer", "stun_server"),
        ("sslCert", "ssl_cert"),
        ("sslKey", "ssl_key"),
    ):
        if key in values:
            setattr(options, name, str(values[key]))
    if "codec" in values:
        options.codec = _codec(str(values["codec"]))
    if "flipMethod" in values:
        options.flip_method = flip_from_str(str(values["flipMethod"]))
    return options


def _codec(name: str) -> str:
    return next((codec for codec in CODECS if codec.lower() == name.lower()), "unknown")


def parse_options(
    uri: str | None, argv: list[str], io_type: str, position: int, base: VideoOptions
) -> VideoOptions | None:
    """videoOptions::Parse(): the URI (or positional argument), then --input-* / --output-*
    options over the given ones."""
    options = replace(base, io_type=io_type)
    cmd = CommandLine(argv)
    side = "input" if io_type == "input" else "output"
    headless = cmd.get_flag("no-display") or cmd.get_flag("headless")
    positions = cmd.positions()
    if 0 <= position < len(positions):
        uri = positions[position]
    if not uri and not options.resource.valid():
        uri = "csi://0" if io_type == "input" else (None if headless else "display://0")
    if uri:
        resource = URI.parse(uri)
        if resource is None:
            return None
        options.resource = resource
    elif not options.resource.valid():
        return None
    options.device_type = _device_type(options.resource.protocol)
    options.num_buffers = cmd.get_unsigned("num-buffers", options.num_buffers)
    options.width = cmd.get_unsigned(f"{side}-width", options.width) or cmd.get_unsigned("width")
    options.height = cmd.get_unsigned(f"{side}-height", options.height) or cmd.get_unsigned(
        "height"
    )
    options.frame_rate = cmd.get_float(f"{side}-rate", options.frame_rate) or cmd.get_float(
        "framerate"
    )
    flip = cmd.get_string(f"{side}-flip")
    flip = flip or cmd.get_string(f"{side}-flip-method") or cmd.get_string("flip-method")
    if flip is not None:
        options.flip_method = flip_from_str(flip)
    codec = cmd.get_string(f"{side}-codec")
    if codec is None and io_type == "output":
        codec = cmd.get_string("codec")
    if codec is not None:
        options.codec = _codec(codec)
    if io_type == "output":
        options.bit_rate = cmd.get_unsigned("bitrate", options.bit_rate)
        options.latency = cmd.get_unsigned("output-latency", options.latency)
    else:
        options.loop = cmd.get_int("input-loop", cmd.get_int("loop", options.loop))
        rtsp_latency = cmd.get_unsigned("input-rtsp-latency", options.latency)
        options.latency = cmd.get_unsigned("input-latency", rtsp_latency)
    return options


# --- the synthetic scene -------------------------------------------------------------------


def scene(width: int, height: int, index: int, kind: str = "pattern") -> Array:
    """The synthetic RGB frame number `index` (uint8, height x width x 3)."""
    frame = np.zeros((height, width, 3), np.uint8)
    if kind == "black":
        pass
    elif kind == "white":
        frame[:] = 255
    else:
        if kind == "still":
            index = 0
        rows = np.linspace(20, 70, height, dtype=np.float32)[:, None]
        cols = np.linspace(0, 30, width, dtype=np.float32)[None, :]
        frame[..., 0] = (rows * 0.5 + cols).astype(np.uint8)
        frame[..., 1] = (rows * 0.6).astype(np.uint8)
        frame[..., 2] = (rows + cols * 0.5).astype(np.uint8)
        box_w, box_h = max(width // 5, 2), max(height // 2, 2)
        travel = max(width - box_w, 1)
        phase = index % (2 * travel)
        left = phase if phase < travel else 2 * travel - phase
        top = height // 4
        frame[top : top + box_h, left : left + box_w] = 245
        side = max(min(width, height) // 6, 2)
        frame[height - side - 4 : height - 4, 4 : 4 + side] = (220, 30, 30)
        cv2.circle(frame, (width - side, side), max(side // 2, 1), (40, 200, 60), -1)
    if width and height:
        frame[0, 0] = (index % 256, index // 256 % 256, 0)
    return frame


def apply_flip(frame: Array, method: str) -> Array:
    """An --input-flip method (the rotations swap width and height)."""
    flips = {
        "none": lambda f: f,
        "counterclockwise": lambda f: np.rot90(f, 1),
        "rotate-180": lambda f: np.rot90(f, 2),
        "clockwise": lambda f: np.rot90(f, -1),
        "horizontal-flip": lambda f: f[:, ::-1],
        "vertical-flip": lambda f: f[::-1],
        "upper-left-diagonal": lambda f: np.swapaxes(f, 0, 1),
        "upper-right-diagonal": lambda f: np.rot90(np.swapaxes(f, 0, 1), 2),
    }
    return np.ascontiguousarray(flips[method](frame))


# --- what a source delivers ----------------------------------------------------------------


@dataclass
class Event:
    """What one Capture gets from a feed: a frame, or 'timeout', 'eos' or 'error'."""

    kind: str
    frame: Array | None = None


def _wait(seconds: float | None) -> None:
    duration = 1.0 if seconds is None else seconds  # a fake never waits forever
    if duration > 0 and fake_config.timeout_scale > 0:
        time.sleep(duration * fake_config.timeout_scale)


class Feed:
    """The frames behind a videoSource."""

    width = 0
    height = 0
    rate = 30.0

    @property
    def looping(self) -> bool:
        """Whether the end of the stream starts it again (--input-loop, loops left)."""
        return False

    def open(self) -> bool:
        return True

    def next(self, timeout: float | None) -> Event:
        raise NotImplementedError

    def close(self) -> None:
        pass


class LiveFeed(Feed):
    """A camera (or network stream) showing the synthetic scene in real time."""

    def __init__(self, width: int, height: int, rate: float, kind: str = "pattern") -> None:
        self.width, self.height, self.rate, self.kind = width, height, rate, kind
        self._start: float | None = None
        self._last = -1

    def open(self) -> bool:
        if self._start is None:
            self._start = time.monotonic()
        return True

    def close(self) -> None:
        self._start, self._last = None, -1

    def next(self, timeout: float | None) -> Event:
        if self._start is None:
            self.open()
        assert self._start is not None
        now = time.monotonic()
        latest = int((now - self._start) * self.rate)
        if latest <= self._last:
            due = self._start + (self._last + 1) / self.rate
            if timeout is not None and due - now > timeout:
                _wait(timeout)
                return Event("timeout")
            time.sleep(max(due - now, 0.0))
            latest = self._last + 1
        self._last = latest
        return Event("frame", scene(self.width, self.height, latest, self.kind))


class ScriptedFeed(Feed):
    """fake://...: the synthetic scene with a scripted ending (test scaffolding)."""

    def __init__(
        self, behaviour: str, count: int, query: dict[str, list[str]], options: VideoOptions
    ) -> None:
        self.width = options.width or 320
        self.height = options.height or 240
        self.rate = options.frame_rate or 30.0
        self.behaviour, self.count = behaviour, count
        self.kind = query.get("scene", ["still" if behaviour == "still" else "pattern"])[0]
        self._loops_left = options.loop
        self._timeouts = {
            int(n) for text in query.get("timeouts", []) for n in text.split(",") if n
        }
        self._paced = query.get("paced", ["0"])[0] not in ("0", "")
        self._eos_timeout = query.get("eos_timeout", ["0"])[0] not in ("0", "")
        self._calls = 0
        self._index = 0  # frames delivered since the stream (re)started
        self._number = 0  # frames delivered in all
        self._ended = False
        self._start = time.monotonic()

    @property
    def looping(self) -> bool:
        return self._loops_left != 0

    def open(self) -> bool:
        if self._ended:
            if self._loops_left == 0:
                return False
            self._loops_left -= 1 if self._loops_left > 0 else 0
            self._ended, self._index = False, 0
        return True

    def next(self, timeout: float | None) -> Event:
        call, self._calls = self._calls, self._calls + 1
        if call in self._timeouts:
            _wait(timeout)
            return Event("timeout")
        if self._index >= self.count:
            if self.behaviour == "end-after":
                if self._eos_timeout and not self._ended:
                    self._ended = True
                    _wait(timeout)
                    return Event("timeout")
                self._ended = True
                return Event("eos")
            if self.behaviour == "lost-after":
                return Event("error")
            if self.behaviour == "timeout-after":
                _wait(timeout)
                return Event("timeout")
        if self._paced:
            due = self._start + self._number / self.rate
            time.sleep(max(due - time.monotonic(), 0.0))
        frame = scene(self.width, self.height, self._number, self.kind)
        self._index += 1
        self._number += 1
        return Event("frame", frame)


class VideoFileFeed(Feed):
    """A video file decoded with OpenCV, frame after frame."""

    def __init__(self, path: str, options: VideoOptions) -> None:
        self.path = path
        self._capture = cv2.VideoCapture(path)
        if not self._capture.isOpened():
            raise OSError(path)
        self._size = (options.width, options.height)
        self.width = options.width or int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = options.height or int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.rate = options.frame_rate or float(self._capture.get(cv2.CAP_PROP_FPS) or 30.0)
        self._loops_left = options.loop
        self._ended = False

    @property
    def looping(self) -> bool:
        return self._loops_left != 0

    def open(self) -> bool:
        if self._ended:
            if self._loops_left == 0:
                return False
            self._loops_left -= 1 if self._loops_left > 0 else 0
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            self._ended = False
        return True

    def next(self, timeout: float | None) -> Event:
        ok, frame = self._capture.read()
        if not ok:
            self._ended = True
            return Event("eos")
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        if rgb.shape[1] != self.width or rgb.shape[0] != self.height:
            rgb = cv2.resize(rgb, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        return Event("frame", rgb)

    def close(self) -> None:
        pass


class ImageFilesFeed(Feed):
    """imageLoader: image files, one per Capture; after the last one the stream is no longer
    streaming (IsStreaming() is False at once), and the next Capture is the end."""

    def __init__(self, paths: list[str], options: VideoOptions) -> None:
        self.paths = paths
        self.rate = options.frame_rate
        self._loops_left = options.loop
        self._next = 0
        self.ended = False
        first = cv2.imread(paths[0])
        self.height, self.width = first.shape[:2] if first is not None else (0, 0)

    def open(self) -> bool:
        return not self.ended

    def next(self, timeout: float | None) -> Event:
        path = self.paths[self._next]
        self._next += 1
        if self._next >= len(self.paths):
            if self._loops_left != 0:
                self._loops_left -= 1 if self._loops_left > 0 else 0
                self._next = 0
            else:
                self.ended = True
        frame = cv2.imread(path)
        if frame is None:
            return Event("error")
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        self.height, self.width = rgb.shape[:2]
        return Event("frame", rgb)


def _image_paths(location: str) -> list[str]:
    if os.path.isdir(location):
        names = sorted(os.listdir(location))
        candidates = [os.path.join(location, name) for name in names]
    else:
        candidates = sorted(glob.glob(location))
    return [
        path
        for path in candidates
        if os.path.isfile(path) and path.rsplit(".", 1)[-1].lower() in IMAGE_EXTENSIONS
    ]


def create_feed(options: VideoOptions) -> Feed | None:
    """videoSource::Create(): the source a URI names, or None when it cannot be created."""
    uri = options.resource
    if uri.protocol == "file":
        if uri.extension in VIDEO_EXTENSIONS:
            if not os.path.isfile(uri.location):
                return None
            try:
                return VideoFileFeed(uri.location, options)
            except OSError:
                return None
        paths = _image_paths(uri.location)
        return ImageFilesFeed(paths, options) if paths else None
    if uri.protocol in ("csi", "v4l2") or uri.protocol in ("rtp", "rtsp", "webrtc"):
        return LiveFeed(options.width or 1280, options.height or 720, options.frame_rate or 30.0)
    if uri.protocol == "fake":
        path, _, query_text = uri.location.partition("?")
        parts = [part for part in path.split("/") if part]
        behaviour = parts[0] if parts else "pattern"
        query = parse_qs(query_text)
        if behaviour in ("pattern", "still"):
            return ScriptedFeed(behaviour, 2**62, query, options)
        if behaviour in ("end-after", "lost-after", "timeout-after") and len(parts) == 2:
            count = _leading_int(parts[1])
            if count is not None and count >= 0:
                return ScriptedFeed(behaviour, count, query, options)
        return None
    return None


# --- videoSource ---------------------------------------------------------------------------


def _argv(argv: Any) -> list[str]:
    if argv is NULL or not isinstance(argv, list):
        return []
    return [arg_str(item, "argv") for item in argv]


class videoSource:
    """A video input: camera, stream, file, images (see this module's docstring)."""

    def __init__(
        self, uri: Any = NULL, argv: Any = NULL, positionArg: Any = -1, options: Any = NULL
    ) -> None:
        self.calls: list[Call] = []
        text, position = arg_opt_str(uri, "uri"), arg_int(positionArg, "positionArg")
        args = _argv(argv)
        base = VideoOptions()
        if options is not NULL:
            base = _options_from_dict(options, base)
        parsed = parse_options(text, args, "input", position, base)
        feed = None if parsed is None else create_feed(parsed)
        if parsed is None or feed is None:
            raise Exception(f"{UTILS}failed to create videoSource device")
        self._options, self._feed = parsed, feed
        self._options.width = self._options.width or feed.width
        self._options.height = self._options.height or feed.height
        self._options.frame_rate = self._options.frame_rate or f32(feed.rate)
        self._streaming = False
        self._eos = False
        self._rings: dict[str, list[Array]] = {}
        self._written = 0
        self._timestamp = 0
        self._start_ns = time.monotonic_ns()

    def _open(self) -> bool:
        if not self._feed.open():
            return False
        self._eos = False
        self._streaming = True
        return True

    @method()
    def Open(self) -> None:
        if not self._open():
            raise Exception(f"{UTILS}failed to open videoSource device for streaming")

    @method()
    def Close(self) -> None:
        self._feed.close()
        self._streaming = False

    @method()
    def Capture(
        self, format: Any = "rgb8", timeout: Any = 1000, stream: Any = 0
    ) -> cudaImage | None:
        """The next frame as a cudaImage in `format`; None when no frame came within `timeout`
        milliseconds (negative: wait forever); raises Exception at the end of the stream or
        on an error. The image lives in one of --num-buffers (4) buffers of the source, which
        later frames overwrite."""
        format_name, wait = arg_str(format, "format"), arg_int(timeout, "timeout")
        arg_ulonglong(stream, "stream")
        image_format = format_from_str(format_name) or format_from_str(RAW_FORMAT)
        assert image_format is not None
        seconds = None if wait < 0 else wait / 1000.0
        failure = Exception(f"{UTILS}videoSource failed to capture image")
        if not image_format.packed or image_format.kind == "bayer":
            raise failure
        if (not self._streaming or self._eos) and not self._open():
            raise failure
        event = self._feed.next(seconds)
        if event.kind == "timeout":
            return None
        if event.kind == "eos":
            self._eos = True
            self._streaming = self._feed.looping
            if self._streaming and self._open():  # --input-loop: seek back to the start
                event = self._feed.next(seconds)
            if event.kind == "eos":
                self._eos, self._streaming = True, False
                raise failure
            if event.kind == "timeout":
                return None
        if event.kind == "error" or event.frame is None:
            raise failure
        frame = apply_flip(event.frame, self._options.flip_method)
        if isinstance(self._feed, ImageFilesFeed) and self._feed.ended:
            self._streaming = False
        return self._deliver(frame, image_format)

    def _deliver(self, frame: Array, image_format: ImageFormat) -> cudaImage:
        height, width = frame.shape[:2]
        size = image_format.size(width, height)
        ring = self._rings.setdefault(image_format.name, [])
        if not ring or ring[0].size != size:
            count = max(self._options.num_buffers, 1)
            ring[:] = [register(np.zeros(size, np.uint8)) for _ in range(count)]
        buffer = ring[self._written % len(ring)]
        self._written += 1
        self._options.width, self._options.height = width, height
        self._options.frame_count += 1
        self._timestamp = time.monotonic_ns() - self._start_ns
        image = cudaImage._register_image(
            buffer, width, height, image_format, self._timestamp, self._options.zero_copy, False
        )
        store_rgb(image._view(), image_format, frame.astype(np.float32), None)
        return image

    @method()
    def GetWidth(self) -> int:
        return self._options.width

    @method()
    def GetHeight(self) -> int:
        return self._options.height

    @method()
    def GetFrameRate(self) -> int:
        """Frames per second, as an int (the binding returns a uint32)."""
        return int(self._options.frame_rate)

    @method()
    def GetFrameCount(self) -> int:
        return self._options.frame_count

    @method()
    def GetOptions(self) -> dict[str, Any]:
        return self._options.as_dict()

    @method()
    def IsStreaming(self) -> bool:
        return self._streaming

    @staticmethod
    def Usage() -> str:
        return (
            "videoSource arguments:\n  input  resource URI (csi://0, /dev/video0, file, rtsp://...)\n"
            "  --input-width=WIDTH  --input-height=HEIGHT  --input-rate=RATE\n"
            "  --input-codec=CODEC  --input-decoder=TYPE  --input-flip=FLIP\n"
            "  --input-loop=LOOP  --input-latency=MS  --input-save=FILE  --num-buffers=N\n"
        )


# --- videoOutput ---------------------------------------------------------------------------


class videoOutput:
    """A video output. Nothing is shown or streamed: display://, rtp://, rtsp://, rtmp://,
    rtpmp2ts://, webrtc:// and fake://sink keep what was rendered (`fake_frames`, the number
    rendered; `fake_last_frame`, an RGB uint8 copy of the last one); a video file is written
    with OpenCV; an image file path is written once per frame (with %i replaced by the frame
    number). No URI (with --headless, or when none can be opened) gives jetson-utils' null
    output, which is streaming at once and discards frames. fake://unavailable cannot be
    created; fake://fail-after/N fails to render after N frames."""

    def __init__(
        self, uri: Any = NULL, argv: Any = NULL, positionArg: Any = -1, options: Any = NULL
    ) -> None:
        self.calls: list[Call] = []
        text, position = arg_opt_str(uri, "uri"), arg_int(positionArg, "positionArg")
        args = _argv(argv)
        base = VideoOptions(io_type="output")
        if options is not NULL:
            base = _options_from_dict(options, base)
        parsed = parse_options(text, args, "output", position, base)
        self.fake_frames = 0
        self.fake_last_frame: Array | None = None
        self.fake_status = ""
        self._writer: Any = None
        self._fail_after: int | None = None
        kind = None if parsed is None else self._kind(parsed)
        if parsed is None or kind is None:
            # positionArg is compared as an unsigned number: -1 is past every position
            positions = len(CommandLine(args).positions())
            unspecified = not text and (position < 0 or position >= positions)
            if not unspecified:
                raise Exception(f"{UTILS}failed to create videoOutput device")
            parsed, kind = VideoOptions(io_type="output"), "null"
        self._options, self._kind_name = parsed, kind
        self._streaming = kind in ("null", "display")

    def _kind(self, options: VideoOptions) -> str | None:
        uri = options.resource
        if uri.protocol == "file":
            return "video-file" if uri.extension in VIDEO_EXTENSIONS else "image-file"
        if uri.protocol in IP_PROTOCOLS:
            return "stream"
        if uri.protocol == "display":
            return "display"
        if uri.protocol == "fake":
            parts = [part for part in uri.location.split("?")[0].split("/") if part]
            if parts == ["sink"]:
                return "stream"
            if len(parts) == 2 and parts[0] == "fail-after" and _leading_int(parts[1]) is not None:
                self._fail_after = _leading_int(parts[1])
                return "stream"
        return None

    @method()
    def Open(self) -> None:
        self._streaming = True

    @method()
    def Close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        self._streaming = self._kind_name == "null"

    @method()
    def Render(self, image: Any, stream: Any = 0) -> None:
        """Show, stream or save a cudaImage (rgb/bgr, with or without alpha, 8-bit or float)."""
        arg_ulonglong(stream, "stream")
        picture = get_image(image)
        if picture is None:
            raise Exception(
                f"{UTILS}videoOutput.Render() failed to get image pointer from first arg "
                "(should be cudaImage)"
            )
        fmt = picture._format
        failure = Exception(f"{UTILS}videoOutput failed to render image")
        if fmt.kind not in ("rgb", "bgr"):
            raise failure
        if self._fail_after is not None and self.fake_frames >= self._fail_after:
            raise failure
        if self._kind_name == "null":
            return
        rgb = np.clip(rgb_float(picture._view(), fmt), 0, 255).astype(np.uint8)
        self._options.width = self._options.width or picture.width
        self._options.height = self._options.height or picture.height
        self._streaming = True
        if self._kind_name == "video-file":
            self._write_video(rgb)
        elif self._kind_name == "image-file":
            path = self._options.resource.location
            path = path % self.fake_frames if "%" in path else path
            if not cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
                raise failure
        self.fake_frames += 1
        self._options.frame_count += 1
        self.fake_last_frame = rgb

    def _write_video(self, rgb: Array) -> None:
        if self._writer is None:
            rate = self._options.frame_rate or 30.0
            fourcc = cv2.VideoWriter.fourcc(*"mp4v")
            size = (rgb.shape[1], rgb.shape[0])
            self._writer = cv2.VideoWriter(self._options.resource.location, fourcc, rate, size)
        self._writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

    @method()
    def GetWidth(self) -> int:
        return self._options.width

    @method()
    def GetHeight(self) -> int:
        return self._options.height

    @method()
    def GetFrameRate(self) -> float:
        return f32(self._options.frame_rate)

    @method()
    def GetOptions(self) -> dict[str, Any]:
        return self._options.as_dict()

    @method()
    def IsStreaming(self) -> bool:
        return self._streaming

    @method(f"{UTILS}videoOutput.SetStatus() failed to parse args tuple")
    def SetStatus(self, status: Any, /) -> None:
        text = arg_str(status, "status")
        if text:
            self.fake_status = text

    @staticmethod
    def Usage() -> str:
        return (
            "videoOutput arguments:\n  output  resource URI (display://0, file, rtp://...)\n"
            "  --output-width=WIDTH  --output-height=HEIGHT  --output-rate=RATE\n"
            "  --output-codec=CODEC  --output-encoder=TYPE  --bitrate=BITRATE\n"
            "  --output-save=FILE  --headless\n"
        )
