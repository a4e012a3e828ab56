"""Outputs besides the stream (outputs.py): video files and images written from the frames the
pipeline publishes, read back with OpenCV."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from frame import Frame
from outputs import (
    QUEUE_FRAMES,
    ImageFileOutput,
    NotHere,
    OutputError,
    VideoFileOutput,
    open_output,
)
from sources import PatternSource
from stream import Pipeline

RATE = 10.0


def grey(level: int, width: int = 96, height: int = 64) -> np.ndarray:
    return np.full((height, width, 3), level, np.uint8)


def frames_of(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    capture.release()
    return frames


@pytest.mark.parametrize(
    "name, codec",
    [
        ("out.mp4", None),
        ("out.mov", "mpeg4"),
        ("out.avi", None),
        ("out.avi", "mpeg4"),
        ("out.mkv", "mjpeg"),
        ("out.mkv", "vp8"),
        ("out.webm", "vp9"),
    ],
)
def test_a_video_file_holds_the_frames_written_in_order(tmp_path, name, codec):
    output = open_output(str(tmp_path / name), RATE, codec)
    assert isinstance(output, VideoFileOutput)
    for index, level in enumerate((30, 120, 220)):
        output.write(grey(level), Frame(grey(0), index, 1000.0 + index / RATE))
    output.close()
    frames = frames_of(tmp_path / name)
    assert [frame.shape for frame in frames] == [(64, 96, 3)] * 3
    assert [round(frame.mean() / 10) for frame in frames] == [3, 12, 22]


def test_a_video_plays_in_real_time_whatever_the_rate_frames_come_at(tmp_path):
    output = VideoFileOutput(tmp_path / "out.avi", RATE)
    times = [0.0, 0.3, 0.32, 0.34, 10.3, 10.4]  # a slow frame, two fast ones, then a gap of 10 s
    for index, (level, time) in enumerate(zip((20, 60, 100, 140, 180, 220), times)):
        output.write(grey(level), Frame(grey(0), index, 500.0 + time))
    output.close()
    levels = [round(frame.mean() / 20) for frame in frames_of(tmp_path / "out.avi")]
    assert levels[:3] == [1, 1, 1]  # 20 shown until 60 comes, 0.3 s later at 10 fps
    assert levels[3:13] == [7] * 10  # 60 and 100 share their slot with 140, the last; the
    assert levels[13:] == [9, 11]  # 10 s until 180 comes is cut to 1 s
    assert output.written == len(levels) == 15


def test_a_frame_of_another_size_is_scaled_to_the_videos(tmp_path):
    output = VideoFileOutput(tmp_path / "out.avi", RATE)
    output.write(grey(100), Frame(grey(0), 0, 0.0))
    output.write(grey(200, 320, 240), Frame(grey(0), 1, 0.1))
    output.close()
    assert [frame.shape for frame in frames_of(tmp_path / "out.avi")] == [(64, 96, 3)] * 2


def test_a_raw_output_writes_the_captured_frame_not_the_annotated_one(tmp_path):
    output = VideoFileOutput(tmp_path / "in.avi", RATE, raw=True)
    output.write(grey(250), Frame(grey(10), 0, 0.0))
    output.close()
    assert frames_of(tmp_path / "in.avi")[0].mean() < 20


def test_a_codec_this_machine_cannot_write_falls_back_with_a_warning(tmp_path, caplog):
    output = VideoFileOutput(tmp_path / "out.mp4", RATE, "h264")
    output.close()
    assert output.codec == "mpeg4"
    assert [r.getMessage() for r in caplog.records] == [
        f"{tmp_path / 'out.mp4'}: OpenCV here cannot write h264 into a .mp4 file; written as mpeg4"
    ]


@pytest.mark.parametrize(
    "uri, problem",
    [
        ("/no/such/folder/out.mp4", "/no/such/folder/out.mp4: no such folder /no/such/folder"),
        ("out.mp3", "out.mp3: not a video (.mp4, .m4v, .mov, .avi, .mkv, .webm) or image"),
        ("/no/such/folder/", "/no/such/folder/: no such folder"),
        ("ftp://host/out.mp4", "ftp://host/out.mp4: unsupported output scheme 'ftp://'"),
    ],
)
def test_an_output_that_cannot_be_written_is_a_one_line_error(uri, problem):
    with pytest.raises(OutputError) as raised:
        open_output(uri, RATE)
    assert str(raised.value).startswith(problem) and "\n" not in str(raised.value)
    assert not isinstance(raised.value, NotHere)


def test_a_folder_that_cannot_be_written_is_refused_at_once():
    """/proc takes no files, not even from root (who may write into any read-only folder)."""
    with pytest.raises(OutputError) as raised:
        open_output("/proc/out.avi", RATE)
    assert str(raised.value).startswith("/proc/out.avi: ") and "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "uri, what",
    [
        ("webrtc://@:8554/output", "a WEBRTC stream"),
        ("rtp://192.168.1.2:1234", "a RTP stream"),
        ("rtsp://@:8554/my_stream", "a RTSP stream"),
        ("display://0", "a display window"),
    ],
)
def test_streams_and_displays_need_a_jetson(uri, what):
    with pytest.raises(NotHere) as raised:
        open_output(uri, RATE)
    assert str(raised.value) == (
        f"--output {uri}: {what} needs jetson-utils' videoOutput on a Jetson; "
        "here the video is served as MJPEG only (/video_feed)"
    )


def test_file_uris_are_paths(tmp_path):
    output = open_output(f"file://{tmp_path}/out.avi", RATE)
    output.close()
    assert isinstance(output, VideoFileOutput) and output.path == tmp_path / "out.avi"


@pytest.mark.parametrize(
    "name, written",
    [
        ("frame-%i.png", ["frame-0.png", "frame-1.png", "frame-2.png"]),
        ("frame-*.jpg", ["frame-0.jpg", "frame-1.jpg", "frame-2.jpg"]),
        ("", ["0.jpg", "1.jpg", "2.jpg"]),  # the folder itself
        ("last.jpg", ["last.jpg"]),  # written over at each frame
    ],
)
def test_images_are_named_as_jetson_utils_names_them(tmp_path, name, written):
    output = open_output(str(tmp_path / name) if name else str(tmp_path), RATE)
    assert isinstance(output, ImageFileOutput)
    for index, level in enumerate((10, 100, 200)):
        output.write(grey(level), Frame(grey(0), index, float(index)))
    output.close()
    assert sorted(path.name for path in tmp_path.iterdir()) == written
    last = cv2.imread(str(tmp_path / written[-1]))
    assert last is not None and abs(last.mean() - 200) < 3


class SlowOutput(VideoFileOutput):
    """A video file whose writer waits for `go` before its first frame."""

    def __init__(self, path: Path) -> None:
        self.go = threading.Event()
        super().__init__(path, RATE)

    def _write(self, image: np.ndarray, timestamp: float) -> None:
        self.go.wait()
        super()._write(image, timestamp)


def test_a_full_queue_drops_frames_and_never_blocks_the_caller(tmp_path, caplog):
    output = SlowOutput(tmp_path / "out.avi")
    sent = QUEUE_FRAMES + 10
    for index in range(sent):
        output.write(grey(index), Frame(grey(0), index, index / RATE))
    assert output.dropped in (9, 10)  # the writer may have taken the first frame off the queue
    output.go.set()
    output.close()
    assert output.written == len(frames_of(tmp_path / "out.avi")) == sent - output.dropped
    assert f"{output.dropped} frames left out" in caplog.records[-1].getMessage()


class Recorder:
    """An output that keeps what it is given."""

    description = "recorder"

    def __init__(self) -> None:
        self.frames: list[tuple[np.ndarray, Frame]] = []
        self.closed = False

    def write(self, image: np.ndarray, frame: Frame) -> None:
        self.frames.append((image, frame))

    def close(self) -> None:
        self.closed = True


def test_the_pipeline_hands_every_published_frame_to_its_outputs_and_closes_them():
    recorder = Recorder()
    source = PatternSource(64, 48, 30)
    pipeline = Pipeline(source, lambda: source, outputs=[recorder])
    pipeline.stream.overlay_stats = True  # the published image differs from the captured one
    pipeline.start()
    try:
        deadline = threading.Event()
        while len(recorder.frames) < 5 and not deadline.wait(0.05):
            pass
    finally:
        pipeline.stop()
    assert recorder.closed
    indices = [frame.index for _, frame in recorder.frames]
    assert indices == sorted(set(indices)) and len(indices) >= 5
    image, frame = recorder.frames[-1]
    assert image is not frame.image and image.shape == frame.image.shape
    latest = pipeline.broadcaster.latest
    assert latest is not None and latest.index == frame.index


def test_logging_is_quiet_for_a_good_file(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    output = open_output(str(tmp_path / "out.mp4"), RATE)
    output.write(grey(1), Frame(grey(0), 0, 0.0))
    output.close()
    assert caplog.records == []
