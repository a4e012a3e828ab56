"""The built-in networks of the fake jetson_inference, and their class labels.

Names, aliases, folders and model files: data/networks/models.json of jetson-inference (the
commit in README.md). Class labels: ssd_coco_labels.txt (91 COCO labels, in the repository)
and the 21 PASCAL VOC classes are the real ones; the others are not in the repository, so the
fake makes up names ("class 17") in the real number of classes where that number is known
(ILSVRC12 1000, Kinetics-700 + Moments in Time 1040, ...) and says so in README.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Network:
    """A built-in network of models.json (or a custom model file)."""

    kind: str  # 'imageNet', 'detectNet', 'segNet', 'poseNet', 'actionNet', 'backgroundNet'
    name: str
    aliases: tuple[str, ...]
    folder: str
    model: str
    prototxt: str
    labels: str  # a key of LABEL_SETS ('' for none)

    @property
    def model_path(self) -> str:
        return f"networks/{self.folder}/{self.model}" if self.folder else self.model

    @property
    def prototxt_path(self) -> str:
        return f"networks/{self.folder}/{self.prototxt}" if self.prototxt else ""

    @property
    def model_type(self) -> str:
        return model_type(self.model)

    def matches(self, name: str) -> bool:
        """FindModel(): the name or an alias, case-insensitively."""
        return name.lower() in (n.lower() for n in (self.name, *self.aliases))


def model_type(path: str) -> str:
    """modelTypeToStr() of a model file's type, from its extension."""
    extension = os.path.splitext(path)[1].lower()
    return {
        ".caffemodel": "caffe",
        ".onnx": "ONNX",
        ".uff": "UFF",
        ".engine": "engine",
        ".plan": "engine",
    }.get(extension, "custom")


_Net = Network

NETWORKS: list[Network] = [
    _Net(
        "imageNet",
        "alexnet",
        (),
        "Alexnet",
        "bvlc_alexnet.caffemodel",
        "alexnet.prototxt",
        "ilsvrc12",
    ),
    _Net(
        "imageNet",
        "googlenet",
        (),
        "Googlenet",
        "bvlc_googlenet.caffemodel",
        "googlenet.prototxt",
        "ilsvrc12",
    ),
    _Net(
        "imageNet",
        "googlenet-12",
        (),
        "GoogleNet-ILSVRC12-subset",
        "snapshot_iter_184080.caffemodel",
        "deploy.prototxt",
        "ilsvrc12-subset12",
    ),
    _Net(
        "imageNet",
        "resnet-18",
        ("resnet_18", "resnet18"),
        "ResNet-18",
        "ResNet-18.caffemodel",
        "deploy.prototxt",
        "ilsvrc12",
    ),
    _Net(
        "imageNet",
        "resnet-50",
        ("resnet_50", "resnet50"),
        "ResNet-50",
        "ResNet-50.caffemodel",
        "deploy.prototxt",
        "ilsvrc12",
    ),
    _Net(
        "imageNet",
        "resnet-101",
        ("resnet_101", "resnet101"),
        "ResNet-101",
        "ResNet-101.caffemodel",
        "deploy.prototxt",
        "ilsvrc12",
    ),
    _Net(
        "imageNet",
        "resnet-152",
        ("resnet_152", "resnet152"),
        "ResNet-152",
        "ResNet-152.caffemodel",
        "deploy.prototxt",
        "ilsvrc12",
    ),
    _Net(
        "imageNet",
        "vgg-16",
        ("vgg_16", "vgg16"),
        "VGG-16",
        "VGG-16.caffemodel",
        "deploy.prototxt",
        "ilsvrc12",
    ),
    _Net(
        "imageNet",
        "vgg-19",
        ("vgg_19", "vgg19"),
        "VGG-19",
        "VGG-19.caffemodel",
        "deploy.prototxt",
        "ilsvrc12",
    ),
    _Net(
        "imageNet",
        "inception-v4",
        ("inception_v4", "inceptionv4"),
        "Inception-v4",
        "Inception-v4.caffemodel",
        "deploy.prototxt",
        "ilsvrc12",
    ),
    _Net(
        "imageNet",
        "resnet18-tagging-voc",
        (
            "resnet18_tagging_voc",
            "resnet-18-tagging-voc",
            "resnet_18_tagging_voc",
            "resnet18-tagging",
            "resnet18_tagging",
            "resnet-18-tagging",
            "resnet_18_tagging",
        ),
        "ResNet18-Tagging-VOC",
        "resnet18.onnx",
        "",
        "voc20",
    ),
    _Net(
        "detectNet",
        "ssd-mobilenet-v1",
        ("ssd_mobilenet_v1", "ssd_mobilenet_v1_coco", "ssd-mobilenet-v1-coco"),
        "SSD-Mobilenet-v1",
        "ssd_mobilenet_v1_coco.uff",
        "",
        "coco91",
    ),
    _Net(
        "detectNet",
        "ssd-mobilenet-v2",
        (
            "ssd_mobilenet_v2",
            "ssd_mobilenet_v2_coco",
            "ssd-mobilenet-v2-coco",
            "ssd-mobilenet",
            "ssd_mobilenet",
        ),
        "SSD-Mobilenet-v2",
        "ssd_mobilenet_v2_coco.uff",
        "",
        "coco91",
    ),
    _Net(
        "detectNet",
        "ssd-inception-v2",
        ("ssd_inception_v2", "ssd_inception_v2_coco", "ssd-inception-v2-coco"),
        "SSD-Inception-v2",
        "ssd_inception_v2_coco.uff",
        "",
        "coco91",
    ),
    _Net(
        "detectNet",
        "peoplenet_deployable_quantized_v2.6.1",
        (
            "peoplenet",
            "peoplenet_v2.6.1",
            "peoplenet-v2.6.1",
            "peoplenet-deployable-quantized-v2.6.1",
        ),
        "peoplenet_deployable_quantized_v2.6.1",
        "resnet34_peoplenet_int8.etlt.engine",
        "",
        "peoplenet",
    ),
    _Net(
        "detectNet",
        "peoplenet_pruned_quantized_v2.3.2",
        (
            "peoplenet_pruned",
            "peoplenet-pruned",
            "peoplenet_pruned_v2.3.2",
            "peoplenet-pruned-v2.3.2",
            "peoplenet_v2.3.2",
            "peoplenet-pruned-quantized-v2.3.2",
        ),
        "peoplenet_pruned_quantized_v2.3.2",
        "resnet34_peoplenet_pruned_int8.etlt.engine",
        "",
        "peoplenet",
    ),
    _Net(
        "detectNet",
        "dashcamnet_pruned_v1.0.3",
        (
            "dashcamnet",
            "dashcamnet-pruned",
            "dashcamnet_pruned",
            "dashcamnet-pruned-v1.0.3",
            "dashcamnet_v1.0.3",
            "dashcamnet-v1.0.3",
        ),
        "dashcamnet_pruned_v1.0.3",
        "resnet18_dashcamnet_pruned.etlt.engine",
        "",
        "dashcamnet",
    ),
    _Net(
        "detectNet",
        "trafficcamnet_pruned_v1.0.3",
        (
            "trafficcamnet",
            "trafficcamnet-pruned",
            "trafficcamnet_pruned",
            "trafficcamnet-pruned-v1.0.3",
            "trafficcamnet_v1.0.3",
            "trafficcamnet-v1.0.3",
        ),
        "trafficcamnet_pruned_v1.0.3",
        "resnet18_trafficcamnet_pruned.etlt.engine",
        "",
        "trafficcamnet",
    ),
    _Net(
        "detectNet",
        "facedetect_pruned_quantized_v2.0.1",
        (
            "facedetect",
            "facedetect-pruned",
            "facedetect_pruned",
            "facedetect-pruned-quantized-v2.0.1",
            "facedetect-v1.0.3",
            "facedetect_v1.0.3",
        ),
        "facedetect_pruned_quantized_v2.0.1",
        "resnet18_facedetect_pruned.etlt.engine",
        "",
        "facedetect",
    ),
    _Net(
        "detectNet",
        "pednet",
        ("pednet", "ped-100", "ped_100"),
        "ped-100",
        "snapshot_iter_70800.caffemodel",
        "deploy.prototxt",
        "pednet",
    ),
    _Net(
        "detectNet",
        "multiped",
        ("multiped-500", "multiped_500"),
        "multiped-500",
        "snapshot_iter_178000.caffemodel",
        "deploy.prototxt",
        "multiped",
    ),
    _Net(
        "detectNet",
        "facenet",
        ("facenet-120", "face-120"),
        "facenet-120",
        "snapshot_iter_24000.caffemodel",
        "deploy.prototxt",
        "facenet",
    ),
    _Net(
        "detectNet",
        "coco-airplane",
        ("coco_airplane",),
        "DetectNet-COCO-Airplane",
        "snapshot_iter_22500.caffemodel",
        "deploy.prototxt",
        "coco-airplane",
    ),
    _Net(
        "detectNet",
        "coco-bottle",
        ("coco_bottle",),
        "DetectNet-COCO-Bottle",
        "snapshot_iter_59700.caffemodel",
        "deploy.prototxt",
        "coco-bottle",
    ),
    _Net(
        "detectNet",
        "coco-chair",
        ("coco_chair",),
        "DetectNet-COCO-Chair",
        "snapshot_iter_89500.caffemodel",
        "deploy.prototxt",
        "coco-chair",
    ),
    _Net(
        "detectNet",
        "coco-dog",
        ("coco_dog",),
        "DetectNet-COCO-Dog",
        "snapshot_iter_38600.caffemodel",
        "deploy.prototxt",
        "coco-dog",
    ),
    _Net(
        "segNet",
        "fcn-resnet18-cityscapes-512x256",
        ("fcn_resnet18_cityscapes_512x256", "fcn_resnet18_cityscapes", "fcn-resnet18-cityscapes"),
        "FCN-ResNet18-Cityscapes-512x256",
        "fcn_resnet18.onnx",
        "",
        "cityscapes21",
    ),
    _Net(
        "segNet",
        "fcn-resnet18-cityscapes-1024x512",
        ("fcn_resnet18_cityscapes_1024x512",),
        "FCN-ResNet18-Cityscapes-1024x512",
        "fcn_resnet18.onnx",
        "",
        "cityscapes21",
    ),
    _Net(
        "segNet",
        "fcn-resnet18-cityscapes-2048x1024",
        ("fcn_resnet18_cityscapes_2048x1024",),
        "FCN-ResNet18-Cityscapes-2048x1024",
        "fcn_resnet18.onnx",
        "",
        "cityscapes21",
    ),
    _Net(
        "segNet",
        "fcn-resnet18-deepscene-576x320",
        ("fcn_resnet18_deepscene_576x320", "fcn_resnet18_deepscene", "fcn-resnet18-deepscene"),
        "FCN-ResNet18-DeepScene-576x320",
        "fcn_resnet18.onnx",
        "",
        "deepscene5",
    ),
    _Net(
        "segNet",
        "fcn-resnet18-deepscene-864x480",
        ("fcn_resnet18_deepscene_864x480",),
        "FCN-ResNet18-DeepScene-864x480",
        "fcn_resnet18.onnx",
        "",
        "deepscene5",
    ),
    _Net(
        "segNet",
        "fcn-resnet18-mhp-512x320",
        ("fcn_resnet18_mhp_512x320", "fcn_resnet18_mhp", "fcn-resnet18-mhp"),
        "FCN-ResNet18-MHP-512x320",
        "fcn_resnet18.onnx",
        "",
        "mhp21",
    ),
    _Net(
        "segNet",
        "fcn-resnet18-mhp-640x360",
        ("fcn_resnet18_mhp_640x360",),
        "FCN-ResNet18-MHP-640x360",
        "fcn_resnet18.onnx",
        "",
        "mhp21",
    ),
    _Net(
        "segNet",
        "fcn-resnet18-voc-320x320",
        (
            "fcn_resnet18_voc_320x320",
            "fcn_resnet18_voc",
            "fcn-resnet18-voc",
            "fcn_resnet18_pascal_voc",
            "fcn-resnet18-pascal-voc",
            "fcn-resnet18-pascal-voc-320x320",
            "fcn_resnet18_pascal_voc_320x320",
        ),
        "FCN-ResNet18-Pascal-VOC-320x320",
        "fcn_resnet18.onnx",
        "",
        "voc21",
    ),
    _Net(
        "segNet",
        "fcn-resnet18-voc-512x320",
        (
            "fcn_resnet18_voc_512x320",
            "fcn_resnet18_pascal_voc_512x320",
            "fcn-resnet18-pascal-voc-512x320",
        ),
        "FCN-ResNet18-Pascal-VOC-512x320",
        "fcn_resnet18.onnx",
        "",
        "voc21",
    ),
    _Net(
        "segNet",
        "fcn-resnet18-sun-512x400",
        ("fcn_resnet18_sun_512x400", "fcn_resnet18_sun", "fcn-resnet18-sun"),
        "FCN-ResNet18-SUN-RGBD-512x400",
        "fcn_resnet18.onnx",
        "",
        "sun21",
    ),
    _Net(
        "segNet",
        "fcn-resnet18-sun-640x512",
        ("fcn_resnet18_sun_640x512",),
        "FCN-ResNet18-SUN-RGBD-640x512",
        "fcn_resnet18.onnx",
        "",
        "sun21",
    ),
    _Net(
        "poseNet",
        "resnet18-body",
        ("resnet18_body",),
        "Pose-ResNet18-Body",
        "pose_resnet18_body.onnx",
        "",
        "none",
    ),
    _Net(
        "poseNet",
        "resnet18-hand",
        ("resnet18_hand",),
        "Pose-ResNet18-Hand",
        "pose_resnet18_hand.onnx",
        "",
        "none",
    ),
    _Net(
        "poseNet",
        "densenet121-body",
        ("densenet121_body",),
        "Pose-DenseNet121-Body",
        "pose_densenet121_body.onnx",
        "",
        "none",
    ),
    _Net(
        "actionNet",
        "resnet-18",
        ("resnet_18", "resnet18", "resnet18-kinetics"),
        "Action-ResNet18",
        "resnet-18-kinetics-moments.onnx",
        "",
        "kinetics-moments1040",
    ),
    _Net(
        "actionNet",
        "resnet-34",
        ("resnet_34", "resnet34", "resnet34-kinetics"),
        "Action-ResNet34",
        "resnet-34-kinetics-moments.onnx",
        "",
        "kinetics-moments1040",
    ),
    _Net("backgroundNet", "u2net", (), "Background-U2Net", "u2net.onnx", "", "none"),
]


def find_network(kind: str, name: str) -> Network | None:
    return next((n for n in NETWORKS if n.kind == kind and n.matches(name)), None)


COCO91 = [
    "unlabeled",
    "person",
    "bicycle",
    "car",
    "motorcycle",
    "airplane",
    "bus",
    "train",
    "truck",
    "boat",
    "traffic light",
    "fire hydrant",
    "street sign",
    "stop sign",
    "parking meter",
    "bench",
    "bird",
    "cat",
    "dog",
    "horse",
    "sheep",
    "cow",
    "elephant",
    "bear",
    "zebra",
    "giraffe",
    "hat",
    "backpack",
    "umbrella",
    "shoe",
    "eye glasses",
    "handbag",
    "tie",
    "suitcase",
    "frisbee",
    "skis",
    "snowboard",
    "sports ball",
    "kite",
    "baseball bat",
    "baseball glove",
    "skateboard",
    "surfboard",
    "tennis racket",
    "bottle",
    "plate",
    "wine glass",
    "cup",
    "fork",
    "knife",
    "spoon",
    "bowl",
    "banana",
    "apple",
    "sandwich",
    "orange",
    "broccoli",
    "carrot",
    "hot dog",
    "pizza",
    "donut",
    "cake",
    "chair",
    "couch",
    "potted plant",
    "bed",
    "mirror",
    "dining table",
    "window",
    "desk",
    "toilet",
    "door",
    "tv",
    "laptop",
    "mouse",
    "remote",
    "keyboard",
    "cell phone",
    "microwave",
    "oven",
    "toaster",
    "sink",
    "refrigerator",
    "blender",
    "book",
    "clock",
    "vase",
    "scissors",
    "teddy bear",
    "hair drier",
    "toothbrush",
]

VOC21 = [
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
]


def _made_up(prefix: str, count: int) -> list[str]:
    return [f"{prefix} class {n}" for n in range(count)]


# Label sets: real where the repository has them (COCO 91) or they are a public standard
# (PASCAL VOC); made up otherwise, in the number of classes the model is documented with.
LABEL_SETS: dict[str, list[str]] = {
    "none": [],
    "ilsvrc12": _made_up("ilsvrc12", 1000),
    "ilsvrc12-subset12": _made_up("ilsvrc12 subset", 12),
    "voc20": VOC21[1:],
    "coco91": COCO91,
    "peoplenet": ["person", "bag", "face"],
    "dashcamnet": ["car", "bicycle", "person", "road_sign"],
    "trafficcamnet": ["car", "bicycle", "person", "road_sign"],
    "facedetect": ["face"],
    "pednet": ["person"],
    "multiped": ["person", "baggage"],
    "facenet": ["face"],
    "coco-airplane": ["airplane"],
    "coco-bottle": ["bottle"],
    "coco-chair": ["chair"],
    "coco-dog": ["dog"],
    "voc21": VOC21,
    "cityscapes21": _made_up("cityscapes", 21),
    "deepscene5": _made_up("deepscene", 5),
    "mhp21": _made_up("mhp", 21),
    "sun21": _made_up("sun", 21),
    "kinetics-moments1040": _made_up("action", 1040),
}

# Pose topologies (trt_pose's human_pose and hand_pose keypoints; the topology JSON files are
# downloaded with the models, not in the repository): keypoint names and links between them.
BODY_KEYPOINTS = [
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "neck",
]
BODY_LINKS = [
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 7), (6, 8), (7, 9), (8, 10),
    (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6), (17, 0), (17, 5), (17, 6),
    (17, 11), (17, 12),
]  # fmt: skip
# Where each keypoint sits in a standing figure, as fractions of its box (x, y).
BODY_LAYOUT = [
    (0.50, 0.08), (0.45, 0.06), (0.55, 0.06), (0.40, 0.08), (0.60, 0.08), (0.30, 0.22),
    (0.70, 0.22), (0.22, 0.40), (0.78, 0.40), (0.18, 0.55), (0.82, 0.55), (0.38, 0.55),
    (0.62, 0.55), (0.38, 0.75), (0.62, 0.75), (0.38, 0.95), (0.62, 0.95), (0.50, 0.20),
]  # fmt: skip
_FINGERS = ["thumb", "index_finger", "middle_finger", "ring_finger", "baby_finger"]
HAND_KEYPOINTS = ["palm"] + [f"{finger}_{n}" for finger in _FINGERS for n in range(1, 5)]
HAND_LINKS = [
    (0 if n == 1 else 1 + 4 * f + n - 2, 1 + 4 * f + n - 1) for f in range(5) for n in range(1, 5)
]
HAND_LAYOUT = [(0.5, 0.9)] + [
    (0.15 + 0.175 * f, 0.7 - 0.15 * n) for f in range(5) for n in range(1, 5)
]
TOPOLOGIES = {
    "body18": (BODY_KEYPOINTS, BODY_LINKS, BODY_LAYOUT),
    "hand21": (HAND_KEYPOINTS, HAND_LINKS, HAND_LAYOUT),
}


def grid_size(network: Network) -> tuple[int, int]:
    """The classification grid of a segmentation network: its input size over 32 (FCN-ResNet18's
    output stride), from the WxH in its name; 10x10 for a custom model."""
    size = network.name.rsplit("-", 1)[-1]
    if "x" in size:
        width, _, height = size.partition("x")
        if width.isdigit() and height.isdigit():
            return max(int(width) // 32, 1), max(int(height) // 32, 1)
    return 10, 10
