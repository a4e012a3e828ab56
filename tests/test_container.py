"""docker/Dockerfile built and run with Debian's podman (tools/container.py says how it runs
here, and why its base is a Debian 12 stand-in for python:3.11-slim): the image serves the
test pattern as uid 1000, its health check passes, and NanoDet and MediaPipe run in it on
the pinned requirements alone."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from helpers import ROOT, free_port, wait_for
from mjpeg_client import decode
from tools import container

IMAGE = "localhost/dnn-dashboard:test"


@pytest.fixture(scope="module")
def image() -> str:
    built = container.build(ROOT, ROOT / "docker" / "Dockerfile", IMAGE)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return IMAGE


@pytest.fixture
def started(image) -> Iterator[Callable[..., tuple[str, str]]]:
    """Start the image with extra arguments; its name and URL."""
    names: list[str] = []

    def start(*command: str) -> tuple[str, str]:
        name, port = f"dashboard-{uuid.uuid4().hex[:8]}", free_port()
        ran = container.run(
            "run", "--detach", "--name", name, *container.ulimits(),
            "--publish", f"127.0.0.1:{port}:8050", image, *command,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        names.append(name)
        return name, f"http://127.0.0.1:{port}"

    yield start
    for name in names:
        container.run("rm", "--force", name)


def answers(url: str) -> requests.Response | None:
    try:
        return requests.get(url, timeout=5)
    except requests.ConnectionError:
        return None


@pytest.mark.timeout(2400)
def test_the_image_serves_the_test_pattern_as_a_user_with_a_passing_health_check(started):
    name, url = started()  # the image's own command
    health = wait_for(lambda: answers(url + "/healthz"), timeout=120)
    assert health.json() == {"status": "ok", "source": "online"}
    snapshot = requests.get(url + "/snapshot.jpg", timeout=10)
    assert decode(snapshot.content).shape == (480, 640, 3)
    assert container.run("exec", name, "id", "-u").stdout.strip() == "1000"
    assert container.run("healthcheck", "run", name).returncode == 0
    config = container.run("inspect", "--format", "{{.Config.User}}", name).stdout.strip()
    assert config == "1000"


@pytest.mark.timeout(2400)
def test_the_networks_run_in_the_image(started):
    _, url = started("python3", "/opt/dashboard/app.py", "--host=0.0.0.0", "--detection", "--pose")

    def both_running() -> dict[str, Any] | None:
        response = answers(url + "/stats")
        if response is None:
            return None
        networks = response.json()["networks"]
        return networks if all(n["fps"] > 0 for n in networks.values()) else None

    networks = wait_for(both_running, timeout=180)
    assert {n["network"] for n in networks.values()} == {"nanodet-coco", "mediapipe-body"}
    assert all(n["failures"] == 0 for n in networks.values())
