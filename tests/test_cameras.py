"""cameras.py and uris.py: cameras from --input flags and from a cameras file; URIs shown
without their credentials."""

from __future__ import annotations

import pytest

from cameras import CamerasError, from_inputs, read_cameras_file
from sources import InputSpec
from uris import redact

DEFAULTS = InputSpec(width=640, height=480, rate=15.0)


@pytest.mark.parametrize(
    "uri, shown",
    [
        (
            "rtsp://admin:hunter2@10.0.0.5:554/s?channel=1",
            "rtsp://admin:***@10.0.0.5:554/s?channel=1",
        ),
        (
            "http://cam/mjpg?user=me&password=hunter2&fps=5",
            "http://cam/mjpg?user=me&password=***&fps=5",
        ),
        ("rtsp://cam/live?token=hunter2", "rtsp://cam/live?token=***"),
        ("rtsp://admin@cam/live", "rtsp://admin@cam/live"),
        ("test://", "test://"),
        ("/dev/video0", "/dev/video0"),
        ("csi://0", "csi://0"),
    ],
)
def test_credentials_never_show(uri, shown):
    assert redact(uri) == shown
    assert "hunter2" not in redact(uri)


def test_each_input_is_a_camera_with_the_common_options():
    cameras = from_inputs(["test://", "rtsp://a:b@cam/1"], DEFAULTS)
    assert [camera.name for camera in cameras] == ["camera1", "camera2"]
    assert cameras[1].input == InputSpec("rtsp://a:b@cam/1", 640, 480, 15.0)


def test_a_cameras_file_names_each_camera_and_its_options(tmp_path):
    path = tmp_path / "cameras.toml"
    path.write_text(
        '[[camera]]\nname = "door"\ninput = "rtsp://u:p@10.0.0.5/1"\nwidth = 320\n\n'
        '[[camera]]\nname = "lab"\ninput = "test://"\nrate = 10\nflip = "rotate-180"\n'
        "loop = -1\n"
    )
    door, lab = read_cameras_file(path, DEFAULTS)
    assert door.name == "door" and door.input == InputSpec("rtsp://u:p@10.0.0.5/1", 320, 480, 15.0)
    assert lab.input == InputSpec("test://", 640, 480, 10.0, loop=-1, flip="rotate-180")


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "expected one or more [[camera]] tables"),
        ("camera = 3", "expected one or more [[camera]] tables"),
        ('[[camera]]\nname = "a"\ninput = "test://"\n[other]\n', "unknown key(s) other"),
        ('[[camera]]\nname = "Door 1"\ninput = "test://"', "name must be"),
        ('[[camera]]\nname = "a"', "input (a URI) is required"),
        ('[[camera]]\nname = "a"\ninput = "test://"\nfps = 3', "unknown option(s) fps"),
        ('[[camera]]\nname = "a"\ninput = "test://"\nwidth = "640"', "width must be a int"),
        ('[[camera]]\nname = "a"\ninput = "test://"\nwidth = 0', "width must be positive"),
        ('[[camera]]\nname = "a"\ninput = "test://"\nflip = "up"', "flip must be one of"),
        ('[[camera]]\nname = "a"\ninput = "test://"\nloop = -2', "loop must be -1"),
        (
            '[[camera]]\nname = "a"\ninput = "x"\n[[camera]]\nname = "a"\ninput = "y"',
            "used twice: a",
        ),
        ("[[camera]\n", "not TOML"),
    ],
)
def test_a_bad_cameras_file_is_one_line_saying_what_and_where(tmp_path, text, problem):
    path = tmp_path / "cameras.toml"
    path.write_text(text)
    with pytest.raises(CamerasError) as raised:
        read_cameras_file(path, DEFAULTS)
    assert problem in str(raised.value) and "\n" not in str(raised.value)


def test_a_missing_cameras_file(tmp_path):
    with pytest.raises(CamerasError, match="No such file"):
        read_cameras_file(tmp_path / "none.toml", DEFAULTS)
