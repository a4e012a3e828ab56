"""The command line of jetson-inference's Flask example and jetson-utils' video options: every
flag accepted with its meaning, or a one-line warning where it has none on this machine."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import requests

from catalogue import Catalogue, CustomOptions, ModelError, read_colors
from cli import custom_options, input_spec, parse_args, warn_jetson_only
from fake_jetson import installed
from helpers import (
    DATA,
    ROOT,
    StillPerson,
    frame_of,
    free_port,
    run_app,
    self_signed_pair,
    start_app,
    wait_for,
)
from networks import load_model
from networks.detection import DetectionModel
from sources import JetsonSource, open_source

NANODET = str(ROOT / "data/networks/nanodet-coco-416.onnx")
ASTRONAUT = str(DATA / "astronaut.jpg")


class App:
    """`python app.py ARGS` on a free port, serving; stopped with SIGTERM by stop()."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        if env is None:
            self.process = start_app(self.port, *args)
        else:  # start_app's command line, with this environment
            self.process = subprocess.Popen(
                [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(self.port), *args],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def get(self, path: str, scheme: str = "http", **kwargs: Any) -> requests.Response:
        return requests.get(f"{scheme}://127.0.0.1:{self.port}{path}", timeout=5, **kwargs)

    def wait_serving(self, scheme: str = "http", **kwargs: Any) -> dict[str, Any]:
        """/stats, once the app answers it."""

        def stats() -> dict[str, Any] | None:
            assert self.process.poll() is None, self.process.communicate()
            try:
                return self.get("/stats", scheme, **kwargs).json()
            except requests.ConnectionError:
                return None

        return wait_for(stats, timeout=60, interval=0.1)

    def stop(self) -> str:
        """Stop it; its stderr, checked to hold no traceback."""
        self.process.send_signal(signal.SIGTERM)
        try:
            assert self.process.wait(timeout=60) == 0
        finally:
            self.process.kill()
        stderr = self.process.communicate()[1]
        assert "Traceback" not in stderr, stderr
        return stderr


def warnings_in(stderr: str) -> list[str]:
    """The app's WARNING lines, without their time stamps."""
    return [line.split(" WARNING ", 1)[1] for line in stderr.splitlines() if " WARNING " in line]


ORIGINAL_FLAGS = [  # python/www/flask/app.py of jetson-inference
    "--host",
    "--port",
    "--ssl-key",
    "--ssl-cert",
    "--title",
    "--input",
    "--output",
    "--classification",
    "--detection",
    "--segmentation",
    "--background",
    "--action",
    "--pose",
    "--labels",
    "--colors",
    "--input-layer",
    "--output-layer",
]
JETSON_UTILS_FLAGS = [  # jetson-utils' videoOptions::Parse and its usage texts
    "--input-width",
    "--input-height",
    "--input-rate",
    "--input-flip",
    "--input-flip-method",
    "--input-codec",
    "--input-decoder",
    "--input-loop",
    "--input-latency",
    "--input-rtsp-latency",
    "--input-save",
    "--output-width",
    "--output-height",
    "--output-rate",
    "--output-flip",
    "--output-flip-method",
    "--output-codec",
    "--codec",
    "--output-encoder",
    "--output-latency",
    "--output-save",
    "--bitrate",
    "--stun-server",
    "--headless",
    "--no-display",
    "--width",
    "--height",
    "--framerate",
    "--flip-method",
    "--loop",
    "--num-buffers",
    "--log-level",
    "--log-file",
    "--verbose",
    "--debug",
]


def test_help_lists_every_flag_of_the_original_and_of_jetson_utils():
    result = run_app("--help")
    assert result.returncode == 0
    listed = {word.strip(",") for word in result.stdout.split() if word.startswith("--")}
    assert set(ORIGINAL_FLAGS + JETSON_UTILS_FLAGS) - listed == set()


def test_jetson_utils_options_for_input_and_output_stand_for_the_input_ones():
    args = parse_args(
        ["--width=320", "--height=240", "--framerate=12", "--loop=-1", "--flip-method=Vertical"]
    )
    assert (args.input_width, args.input_height, args.input_rate) == (320, 240, 12.0)
    assert (args.input_loop, args.input_flip) == (-1, "vertical")
    args = parse_args(["--width=320", "--input-width=640", "--loop=2", "--input-loop=0"])
    assert (args.input_width, args.input_loop) == (640, 0)
    assert parse_args([]).input_loop is None and parse_args([]).input_flip == "none"


@pytest.mark.parametrize(
    "value, method", [("horizontal-flip", "horizontal"), ("VERTICAL-FLIP", "vertical")]
)
def test_flip_methods_take_jetson_utils_other_names(value, method):
    assert parse_args([f"--input-flip-method={value}"]).input_flip == method


@pytest.mark.parametrize(
    "args",
    [
        ["--width=0"],
        ["--framerate=-1"],
        ["--output-rate=0"],
        ["--bitrate=-5"],
        ["--input-codec=divx"],
        ["--output-encoder=gpu"],
        ["--log-level=loud"],
        ["--flip-method=sideways"],
    ],
)
def test_bad_values_of_jetson_utils_options_exit_2_with_usage(args):
    result = run_app(*args)
    assert result.returncode == 2 and "usage:" in result.stderr
    assert "Traceback" not in result.stderr


def test_jetson_only_options_are_accepted_with_one_warning_naming_them():
    app = App(
        "--input-width=160",
        "--input-height=120",
        "--input-codec=h264",
        "--input-decoder=cpu",
        "--input-latency=200",
        "--output-encoder=cpu",
        "--output-width=1280",
        "--output-height=720",
        "--output-flip=rotate-180",
        "--output-latency=10",
        "--bitrate=4000000",
        "--stun-server=stun.example.org:19302",
        "--num-buffers=4",
        "--headless",
        "--output-codec=h264",
        "--output-rate=30",
    )
    stats = app.wait_serving()
    assert stats["source"]["description"].startswith("test pattern 160x120")
    assert warnings_in(app.stop()) == [
        "--output-encoder, --output-width, --output-height, --output-flip, --output-latency, "
        "--bitrate, --stun-server, --input-codec, --input-decoder, --input-latency, "
        "--num-buffers, --output-codec, --output-rate: no effect here: they are for "
        "jetson-utils' video pipelines on a Jetson"
    ]


def test_with_jetson_utils_the_input_options_go_to_its_video_source(caplog):
    args = parse_args(
        ["--input=rtsp://cam/live", "--input-codec=H264", "--input-latency=200", "--bitrate=1000"]
    )
    with installed():  # an IP stream: its options include the latency
        source = open_source(input_spec(args))
        assert isinstance(source, JetsonSource)
        options = source._source.GetOptions()  # the fake's videoSource, as jetson-utils made it
        assert options["codec"] == "H264" and options["latency"] == 200
        warn_jetson_only(args, source, [])
    assert [r.getMessage() for r in caplog.records] == [
        "--bitrate: no effect here: it is for jetson-utils' video pipelines on a Jetson"
    ]


def test_output_and_input_save_write_the_annotated_and_the_captured_video(tmp_path):
    output, saved = tmp_path / "out.avi", tmp_path / "in.mp4"
    app = App(
        f"--input={ASTRONAUT}",
        "--input-rate=10",
        "--input-loop=-1",
        "--input-width=320",
        "--input-height=240",
        f"--output={output}",
        f"--input-save={saved}",
    )
    app.wait_serving()
    put = requests.put(app.url + "/stream/overlay_stats", data="true", timeout=5)
    assert put.status_code == 200
    shown = lambda: int(app.get("/snapshot.jpg").headers.get("X-Frame-Index", -1))  # noqa: E731
    wait_for(lambda: shown() >= 15, timeout=30)
    stderr = app.stop()
    assert warnings_in(stderr) == []
    assert f"writing {output} (annotated video, mjpeg, 10 fps)" in stderr
    assert f"writing {saved} (captured video, mpeg4, 10 fps)" in stderr
    annotated, captured = (cv2.VideoCapture(str(path)) for path in (output, saved))
    for video in (annotated, captured):
        assert video.get(cv2.CAP_PROP_FPS) == 10
        assert (video.get(cv2.CAP_PROP_FRAME_WIDTH), video.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (
            320,
            240,
        )
        assert video.get(cv2.CAP_PROP_FRAME_COUNT) >= 15
    last_annotated, last_captured = (last_frame(video) for video in (annotated, captured))
    difference = cv2.absdiff(last_annotated, last_captured).max(axis=2)
    assert (difference > 100).sum() > 200  # the stats line, drawn on the stream's frames only
    assert (difference[: 240 - 40] > 60).sum() < 50  # and nothing else (codec noise aside)


def last_frame(video: cv2.VideoCapture) -> np.ndarray:
    image = None
    while True:
        ok, frame = video.read()
        if not ok:
            break
        image = frame
    assert image is not None
    return image


def test_a_stream_output_is_warned_about_and_the_app_serves_on():
    app = App("--output=rtsp://@:8554/my_output", "--input-width=160", "--input-height=120")
    app.wait_serving()
    assert app.get("/snapshot.jpg").status_code in (200, 503)
    assert warnings_in(app.stop()) == [
        "--output rtsp://@:8554/my_output: a RTSP stream needs jetson-utils' videoOutput on a "
        "Jetson; here the video is served as MJPEG only (/video_feed)"
    ]


def test_a_webrtc_output_is_served_with_the_options_it_takes():
    """The original's default output: on a PC, aiortc's, which takes --bitrate and
    --output-codec; the page is told to play it."""
    app = App(
        "--output=webrtc://@:8554/output",
        "--bitrate=2000000",
        "--output-codec=vp8",
        "--output-encoder=cpu",
        "--input-width=160",
        "--input-height=120",
    )
    stats = app.wait_serving()
    assert stats["webrtc"]["output"]["peers"] == 0
    assert 'data-webrtc="/webrtc/output"' in app.get("/").text
    stderr = app.stop()
    assert warnings_in(stderr) == [
        "--output-encoder: no effect here: it is for jetson-utils' video pipelines on a Jetson"
    ]
    assert "writing webrtc://@:8554/output (WebRTC: VP8 at 2 Mbit/s;" in stderr


def test_a_codec_webrtc_does_not_send_here_exits_2_with_one_line():
    result = run_app("--output=webrtc://@:8554/output", "--output-codec=h265")
    assert result.returncode == 2
    assert result.stderr == "error: --output-codec h265: WebRTC here sends h264 or vp8\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--output=/no/such/folder/out.mp4"], "error: /no/such/folder/out.mp4: no such folder"),
        (["--output-save=rtp://10.0.0.2:1234"], "error: --output-save rtp://10.0.0.2:1234: must"),
        (["--input-save=/no/such/folder/"], "error: /no/such/folder/: no such folder"),
    ],
)
def test_an_output_that_cannot_be_written_exits_2_with_one_line(args, message):
    result = run_app(*args)
    assert result.returncode == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr


def test_ssl_cert_and_key_default_to_the_environment(tmp_path):
    cert, key = self_signed_pair(tmp_path)
    env = {**os.environ, "SSL_CERT": str(cert), "SSL_KEY": str(key)}
    app = App("--input-width=160", "--input-height=120", env=env)
    assert app.wait_serving("https", verify=str(cert))["source"]["state"] == "online"
    app.stop()
    lone = run_app(env={"SSL_KEY": str(key), "SSL_CERT": ""})
    assert lone.returncode == 2
    assert "--ssl-cert and --ssl-key go together (also as $SSL_CERT and $SSL_KEY)" in lone.stderr


def test_labels_label_the_one_model_file_given(tmp_path):
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(f"thing {i}" for i in range(169 * 80)))
    app = App(
        f"--classification={NANODET}",  # some ONNX file: its output read as class scores
        f"--labels={labels}",
        "--input-width=160",
        "--input-height=120",
    )
    app.wait_serving()
    threshold = requests.put(app.url + "/classification/confidence_threshold", data="0")
    assert threshold.status_code == 200
    result = wait_for(
        lambda: (r := app.get("/classification/results").json()) and r["classes"] and r,
        timeout=30,
    )
    assert all(c["label"] == f"thing {c['id']}" for c in result["classes"]), result
    assert warnings_in(app.stop()) == []


def test_labels_with_two_model_files_of_your_own_is_a_one_line_error(tmp_path):
    result = run_app(
        f"--classification={NANODET}", f"--detection={NANODET}", f"--labels={tmp_path}/l.txt"
    )
    assert result.returncode == 2
    assert result.stderr == (
        "error: --labels: --classification and --detection both name a model file of your "
        "own; label each with --classification-labels and --detection-labels\n"
    )


def namespace(*argv: str) -> Any:
    return parse_args(list(argv))


def test_labels_and_colors_without_a_model_file_of_yours_are_warned_about(caplog):
    options = custom_options(namespace("--detection=ssd-mobilenet-v2", "--labels=l.txt"))
    assert options["detection"] == CustomOptions()
    custom_options(namespace("--classification=x.onnx", "--colors=c.txt"))
    custom_options(namespace("--input-layer=data", "--output-layer=prob"))
    assert [r.getMessage() for r in caplog.records] == [
        "--labels has no effect: it is for your own model file, and no network flag names "
        "one (catalogue networks bring their own labels)",
        "--colors has no effect: it colours the classes of your own detection model file, "
        "and --detection names none",
        "--input-layer, --output-layer: no effect here: they name TensorRT layers of a model "
        "for jetson-inference, and your own model files run on onnxruntime or MediaPipe",
    ]


def test_labels_go_with_the_type_of_the_one_file_and_colors_with_detection(caplog):
    options = custom_options(
        namespace("--detection=mine.onnx", "--labels=l.txt", "--colors=c.txt", "--pose")
    )
    assert options["detection"] == CustomOptions(labels="l.txt", colors="c.txt")
    assert options["pose"] == CustomOptions()
    options = custom_options(namespace("--classification=mine.tflite", "--labels=l.txt"))
    assert options["classification"].labels == "l.txt"
    assert caplog.records == []
    with pytest.raises(ModelError, match="--labels and --detection-labels both label mine.onnx"):
        custom_options(namespace("--detection=mine.onnx", "--labels=a", "--detection-labels=b"))


def test_a_colors_file_reads_as_jetson_inference_reads_it(tmp_path):
    path = tmp_path / "colors.txt"
    path.write_text("255 0 0\n0 128 0 200\n\n10 20\n300 -5 7.6\nblue\n")
    assert read_colors(path) == [
        (0, 0, 255),  # BGR
        (0, 128, 0),
        (255, 255, 255),  # what a line lacks is 255
        (255, 20, 10),
        (8, 0, 255),
        (255, 255, 255),
    ]
    assert read_colors(None) == []


def test_colors_colour_the_boxes_of_your_own_detector(tmp_path):
    colors = tmp_path / "colors.txt"
    colors.write_text("0 0 255\n")  # class 0, the only one StillPerson finds: blue
    entry = Catalogue().resolve("detection", NANODET, CustomOptions(colors=str(colors)))
    assert load_model(entry).colours == [(255, 0, 0)]
    model = DetectionModel("still", StillPerson())
    model.colours = read_colors(colors)
    image = np.zeros((100, 100, 3), np.uint8)
    model.draw(image, model.process(frame_of(image)))
    assert tuple(image[50, 10]) == (255, 0, 0)  # the box's left edge, at x=10


def test_a_missing_colors_file_is_a_one_line_error(tmp_path):
    result = run_app(f"--detection={NANODET}", f"--colors={tmp_path}/absent.txt")
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {tmp_path}/absent.txt: cannot be read")
    assert result.stderr.count("\n") == 1


def test_log_level_and_log_file_are_jetson_utils(tmp_path):
    log_file = tmp_path / "app.log"
    app = App("--detection=ssd-mobilenet-v2", f"--log-file={log_file}", "--log-level=warning")
    app.wait_serving()
    assert warnings_in(app.stop()) == []
    logged = log_file.read_text()
    assert " WARNING ssd-mobilenet-v2 is a jetson-inference network" in logged
    assert " INFO " not in logged
    quiet = App("--detection=ssd-mobilenet-v2", "--log-level=silent")
    quiet.wait_serving()
    assert quiet.stop() == ""


def test_an_unwritable_log_file_is_a_one_line_error():
    result = run_app("--log-file=/no/such/folder/app.log")
    assert result.returncode == 2
    assert result.stderr.startswith("error: --log-file: ") and result.stderr.count("\n") == 1


def test_the_originals_custom_model_command_line_runs(tmp_path):
    """--detection=<file> --labels --colors --input-layer --output-layer, as one would start
    the original with a model retrained with jetson-inference's train_ssd.py."""
    labels, colors = tmp_path / "labels.txt", tmp_path / "colors.txt"
    labels.write_text("\n".join(f"thing {i}" for i in range(80)))
    colors.write_text("255 0 0\n")
    app = App(
        f"--detection={NANODET}",
        f"--labels={labels}",
        f"--colors={colors}",
        "--input-layer=input_0",
        "--output-layer=scores,boxes",
        "--input-width=160",
        "--input-height=120",
    )
    stats = app.wait_serving()
    assert stats["networks"]["detection"]["network"] == Path(NANODET).stem
    assert warnings_in(app.stop()) == [
        "--input-layer, --output-layer: no effect here: they name TensorRT layers of a model "
        "for jetson-inference, and your own model files run on onnxruntime or MediaPipe"
    ]


def test_warnings_are_logged_at_warning_level(caplog):
    caplog.set_level(logging.INFO)
    custom_options(namespace("--output-layer=x"))
    assert [r.levelname for r in caplog.records] == ["WARNING"]
