"""Outputs besides the MJPEG stream, as jetson-utils' videoOutput has them: the annotated video
written to a video file or to images (--output, --output-save), or the captured video
(--input-save).

`open_output(uri, rate)` makes an Output from a URI, or raises OutputError with a one-line
reason (NotHere for the network and display outputs, which need jetson-utils on a Jetson).
On a Jetson, --output is a JetsonOutput instead: jetson_utils.videoOutput, any URI it knows. The
pipeline calls `write(image, frame)` for every frame it publishes, and `close()` when it
stops. Writing never holds the pipeline up: each output has its own writer thread, frames
queue for it (QUEUE_FRAMES at most; a full queue drops the frame and counts it), and close()
writes what is queued and closes the file.

A video file gets its frames by capture time, so that it plays in real time: each of its
frame slots (1 / rate long) shows the newest frame captured by then, so a frame is repeated
until the next one comes (a gap of more than MAX_GAP_S, an input that was offline, is cut to
MAX_GAP_S), and of frames that come faster than the rate only the last of each slot is kept.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import cv2
import numpy as np

from frame import Frame
from images import device_image, host_view, is_cuda

log = logging.getLogger(__name__)

QUEUE_FRAMES = 60
MAX_GAP_S = 1.0
CLOSE_WAIT_S = 10.0
# jetson-utils' codec names -> OpenCV's FourCC, for those that OpenCV's own FFmpeg encodes
FOURCCS = {"mpeg4": "mp4v", "mjpeg": "MJPG", "vp8": "VP80", "vp9": "VP90"}
# video file suffix -> the codecs it takes here, the first one the default
CONTAINERS = {
    ".mp4": ("mpeg4",),
    ".m4v": ("mpeg4",),
    ".mov": ("mpeg4",),
    ".avi": ("mjpeg", "mpeg4"),
    ".mkv": ("mpeg4", "mjpeg", "vp8", "vp9"),
    ".webm": ("vp8", "vp9"),
}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
# URI schemes of jetson-utils' outputs that are not files: streams and its OpenGL window
NOT_FILES = ("webrtc", "rtp", "rtsp", "rtmp", "rtpmp2ts", "display")


class OutputError(Exception):
    """An output that cannot be opened or written; the message is one line for the user."""


class NotHere(OutputError):
    """An output that needs jetson-utils on a Jetson (a stream, a display window)."""


class Output(Protocol):
    """Where the pipeline sends each frame it publishes, besides the viewers."""

    description: str

    def write(self, image: np.ndarray, frame: Frame) -> None:
        """Take the annotated `image` of `frame`; never blocks."""
        ...

    def close(self) -> None: ...


class _QueuedOutput:
    """An output whose writes happen in its own thread, fed by a bounded queue."""

    def __init__(self, description: str, raw: bool) -> None:
        self.description = description
        self.raw = raw  # write the captured frame, not the annotated one (--input-save)
        self.written = 0  # images written (a video may repeat one to fill a gap)
        self.dropped = 0  # frames left out because the queue was full
        self.failed: str | None = None
        self._queue: queue.Queue[tuple[np.ndarray, float] | None] = queue.Queue(QUEUE_FRAMES)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="output", daemon=True)
        self._thread.start()

    def write(self, image: np.ndarray, frame: Frame) -> None:
        if self._closed or self.failed:
            return
        try:
            self._queue.put_nowait((host_view(frame.image) if self.raw else image, frame.timestamp))
        except queue.Full:
            self.dropped += 1

    def close(self) -> None:
        """Write what is queued, then close; waits CLOSE_WAIT_S at most."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join(CLOSE_WAIT_S)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self.failed:
                continue
            try:
                self._write(*item)
            except Exception as error:  # a full disk, a folder removed: this output stops
                self.failed = f"{type(error).__name__}: {error}"
                log.error("output %s failed, writing stops: %s", self.description, self.failed)
        try:
            self._finish()
        except Exception as error:
            log.error("output %s: closing failed: %s", self.description, error)
        if self.dropped:
            log.warning(
                "output %s: %d frames left out (writing was slower than the video)",
                self.description,
                self.dropped,
            )

    def _write(self, image: np.ndarray, timestamp: float) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        pass


class VideoFileOutput(_QueuedOutput):
    """A video file, written with OpenCV's FFmpeg: .mp4, .mov, .m4v (MPEG-4 part 2), .avi
    (Motion JPEG, or MPEG-4), .mkv, .webm (VP8, VP9). The first frame sets its size."""

    def __init__(
        self, path: Path, rate: float, codec: str | None = None, raw: bool = False
    ) -> None:
        suffix = path.suffix.lower()
        if suffix not in CONTAINERS:
            raise OutputError(
                f"{path}: not a video file this machine writes (one of {', '.join(CONTAINERS)})"
            )
        self.codec = codec.lower() if codec else CONTAINERS[suffix][0]
        if self.codec not in CONTAINERS[suffix]:
            log.warning(
                "%s: OpenCV here cannot write %s into a %s file; written as %s",
                path,
                self.codec,
                suffix,
                CONTAINERS[suffix][0],
            )
            self.codec = CONTAINERS[suffix][0]
        self.path, self.rate = path, rate
        self._fourcc = cv2.VideoWriter.fourcc(*FOURCCS[self.codec])
        self._probe()
        self._writer: cv2.VideoWriter | None = None
        self._size: tuple[int, int] | None = None
        self._first = 0.0  # capture time of the video's first frame
        self._held: np.ndarray | None = None  # the newest frame, not written yet...
        self._held_slot = 0  # ...and its slot: frames written so far
        what = "captured" if raw else "annotated"
        super().__init__(f"{path} ({what} video, {self.codec}, {rate:g} fps)", raw)

    def _probe(self) -> None:
        """OutputError unless a video of this codec can be written at the path."""
        folder = self.path.parent
        if not folder.is_dir():
            raise OutputError(f"{self.path}: no such folder {folder}")
        if not os.access(folder, os.W_OK) or (
            self.path.exists() and not os.access(self.path, os.W_OK)
        ):
            raise OutputError(f"{self.path}: cannot be written (permission denied)")
        writer = cv2.VideoWriter(str(self.path), cv2.CAP_FFMPEG, self._fourcc, self.rate, (64, 64))
        opened = writer.isOpened()
        writer.release()
        self.path.unlink(missing_ok=True)
        if not opened:
            raise OutputError(f"{self.path}: OpenCV cannot write {self.codec} video here")

    def _write(self, image: np.ndarray, timestamp: float) -> None:
        if self._writer is None:
            self._size = (image.shape[1], image.shape[0])
            self._writer = cv2.VideoWriter(
                str(self.path), cv2.CAP_FFMPEG, self._fourcc, self.rate, self._size
            )
            if not self._writer.isOpened():
                raise OSError(f"cannot open a {self._size[0]}x{self._size[1]} video")
            self._first = timestamp
        if (image.shape[1], image.shape[0]) != self._size:
            image = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
        slot = int((timestamp - self._first) * self.rate + 0.5)
        if self._held is not None and slot > self._held_slot:
            copies = slot - self._held_slot
            most = max(1, int(self.rate * MAX_GAP_S))
            if copies > most:  # the input was away: the video skips the gap, after MAX_GAP_S
                self._first += (copies - most) / self.rate
                copies = most
            for _ in range(copies):
                self._writer.write(self._held)
            self.written += copies
            self._held_slot += copies
        self._held = image  # the newest frame of its slot

    def _finish(self) -> None:
        if self._writer is not None:
            if self._held is not None:
                self._writer.write(self._held)
                self.written += 1
            self._writer.release()


class ImageFileOutput(_QueuedOutput):
    """Images, as jetson-utils' imageWriter names them: a path with `%i` (or `*`) is numbered
    from 0, a folder gets 0.jpg, 1.jpg ..., and a plain file name is written over each frame."""

    def __init__(self, path: str, raw: bool = False) -> None:
        pattern = path.replace("*", "%i", 1)
        suffix = Path(pattern).suffix.lower()
        if not suffix:
            if not Path(pattern).is_dir():
                raise OutputError(f"{path}: no such folder")
            pattern = str(Path(pattern) / "%i.jpg")
        elif suffix not in IMAGE_SUFFIXES:
            raise OutputError(
                f"{path}: not a video ({', '.join(CONTAINERS)}) or image "
                f"({', '.join(IMAGE_SUFFIXES)}) file, nor a folder"
            )
        folder = Path(pattern).parent
        if not folder.is_dir():
            raise OutputError(f"{path}: no such folder {folder}")
        if not os.access(folder, os.W_OK):
            raise OutputError(f"{path}: cannot be written (permission denied)")
        self.pattern = pattern
        super().__init__(f"{pattern} (images)", raw)

    def _write(self, image: np.ndarray, timestamp: float) -> None:
        path = self.pattern % self.written if "%" in self.pattern else self.pattern
        if not cv2.imwrite(path, image):
            raise OSError(f"cannot write {path}")
        self.written += 1


class JetsonOutput(_QueuedOutput):
    """jetson_utils.videoOutput on a Jetson: every URI it knows (webrtc://, rtp://, rtsp://,
    rtmp://, display://, a video file, images), encoded by jetson-utils. It renders the
    annotated frame's cudaImage itself when the frame was drawn in mapped memory (images.py),
    else a CUDA copy of the numpy picture."""

    def __init__(self, jetson_utils: Any, uri: str, argv: list[str], raw: bool) -> None:
        self._cuda = jetson_utils
        try:
            self._output = jetson_utils.videoOutput(uri, argv=argv)
        except Exception as error:  # jetson-utils raises a bare Exception on failure
            raise OutputError(f"{uri}: {error}") from error
        super().__init__(f"{uri} (jetson_utils.videoOutput)", raw)

    def _write(self, image: Any, timestamp: float) -> None:
        picture = image if is_cuda(image) else device_image(image)
        if picture is None:
            picture = self._cuda.cudaFromNumpy(np.ascontiguousarray(image), isBGR=True)
        self._output.Render(picture)
        self.written += 1

    def _finish(self) -> None:
        self._output.Close()


def open_output(
    uri: str, rate: float, codec: str | None = None, raw: bool = False, flag: str = "--output"
) -> Output:
    """The output a URI names (given as `flag`): a video file, images, or a folder of images.
    NotHere for a stream or a display, which need jetson-utils; OutputError for a file that
    cannot be written."""
    parsed = urlparse(uri)
    scheme = parsed.scheme.lower()
    if scheme in NOT_FILES:
        what = "a display window" if scheme == "display" else f"a {scheme.upper()} stream"
        raise NotHere(
            f"{flag} {uri}: {what} needs jetson-utils' videoOutput on a Jetson; "
            "here the video is served as MJPEG only (/video_feed)"
        )
    if scheme == "file":
        uri = parsed.netloc + parsed.path
    elif scheme and len(scheme) > 1:
        raise OutputError(f"{uri}: unsupported output scheme '{scheme}://'")
    path = Path(uri)
    if path.suffix.lower() in CONTAINERS:
        return VideoFileOutput(path, rate, codec, raw)
    return ImageFileOutput(uri, raw)
