"""k8s/: every manifest valid against the Kubernetes schemas (kubernetes-validate, strict), and
the pieces fit: each camera group's cameras file parses with cameras.py, its Deployment runs
the app with flags the app knows, its probes, limits and mounts; Services and the Ingress
reach the pods; the Secret is where --auth reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from cameras import read_cameras_file
from cli import build_parser, parse_args
from helpers import ROOT
from sources import InputSpec

K8S = ROOT / "k8s"
VERSIONS = ("1.31.0", kubernetes_validate.latest_version())
LAB_FLAGS = {"--auth"}  # the lead's flag (auth.py), not yet on the command line of this branch


def documents() -> list[dict[str, Any]]:
    return [
        document
        for path in sorted(K8S.glob("*.yaml"))
        for document in yaml.safe_load_all(path.read_text())
        if document
    ]


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [document for document in documents() if document["kind"] == kind]


def named(kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in of_kind(kind) if d["metadata"]["name"] == name]
    return found


def flag_value(args: list[str], flag: str) -> str:
    (value,) = [arg.split("=", 1)[1] for arg in args if arg.startswith(f"{flag}=")]
    return value


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_is_valid_kubernetes(version):
    kinds = set()
    for document in documents():
        kubernetes_validate.validate(document, version, strict=True)
        kinds.add(document["kind"])
        assert document["metadata"].get("namespace", "dnn-dashboard") == "dnn-dashboard"
    assert {"Namespace", "ConfigMap", "Secret", "Deployment", "Service", "Ingress"} <= kinds


def test_each_group_runs_one_pod_of_the_app_on_its_cameras_file(tmp_path):
    deployments = of_kind("Deployment")
    assert len(deployments) >= 2
    names: list[str] = []
    options = {opt for action in build_parser()._actions for opt in action.option_strings}
    for deployment in deployments:
        spec = deployment["spec"]
        assert spec["replicas"] == 1 and spec["strategy"]["type"] == "Recreate"
        pod = spec["template"]["spec"]
        (container,) = pod["containers"]
        args = container["args"]
        assert args[:2] == ["python3", "/opt/dashboard/app.py"]
        flags = [arg.split("=", 1)[0] for arg in args[2:]]
        assert set(flags) - LAB_FLAGS <= options
        parse_args([arg for arg in args[2:] if arg.split("=", 1)[0] not in LAB_FLAGS])
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        # the cameras file: the ConfigMap's key, mounted where --cameras reads it
        cameras = Path(flag_value(args, "--cameras"))
        config_map = named("ConfigMap", volumes[mounts[str(cameras.parent)]]["configMap"]["name"])
        copy = tmp_path / f"{deployment['metadata']['name']}.toml"
        copy.write_text(config_map["data"][cameras.name])
        names += [camera.name for camera in read_cameras_file(copy, InputSpec())]
        # the users file: the Secret's key, where --auth reads it
        users = Path(flag_value(args, "--auth"))
        secret = volumes[mounts[str(users.parent)]]["secret"]["secretName"]
        assert users.name in named("Secret", secret)["stringData"]
    assert len(names) == len(set(names)), "a camera in two groups would be opened twice"


def test_probes_resources_and_an_unprivileged_user():
    for deployment in of_kind("Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        port = container["ports"][0]
        assert port["containerPort"] == 8050
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port["name"]}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port["name"]}
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) == {"cpu", "memory"}
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_services_and_the_ingress_reach_every_group():
    services = {s["metadata"]["name"]: s for s in of_kind("Service")}
    for deployment in of_kind("Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        reaching = [s for s in services.values() if s["spec"]["selector"].items() <= labels.items()]
        assert len(reaching) == 1, deployment["metadata"]["name"]
        assert reaching[0]["spec"]["ports"][0]["targetPort"] == "http"
    (ingress,) = of_kind("Ingress")
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == set(services)
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(notes[f"nginx.ingress.kubernetes.io/{timeout}"]) >= 3600
    assert ingress["spec"]["tls"][0]["hosts"] == [rule["host"] for rule in ingress["spec"]["rules"]]
