"""podman on this machine, for tests/test_container.py: how it runs here, and the stand-in for
the PC image's base.

Debian's podman runs here as root with no systemd, given three things: runc (crun refuses
this machine's mix of cgroup v1 and v2), the cgroupfs cgroup manager, and ulimits no higher
than this process's own (podman's defaults are higher, and raising them is not allowed here).

Docker Hub cannot be reached from here, so python:3.11-slim-bookworm cannot be pulled. Its
stand-in is Debian 12 itself: debootstrap's minimal system with Debian's python3 (3.11) and
venv, imported as an image, and given this machine's certificate authorities (PIP_CERT) so
that pip in the build reaches PyPI as it does on the host. The Dockerfile is built as it is,
with --build-arg PYTHON_IMAGE naming the stand-in.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

BASE_IMAGE = "localhost/debian-python:3.11"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BASE_PACKAGES = "python3,python3-venv,ca-certificates"


def podman() -> list[str]:
    """The podman command with this machine's options (the module docstring says why)."""
    found = shutil.which("podman")
    assert found, "podman is not installed: ./setup.sh --test installs it"
    return [found, "--runtime", "runc", "--cgroup-manager", "cgroupfs"]


def ulimits() -> list[str]:
    """--ulimit options no higher than this process's own limits."""
    files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return ["--ulimit", f"nofile={files}:{files}", "--ulimit", "nproc=4096:4096"]


def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*podman(), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def ensure_base_image() -> str:
    """The stand-in for python:3.11-slim-bookworm, made once (kept in podman's storage)."""
    if run("image", "exists", BASE_IMAGE).returncode == 0:
        return BASE_IMAGE
    with tempfile.TemporaryDirectory(prefix="debian-python-") as folder:
        root = Path(folder) / "root"
        subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={BASE_PACKAGES}", "bookworm",
             str(root), DEBIAN_MIRROR],
            check=True, capture_output=True, timeout=1200,
        )  # fmt: skip
        shutil.copyfile(HOST_CA_BUNDLE, root / "etc/ssl/certs/ca-certificates.crt")
        archive = Path(folder) / "root.tar"
        subprocess.run(["tar", "-C", str(root), "-cf", str(archive), "."], check=True)
        imported = run("import", "--change", f"ENV PIP_CERT={HOST_CA_BUNDLE}", str(archive),
                       BASE_IMAGE)  # fmt: skip
        assert imported.returncode == 0, imported.stderr
    return BASE_IMAGE


def build(context: Path, dockerfile: Path, tag: str) -> subprocess.CompletedProcess[str]:
    """Build `dockerfile` on the stand-in base, in Docker's format (OCI's has no HEALTHCHECK)."""
    return run(
        "build", "--format", "docker", *ulimits(), "--build-arg",
        f"PYTHON_IMAGE={ensure_base_image()}", "-f", str(dockerfile), "-t", tag, str(context),
        timeout=1800,
    )  # fmt: skip
