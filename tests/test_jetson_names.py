"""jetson-inference's network names: in the catalogue with their aliases, run on a PC through
their stand-ins, and run as themselves once a "jetson" backend is registered and can run."""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests

from backends import registry
from backends.registry import Backend
from catalogue import Catalogue, CatalogueError, ModelError, describe
from helpers import free_port, list_models_rows, run_app, start_app, wait_for
from networks import create_slot
from utils import PropertyRegistry

# jetson-inference's built-in networks of our six types (its data/networks/models.json), with
# the stand-in each has on a PC.
JETSON_NETWORKS = {
    "classification": dict.fromkeys(
        (
            "alexnet",
            "googlenet",
            "googlenet-12",
            "resnet-18",
            "resnet-50",
            "resnet-101",
            "resnet-152",
            "vgg-16",
            "vgg-19",
            "inception-v4",
            "resnet18-tagging-voc",
        ),
        "efficientnet-lite0",
    ),
    "detection": dict.fromkeys(
        (
            "ssd-mobilenet-v1",
            "ssd-mobilenet-v2",
            "ssd-inception-v2",
            "peoplenet_deployable_quantized_v2.6.1",
            "peoplenet_pruned_quantized_v2.3.2",
            "dashcamnet_pruned_v1.0.3",
            "trafficcamnet_pruned_v1.0.3",
            "facedetect_pruned_quantized_v2.0.1",
            "pednet",
            "multiped",
            "facenet",
            "coco-airplane",
            "coco-bottle",
            "coco-chair",
            "coco-dog",
        ),
        "nanodet-coco",
    ),
    "segmentation": {
        f"fcn-resnet18-{name}": "deeplabv3-voc"
        for name in (
            "cityscapes-512x256",
            "cityscapes-1024x512",
            "cityscapes-2048x1024",
            "deepscene-576x320",
            "deepscene-864x480",
            "mhp-512x320",
            "mhp-640x360",
            "voc-320x320",
            "voc-512x320",
            "sun-512x400",
            "sun-640x512",
        )
    },
    "pose": {
        "resnet18-body": "mediapipe-body",
        "resnet18-hand": "mediapipe-hands",
        "densenet121-body": "mediapipe-body",
    },
    "action": {"resnet-18": "pose-actions", "resnet-34": "pose-actions"},
    "background": {"u2net": "u2netp"},
}


@pytest.fixture(autouse=True)
def on_a_pc(monkeypatch: pytest.MonkeyPatch) -> None:
    """No jetson_inference in this process, as on a PC, whatever is installed."""
    monkeypatch.setitem(sys.modules, "jetson_inference", None)


def not_here() -> str:
    """Why the jetson entries cannot run on a PC: no "jetson" backend registered, or, once
    backends/jetson.py is, no jetson_inference."""
    entry = Catalogue().named("detection", "ssd-mobilenet-v2")
    assert entry is not None
    problem = entry.backend_problem()
    assert problem in (
        'backend "jetson" is not installed',
        "needs the Python package jetson_inference",
        "needs the Python packages jetson_inference, jetson_utils",
    )
    return problem


def jetson_entries(catalogue: Catalogue) -> dict[str, dict[str, Any]]:
    return {
        network_type: {e.name: e.on_pc for e in catalogue.of_type(network_type) if e.on_pc}
        for network_type in JETSON_NETWORKS
    }


def test_every_jetson_inference_network_of_our_types_is_catalogued_with_its_stand_in(catalogue):
    assert jetson_entries(catalogue) == JETSON_NETWORKS
    for entry in catalogue.entries:
        if entry.on_pc:
            assert entry.backend == "jetson" and entry.files == {}, entry.name
            assert entry.description.startswith("jetson-inference "), entry.name
            assert "on a PC" in entry.description, entry.name


@pytest.mark.parametrize(
    "network_type, alias, name",
    [
        ("classification", "resnet18", "resnet-18"),
        ("classification", "resnet_18_tagging", "resnet18-tagging-voc"),
        ("detection", "ssd-mobilenet", "ssd-mobilenet-v2"),
        ("detection", "peoplenet", "peoplenet_deployable_quantized_v2.6.1"),
        ("detection", "peoplenet-pruned", "peoplenet_pruned_quantized_v2.3.2"),
        ("detection", "facedetect", "facedetect_pruned_quantized_v2.0.1"),
        ("detection", "dashcamnet", "dashcamnet_pruned_v1.0.3"),
        ("detection", "trafficcamnet", "trafficcamnet_pruned_v1.0.3"),
        ("detection", "face-120", "facenet"),
        ("detection", "coco_dog", "coco-dog"),
        ("segmentation", "fcn-resnet18-mhp", "fcn-resnet18-mhp-512x320"),
        ("segmentation", "fcn_resnet18_pascal_voc_320x320", "fcn-resnet18-voc-320x320"),
        ("segmentation", "fcn-resnet18-cityscapes", "fcn-resnet18-cityscapes-512x256"),
        ("pose", "resnet18_hand", "resnet18-hand"),
        ("action", "resnet18", "resnet-18"),
        ("action", "resnet18-kinetics", "resnet-18"),
        ("action", "resnet34-kinetics", "resnet-34"),
    ],
)
def test_jetson_inference_aliases_name_their_network_of_that_type(
    catalogue, network_type, alias, name
):
    entry = catalogue.named(network_type, alias)
    assert entry is not None and entry.name == name
    assert catalogue.named(network_type, alias.upper()) is entry


@pytest.mark.parametrize(
    "network_type, name, stand_in",
    [
        ("detection", "ssd-mobilenet-v2", "nanodet-coco"),
        ("classification", "resnet18", "efficientnet-lite0"),
        ("segmentation", "fcn-resnet18-mhp", "deeplabv3-voc"),
        ("pose", "resnet18-hand", "mediapipe-hands"),
        ("pose", "resnet18-body", "mediapipe-body"),
        ("action", "resnet18-kinetics", "pose-actions"),
        ("background", "u2net", "u2netp"),
    ],
)
def test_on_a_pc_a_jetson_name_finds_its_stand_in_and_says_so_in_one_line(
    catalogue, caplog, network_type, name, stand_in
):
    caplog.set_level(logging.INFO, logger="catalogue")
    assert catalogue.find(network_type, name).name == stand_in
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    message = caplog.records[0].getMessage()
    entry = catalogue.named(network_type, name)
    assert entry is not None
    asked = name if name == entry.name else f"{name} ({entry.name})"
    assert message == (
        f"{asked} is a jetson-inference network; on this machine {stand_in} runs in its place "
        f"({not_here()})"
    )


def test_the_ssd_mobilenet_line_reads_as_documented(catalogue, caplog):
    catalogue.find("detection", "ssd-mobilenet-v2")
    assert (
        caplog.records[0]
        .getMessage()
        .startswith(
            "ssd-mobilenet-v2 is a jetson-inference network; on this machine nanodet-coco runs "
            "in its place"
        )
    )


def test_on_a_pc_the_network_select_offers_the_portable_networks_only(catalogue):
    """The jetson names are not choices of PUT /<type>/network on a PC: there they would
    only be other names of the network already listed."""
    for network_type, names in JETSON_NETWORKS.items():
        runnable = {entry.name for entry in catalogue.runnable(network_type)}
        assert runnable and runnable.isdisjoint(names), network_type
    slot = create_slot(catalogue, "detection", "ssd-mobilenet-v2")
    properties = PropertyRegistry()
    slot.declare_properties(properties)
    network = properties.get("/detection/network")
    assert network is not None
    assert slot.network == "nanodet-coco"
    assert network.choices == ("nanodet-coco", "hog-people")


class RunnableJetson(Backend):
    """Stands for backends/jetson.py on a Jetson: registered as "jetson", able to run."""

    name = "jetson"
    requires: ClassVar[tuple[str, ...]] = ()

    def __init__(self, entry: Any) -> None:
        self.entry = entry


class JetsonWithoutItsPackage(RunnableJetson):
    """backends/jetson.py on a PC: registered, its package absent."""

    requires: ClassVar[tuple[str, ...]] = ("jetson_inference",)


def test_where_the_jetson_backend_runs_the_jetson_names_are_themselves(monkeypatch, caplog):
    monkeypatch.setitem(registry._REGISTERED, "jetson", RunnableJetson)
    catalogue = Catalogue()
    entry = catalogue.find("detection", "ssd-mobilenet-v2")
    assert (entry.name, entry.backend) == ("ssd-mobilenet-v2", "jetson")
    assert catalogue.find("action", "resnet18-kinetics").name == "resnet-18"
    assert caplog.records == []
    runnable = [entry.name for entry in catalogue.runnable("pose")]
    assert runnable == ["mediapipe-body", "mediapipe-hands", *JETSON_NETWORKS["pose"]]
    assert catalogue.default("pose").name == "mediapipe-body"
    rows = {line.split()[1]: line.split()[3] for line in list_models_rows(describe(catalogue))}
    assert rows["ssd-mobilenet-v2"] == "yes" and rows["nanodet-coco"] == "yes"
    assert "->" not in describe(catalogue)


def test_where_the_jetson_backend_lacks_its_package_the_stand_in_runs(monkeypatch, caplog):
    monkeypatch.setitem(registry._REGISTERED, "jetson", JetsonWithoutItsPackage)
    catalogue = Catalogue()
    assert catalogue.find("detection", "ssd-mobilenet-v2").name == "nanodet-coco"
    assert (
        caplog.records[0]
        .getMessage()
        .endswith("runs in its place (needs the Python package jetson_inference)")
    )
    assert "ssd-mobilenet-v2" not in [entry.name for entry in catalogue.runnable("detection")]


def test_a_jetson_name_whose_stand_in_cannot_run_either_is_a_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # as if it were not installed
    catalogue = Catalogue()
    with pytest.raises(ModelError) as raised:
        catalogue.resolve("pose", "resnet18-body")
    assert str(raised.value) == (
        f"pose network resnet18-body cannot run here ({not_here()}), nor can mediapipe-body, "
        "which stands in for it: needs the Python package mediapipe"
    )
    table = describe(catalogue).split("\n\n")[0]
    rows = {line.split()[1]: line for line in list_models_rows(table)}
    assert f"no: {not_here()}, nor its stand-in mediapipe-body: needs" in rows["resnet18-body"]


def test_an_unknown_name_mentions_the_jetson_names():
    with pytest.raises(ModelError, match=r"valid names: nanodet-coco, hog-people, jetson-inf"):
        Catalogue().find("detection", "yolo9000")


def write(folder: Path, *networks: dict[str, Any]) -> Path:
    path = folder / "models.json"
    path.write_text(json.dumps({"networks": list(networks)}))
    return path


HOG = {"name": "hog-people", "type": "detection", "backend": "opencv-hog", "aliases": ["hog"]}
PEDNET = {"name": "pednet", "type": "detection", "backend": "jetson", "on_pc": "hog-people"}


def test_an_entry_with_a_stand_in_may_name_a_backend_not_registered(tmp_path, caplog):
    catalogue = Catalogue(write(tmp_path, HOG, {**PEDNET, "aliases": ["pednet", "ped-100"]}))
    assert catalogue.find("detection", "ped-100").name == "hog-people"
    assert "ped-100 (pednet) is a jetson-inference network" in caplog.records[0].getMessage()


@pytest.mark.parametrize(
    "networks, problem",
    [
        (
            [HOG, {**PEDNET, "on_pc": "nanodet-coco"}],
            'networks[1] (pednet): "on_pc": no detection network is named "nanodet-coco"',
        ),
        (
            [HOG, {**PEDNET, "on_pc": "hog"}],  # an alias is not enough
            'networks[1] (pednet): "on_pc": no detection network is named "hog"',
        ),
        (
            [HOG, {**PEDNET, "type": "pose"}],
            'networks[1] (pednet): "on_pc": no pose network is named "hog-people"',
        ),
        (
            [HOG, PEDNET, {**PEDNET, "name": "multiped", "on_pc": "pednet"}],
            'networks[2] (multiped): "on_pc": pednet has a stand-in of its own',
        ),
        (
            [HOG, {**PEDNET, "aliases": ["HOG"]}],
            'networks[1] (pednet): "hog" already names detection network hog-people',
        ),
        (
            [HOG, {**PEDNET, "on_pc": 3}],
            'networks[1] (pednet): "on_pc" must be a string',
        ),
        (
            [HOG, {**PEDNET, "on_pc": None}],
            'networks[1] (pednet): "on_pc" must be a string',
        ),
    ],
)
def test_a_broken_stand_in_says_which_network_and_what_is_wrong(tmp_path, networks, problem):
    path = write(tmp_path, *networks)
    with pytest.raises(CatalogueError) as raised:
        Catalogue(path)
    assert str(raised.value) == f"{path}: {problem}"


def test_without_a_stand_in_an_unregistered_backend_is_an_error(tmp_path):
    pednet = {"name": "pednet", "type": "detection", "backend": "tensorrt"}
    with pytest.raises(CatalogueError, match='unknown backend "tensorrt" .*"on_pc" stand-in'):
        Catalogue(write(tmp_path, HOG, pednet))


def test_list_models_shows_each_jetson_name_and_its_stand_in():
    result = run_app("--list-models")
    assert result.returncode == 0, result.stderr
    table, note = result.stdout.split("\n\n")
    rows = {tuple(line.split()[:2]): line.split()[2:5] for line in list_models_rows(table)}
    for network_type, names in JETSON_NETWORKS.items():
        for name, stand_in in names.items():
            assert rows[network_type, name] == ["jetson", "->", stand_in], name
    assert max(len(line) for line in result.stdout.splitlines()) <= 100, "fits a terminal"
    assert " ".join(note.split()) + "\n" == (
        "-> NAME: cannot run on this machine; asked for, NAME runs in its place "
        f"(jetson-inference networks: {not_here()})\n"
    )


def stats_when_serving(process: Any, port: int) -> dict[str, Any]:
    """/stats once the app in `process` serves it and every network has a result."""

    def ready() -> dict[str, Any] | None:
        assert process.poll() is None, process.communicate()
        try:
            stats = requests.get(f"http://127.0.0.1:{port}/stats", timeout=2).json()
        except requests.ConnectionError:
            return None
        networks = stats["networks"].values()
        return stats if all(network["ms"] is not None for network in networks) else None

    return wait_for(ready, timeout=90, interval=0.2)


@pytest.mark.parametrize(
    "args, stand_ins",
    [
        (  # docs/webrtc-flask.md of jetson-inference, the first command line
            ["--detection=ssd-mobilenet-v2", "--pose=resnet18-hand", "--action=resnet18-kinetics"],
            {"detection": "nanodet-coco", "pose": "mediapipe-hands", "action": "pose-actions"},
        ),
        (  # the same page, "Loading DNN Models": all six
            [
                "--classification=resnet18",
                "--detection=ssd-mobilenet-v2",
                "--segmentation=fcn-resnet18-mhp",
                "--pose=resnet18-body",
                "--action=resnet18-kinetics",
                "--background=u2net",
            ],
            {
                "classification": "efficientnet-lite0",
                "detection": "nanodet-coco",
                "segmentation": "deeplabv3-voc",
                "pose": "mediapipe-body",
                "action": "pose-actions",
                "background": "u2netp",
            },
        ),
    ],
)
def test_nvidias_command_lines_run_verbatim_on_a_pc(args, stand_ins):
    port = free_port()
    process = start_app(port, "--input-width=320", "--input-height=240", *args)
    try:
        stats = stats_when_serving(process, port)
        assert {t: n["network"] for t, n in stats["networks"].items()} == stand_ins
        assert all(network["failures"] == 0 for network in stats["networks"].values())
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
    _, stderr = process.communicate()
    assert "Traceback" not in stderr
    said = [line for line in stderr.splitlines() if "runs in its place" in line]
    assert len(said) == len(stand_ins), stderr
    for network_type, stand_in in stand_ins.items():
        asked = next(a for a in args if a.startswith(f"--{network_type}=")).split("=")[1]
        [line] = [line for line in said if f"WARNING {asked} " in line]
        assert f"on this machine {stand_in} runs in its place" in line, line


def test_on_a_pc_a_put_of_a_jetson_name_is_refused(start_server, catalogue):
    server = start_server(networks=[create_slot(catalogue, "action", "resnet18-kinetics")])
    response = requests.put(server.url + "/action/network", data='"resnet-18"', timeout=5)
    assert response.status_code == 400
    assert "pose-actions" in response.json()["error"]
    assert server.get("/action/network").json() == "pose-actions"
