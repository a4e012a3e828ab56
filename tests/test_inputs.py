"""Inputs: files that end and loop, image slideshows, flips, a camera that fails and comes back."""

from __future__ import annotations

import functools
import http.server
import logging
import threading
import time

import cv2
import numpy as np
import pytest

import sources
from fake_jetson import installed
from helpers import StillPerson, wait_for
from mjpeg_client import MjpegViewer, decode
from model import ModelSlot
from networks.detection import DetectionModel
from sources import (
    HELD_IMAGE_RATE,
    SLIDESHOW_RATE,
    InputSpec,
    JetsonSource,
    PatternSource,
    Source,
    SourceError,
    flip_frame,
    open_source,
)
from stream import Backoff, CaptureThread, LatestFrame


def write_video(path, frames: int = 10, fps: float = 30.0) -> None:
    """A small MJPG .avi whose frame i is a flat grey of level 20 * i."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (64, 48))
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((48, 64, 3), 20 * i, np.uint8))
    writer.release()


def next_image(source: Source) -> np.ndarray:
    """The source's next frame, where the test expects one (not its end)."""
    image = source.read()
    assert image is not None, "the source ended"
    return image


def final_frame_index(server) -> int:
    """The index of the input's last frame, once it is published. The capture says offline as
    it reads past that frame, which the processing thread, a frame or more behind on a busy
    machine, may not have published yet: wait until it has."""
    wait_for(lambda: server.get("/stats").json()["source"]["state"] == "offline")
    last = server.pipeline._frames.wait_newer(-1, 0)  # no frame comes after offline
    assert last is not None
    wait_for(lambda: (latest := server.pipeline.broadcaster.latest) and latest.index == last.index)
    return last.index


@pytest.mark.parametrize("loop, frames_served", [(0, 10), (2, 30)])
def test_video_file_plays_its_loops_then_ends_and_keeps_serving(
    start_server, tmp_path, loop, frames_served
):
    video = tmp_path / "clip.avi"
    write_video(video)
    server = start_server(open_source(InputSpec(uri=str(video), loop=loop)))
    assert final_frame_index(server) == frames_served - 1
    stats = server.get("/stats").json()
    assert "input ended" in stats["source"]["error"]
    with MjpegViewer(server.host, server.port) as viewer:  # the last frame again, marked
        first, again = viewer.parts(2)  # offline, once a second
    assert first.frame_index == again.frame_index == frames_served - 1
    image = decode(again.body)
    assert image.shape == (48, 64, 3)
    last_level = 20 * 9  # write_video's last frame is a flat grey at this level
    assert abs(int(np.median(image[:10])) - last_level) < 8, "the last frame"
    assert np.abs(image[-16:].astype(int) - last_level).mean() > 20, "with a banner at its foot"


def test_video_file_loops_forever(start_server, tmp_path):
    video = tmp_path / "clip.avi"
    write_video(video)
    server = start_server(open_source(InputSpec(uri=str(video), loop=-1)))
    wait_for(lambda: (latest := server.pipeline.broadcaster.latest) and latest.index > 25)
    assert server.get("/stats").json()["source"]["state"] == "online"


def test_a_single_image_is_held_by_default_and_plays_once_when_asked(tmp_path):
    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.full((30, 40, 3), 90, np.uint8))
    held = open_source(InputSpec(uri=str(still)))
    assert held.pace == HELD_IMAGE_RATE
    assert all(next_image(held)[0, 0, 0] == 90 for _ in range(50))
    once = open_source(InputSpec(uri=f"file://{still}", loop=0))
    assert next_image(once)[0, 0, 0] == 90 and once.read() is None


def test_a_folder_plays_once_by_default(tmp_path):
    for level in (10, 20):
        cv2.imwrite(str(tmp_path / f"{level}.png"), np.full((30, 40, 3), level, np.uint8))
    slideshow = open_source(InputSpec(uri=str(tmp_path)))
    assert slideshow.pace == SLIDESHOW_RATE
    assert [next_image(slideshow)[0, 0, 0] for _ in range(2)] == [10, 20]
    assert slideshow.read() is None


class SlowStillPerson(StillPerson):
    """StillPerson, slower than the capture of a one-frame input."""

    def detect(self, image: np.ndarray, confidence_threshold: float, nms_threshold: float):
        time.sleep(0.3)
        return super().detect(image, confidence_threshold, nms_threshold)


def test_the_frame_served_offline_keeps_the_overlays_of_its_results(start_server, tmp_path):
    still = tmp_path / "grey.png"
    grey = 128
    cv2.imwrite(str(still), np.full((120, 160, 3), grey, np.uint8))
    detector = DetectionModel("still-person", SlowStillPerson())
    slot = ModelSlot(detector, lambda name: detector, ("still-person",))
    server = start_server(open_source(InputSpec(uri=str(still), loop=0)), networks=[slot])
    final_frame_index(server)
    # In async mode the one frame is shown before its result comes: the frame served offline
    # from then on has its overlays (the second part is published after the wait).
    wait_for(lambda: server.get("/results").json()["detection"])
    with MjpegViewer(server.host, server.port) as viewer:
        offline = decode(viewer.parts(2)[-1].body)
    left_edge = offline[20:80, 8:13].astype(int)  # StillPerson's box runs down x = 10
    assert np.abs(left_edge - grey).max() > 60, "the box drawn on the frame served offline"
    assert np.abs(offline[20:80, 100:150].astype(int) - grey).max() < 12, "and nothing else"


def test_image_folder_and_glob_play_as_a_slideshow(tmp_path):
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    for number, colour in enumerate(colours):
        cv2.imwrite(str(tmp_path / f"{number}.png"), np.full((30, 40, 3), colour, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    for uri in (str(tmp_path), str(tmp_path / "*.png")):
        source = open_source(InputSpec(uri=uri, loop=1, rate=5))
        assert source.pace == 5
        shown = [tuple(int(c) for c in next_image(source)[0, 0]) for _ in range(6)]
        assert shown == colours * 2
        assert source.read() is None


def test_still_image_is_resized_when_asked(tmp_path):
    cv2.imwrite(str(tmp_path / "still.jpg"), np.zeros((30, 40, 3), np.uint8))
    source = open_source(InputSpec(uri=str(tmp_path / "still.jpg"), width=80, height=60))
    assert next_image(source).shape == (60, 80, 3)


@pytest.mark.parametrize(
    "uri, reason",
    [
        ("/no/such/clip.mp4", "no such file"),
        ("v4l2:///dev/video99", "no such device"),
        ("csi://0", "GStreamer"),
        ("gopher://example", "unsupported input scheme"),
    ],
)
def test_inputs_that_cannot_open_say_why(uri, reason):
    with pytest.raises(SourceError, match=reason):
        open_source(InputSpec(uri=uri))


def test_a_file_that_is_not_a_video_is_refused(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(SourceError, match="junk.mp4"):
        open_source(InputSpec(uri=str(junk)))


def test_flips_follow_jetson_utils_names():
    image = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    assert np.array_equal(flip_frame(image, "horizontal"), image[:, ::-1])
    assert np.array_equal(flip_frame(image, "vertical"), image[::-1])
    assert np.array_equal(flip_frame(image, "rotate-180"), image[::-1, ::-1])
    assert np.array_equal(flip_frame(image, "clockwise"), np.rot90(image, -1))
    assert np.array_equal(flip_frame(image, "counterclockwise"), np.rot90(image, 1))
    assert np.array_equal(flip_frame(image, "upper-left-diagonal"), image.transpose(1, 0, 2))


def test_test_pattern_moves_and_has_the_asked_size():
    pattern = PatternSource(320, 200, 30)
    first, second = pattern.read(), pattern.read()
    assert first.shape == (200, 320, 3)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize(
    "content, reason",
    [(None, "No such file"), (b"", "not a readable"), (b"not a JPEG", "not a readable")],
)
def test_test_pattern_without_its_picture_says_so(tmp_path, monkeypatch, content, reason):
    photo = tmp_path / "astronaut.jpg"
    if content is not None:
        photo.write_bytes(content)
    monkeypatch.setattr(sources, "PATTERN_PHOTO", photo)
    with pytest.raises(SourceError, match=f"test pattern: .*{reason}"):
        open_source(InputSpec(uri="test://"))


def test_backoff_doubles_up_to_its_cap_and_resets():
    backoff = Backoff(0.5, 10.0)
    assert [backoff.next_delay() for _ in range(7)] == [0.5, 1, 2, 4, 8, 10, 10]
    backoff.reset()
    assert backoff.next_delay() == 0.5


class UnpluggedCamera(PatternSource):
    """Stands in for a camera that is unplugged after `frames` frames."""

    def __init__(self, frames: int) -> None:
        super().__init__(64, 48, 30)
        self.description = "test camera"
        self._frames_left = frames

    def read(self) -> np.ndarray:
        if self._frames_left == 0:
            raise SourceError("test camera: device unplugged")
        self._frames_left -= 1
        return super().read()


def test_lost_source_is_reported_offline_keeps_serving_and_reconnects(start_server, caplog):
    attempts: list[int] = []
    plugged_in = threading.Event()

    def replug() -> UnpluggedCamera:  # the camera is back at the third attempt, once the
        attempts.append(1)  # test has seen the outage
        if len(attempts) < 3:
            raise SourceError("test camera: no such device")
        plugged_in.wait(20)
        return UnpluggedCamera(frames=10_000)

    caplog.set_level(logging.INFO, logger="stream")
    server = start_server(UnpluggedCamera(frames=15), replug, backoff=Backoff(0.3, 0.6))
    outage = wait_for(
        lambda: (s := server.get("/stats").json())["source"]["state"] == "reconnecting" and s
    )
    assert "unplugged" in outage["source"]["error"] or "no such device" in outage["source"]["error"]
    with MjpegViewer(server.host, server.port) as viewer:  # still serving the last frame
        assert viewer.next_part().frame_index <= 15
    plugged_in.set()
    recovered = wait_for(
        lambda: (
            (s := server.get("/stats").json())["source"]["state"] == "online"
            and s["source"]["reconnects"] == 1
            and s
        )
    )
    assert recovered["source"]["error"] is None
    wait_for(lambda: server.pipeline.broadcaster.latest.index > 20)
    assert len(attempts) == 3
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 3, "one line per reconnection attempt, no flood"


class RecordingBackoff(Backoff):
    """A Backoff that records the delays it hands out."""

    def __init__(self) -> None:
        super().__init__(0.01, 0.08)
        self.delays: list[float] = []

    def next_delay(self) -> float:
        self.delays.append(super().next_delay())
        return self.delays[-1]


def test_an_input_that_drops_after_every_frame_keeps_backing_off():
    backoff = RecordingBackoff()
    capture = CaptureThread(
        UnpluggedCamera(frames=1), lambda: UnpluggedCamera(frames=1), LatestFrame(), backoff
    )
    capture.start()
    try:
        wait_for(lambda: len(backoff.delays) >= 6)
    finally:
        capture.stop()
        capture.join(5)
    assert backoff.delays[:6] == [0.01, 0.02, 0.04, 0.08, 0.08, 0.08]


def test_jetson_utils_video_source_is_used_when_importable():
    with installed():
        source = open_source(InputSpec(uri="csi://0", width=320, height=240, flip="rotate-180"))
        assert isinstance(source, JetsonSource)
        options = source._source.GetOptions()  # the fake's videoSource, as jetson-utils made it
        assert options["resource"]["string"] == "csi://0"
        assert (options["width"], options["height"], options["flipMethod"]) == (
            320,
            240,
            "rotate-180",
        )
        assert next_image(source).shape == (240, 320, 3)
        pattern = open_source(InputSpec(uri="fake://pattern"))
        # the fake scene's pixel (0, 0) has the frame number in red: RGB in, BGR out
        assert [tuple(next_image(pattern)[0, 0]) for _ in range(2)] == [(0, 0, 0), (0, 0, 1)]


def test_jetson_utils_end_of_a_file_is_an_end_and_of_a_camera_a_loss(tmp_path):
    clip = tmp_path / "clip.avi"
    write_video(clip, frames=2)
    with installed():
        camera = open_source(InputSpec(uri="fake://lost-after/2?timeouts=1"))
        assert next_image(camera).shape == (240, 320, 3)
        with pytest.raises(SourceError, match="no frame within 1 s"):  # reconnected
            camera.read()
        assert next_image(camera).shape == (240, 320, 3)
        with pytest.raises(SourceError, match="failed to capture"):  # lost: reconnected
            camera.read()
        video = open_source(InputSpec(uri=str(clip)))
        assert [next_image(video).shape for _ in range(2)] == [(48, 64, 3)] * 2
        assert video.read() is None  # the file ended: offline, not reconnected


def test_network_stream_is_read_lost_and_reconnected(start_server):
    """An http:// MJPEG input (another instance of this app), through OpenCV's FFmpeg: it
    is read, reported reconnecting when its server goes away, and read again when it is back."""
    camera = start_server()
    feed = f"{camera.url}/video_feed"
    spec = InputSpec(uri=feed)
    viewer_side = start_server(
        open_source(spec), lambda: open_source(spec), backoff=Backoff(0.2, 0.4)
    )
    wait_for(lambda: (latest := viewer_side.pipeline.broadcaster.latest) and latest.index > 10)
    assert viewer_side.get("/stats").json()["source"]["resolution"] == [320, 240]
    camera.stop()
    wait_for(lambda: viewer_side.get("/stats").json()["source"]["state"] == "reconnecting")
    start_server(port=camera.port)
    recovered = wait_for(
        lambda: (
            (s := viewer_side.get("/stats").json())["source"]["state"] == "online"
            and s["source"]["reconnects"] >= 1
            and s
        )
    )
    assert recovered["source"]["error"] is None


def test_a_video_file_over_http_is_paced_and_ends_like_a_local_one(tmp_path):
    write_video(tmp_path / "clip.avi", frames=5, fps=12)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as web:
        threading.Thread(target=web.serve_forever, daemon=True).start()
        source = open_source(InputSpec(uri=f"http://127.0.0.1:{web.server_port}/clip.avi"))
        try:
            assert source.pace == 12 and source.description.startswith("video file http://")
            levels = [int(next_image(source).mean()) for _ in range(5)]
            assert levels == pytest.approx([0, 20, 40, 60, 80], abs=3)
            assert source.read() is None, "its end is the end, not a lost stream"
        finally:
            source.close()
            web.shutdown()
