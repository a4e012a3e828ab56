"""Makes docs/overlays.png: every network's overlay at once on a busy scene.

    .venv/bin/python -m tools.overlay_scene

The scene is data/media/astronaut.jpg at 640x480 with results made up to crowd it: boxes
piled on each other and on the frame's edges and top-left corner, a whole-frame box, the
classification text, a segmentation with classes too small for its legend, the background
blurred, a large person and two walkers 60 px tall with their skeletons, an action, and the
stats line. It is drawn as the pipeline draws a frame (stream.draw_overlays) through the real
networks' draw(); tests/test_overlays.py checks the labels of the same scene.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from draw import Overlay
from frame import Frame
from model import Model, ModelSlot
from networks.action import ActionModel
from networks.background import BackgroundModel
from networks.classification import ClassificationModel
from networks.detection import DetectionModel
from networks.pose import PoseModel, make_pose
from networks.segmentation import SegmentationModel
from results import (
    ActionResult,
    BackgroundResult,
    ClassificationResult,
    ClassScore,
    Detection,
    DetectionResult,
    PoseResult,
    Result,
)
from stream import draw_overlays

ROOT = Path(__file__).resolve().parents[1]
PICTURE = ROOT / "data" / "media" / "astronaut.jpg"
OUTPUT = ROOT / "docs" / "overlays.png"
SIZE = (640, 480)
STATS = "in 30.0 fps  out 29.8 fps  latency 41 ms"
UNUSED: Any = None  # the backends of the scene's models: given results, they never run

VOC_LABELS = ["background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car"]
VOC_LABELS += ["cat", "chair", "cow", "dining table", "dog", "horse", "motorbike", "person"]
VOC_LABELS += ["potted plant", "sheep", "sofa", "train", "tv"]
PERSON, CHAIR, DOG, BOTTLE, SOFA = 15, 9, 12, 5, 18

# (COCO class id, label, confidence, box, track id)
DETECTIONS = [
    (0, "person", 0.59, (0, 0, 640, 480), None),  # a whole-frame box
    (0, "person", 0.92, (20, 14, 456, 477), 1),  # the astronaut
    (62, "tv", 0.71, (0, 0, 130, 90), 2),  # in the top-left corner, under the classification
    (9, "traffic light", 0.88, (585, 30, 640, 150), 3),  # on the right edge
    (9, "traffic light", 0.45, (560, 40, 630, 170), None),  # on top of it
    (25, "umbrella", 0.66, (420, 110, 560, 250), 12),  # a pile of four
    (26, "handbag", 0.55, (430, 118, 570, 258), None),
    (0, "person", 0.81, (440, 126, 580, 266), 7),
    (24, "backpack", 0.42, (450, 134, 590, 274), 8),
    (16, "dog", 0.77, (230, 410, 360, 480), 9),  # on the bottom edge
    (41, "cup", 0.63, (330, 430, 400, 480), None),
    (1, "bicycle", 0.58, (600, 300, 640, 420), 4),  # a sliver on the right edge
    (0, "person", 0.83, (520, 330, 552, 392), 5),  # the walkers, 60 px tall
    (0, "person", 0.79, (575, 350, 607, 412), 6),
]
CLASSES = [("space shuttle", 0.412), ("suit", 0.188), ("military uniform", 0.126)]

# A person seen from the front, as (keypoint name, x, y): x in heights from the body's
# centre, y in heights from the top of the head; the left foot forward, as in a stride.
FIGURE = [
    ("nose", 0.0, 0.06),
    ("left_shoulder", 0.12, 0.18),
    ("right_shoulder", -0.12, 0.18),
    ("left_elbow", 0.16, 0.33),
    ("right_elbow", -0.16, 0.33),
    ("left_wrist", 0.17, 0.47),
    ("right_wrist", -0.18, 0.46),
    ("left_hip", 0.08, 0.52),
    ("right_hip", -0.08, 0.52),
    ("left_knee", 0.12, 0.74),
    ("right_knee", -0.07, 0.75),
    ("left_ankle", 0.17, 0.97),
    ("right_ankle", -0.05, 0.98),
]
FIGURE_LINKS = [(1, 2), (1, 3), (3, 5), (2, 4), (4, 6), (1, 7), (2, 8), (7, 8)]
FIGURE_LINKS += [(7, 9), (9, 11), (8, 10), (10, 12), (0, 1), (0, 2)]
# (centre x, top y, height) of each person; the astronaut's legs leave the frame
PEOPLE = [(262, 60, 620), (536, 330, 62), (591, 350, 62)]


def figure(centre: float, top: float, height: float) -> list[tuple[float, float, float]]:
    """FIGURE at a place and size, as a pose network's (x, y, confidence) per keypoint."""
    return [(centre + x * height, top + y * height, 0.9) for _, x, y in FIGURE]


def segmentation_mask(width: int, height: int) -> np.ndarray:
    """Classes per pixel: the people, a chair (2% of the frame), a dog (1%), and a bottle
    and a sofa too small for the legend (0.3% and 0.2%)."""
    mask = np.zeros((height, width), np.uint8)
    cv2.ellipse(mask, (262, 300), (190, 260), 0, 0, 360, (PERSON,), -1)
    for centre_x, top, size in PEOPLE[1:]:
        cv2.rectangle(mask, (centre_x - 14, top), (centre_x + 14, top + size), (PERSON,), -1)
    mask[330:410, 0:77] = CHAIR  # 6160 px
    mask[420:470, 236:297] = DOG  # 3050 px
    mask[40:70, 500:531] = BOTTLE  # 930 px
    mask[100:120, 0:31] = SOFA  # 620 px
    return mask


class SceneSegmenter:
    """The scene's classes per pixel, given to the segmentation network's process()."""

    labels = VOC_LABELS

    def segment(self, image: np.ndarray) -> np.ndarray:
        return segmentation_mask(image.shape[1], image.shape[0])


def scene_image() -> np.ndarray:
    return cv2.resize(cv2.imread(str(PICTURE)), SIZE, interpolation=cv2.INTER_AREA)


def busy_scene() -> tuple[np.ndarray, list[ModelSlot], dict[str, Result]]:
    """The picture, a slot per network type (in drawing order), and the results to draw."""
    image = scene_image()
    segmentation = SegmentationModel("scene-segmentation", SceneSegmenter())
    mask = segmentation_mask(*SIZE)
    names = [name for name, _, _ in FIGURE]
    results: dict[str, Result] = {
        "background": BackgroundResult(0, 0.0, 0.5, (mask == PERSON).astype(np.float32)),
        "segmentation": segmentation.process(Frame(image, 0, 0.0)),
        "classification": ClassificationResult(
            0, 0.0, tuple(ClassScore(i, label, score) for i, (label, score) in enumerate(CLASSES))
        ),
        "detection": DetectionResult(
            0,
            0.0,
            tuple(
                Detection(class_id, label, score, box, track)
                for class_id, label, score, box, track in DETECTIONS
            ),
        ),
        "pose": PoseResult(
            0,
            0.0,
            tuple(make_pose(figure(*p), names, FIGURE_LINKS, 0.5) for p in PEOPLE),
        ),
        "action": ActionResult(0, 0.0, "walking", 1.0, {"walking": 1.0}),
    }
    models: list[Model[Any]] = [
        BackgroundModel("scene-background", UNUSED),
        segmentation,
        ClassificationModel("scene-classification", UNUSED),
        DetectionModel("scene-detection", UNUSED),
        PoseModel("scene-pose", UNUSED),
        ActionModel("scene-action", UNUSED),
    ]
    slots = [ModelSlot(model, lambda name: UNUSED, (model.name,)) for model in models]
    return image, slots, results


def draw_busy_scene() -> tuple[np.ndarray, Overlay]:
    """The busy scene with every overlay drawn, and the Overlay that placed its labels."""
    image, slots, results = busy_scene()
    return image, draw_overlays(image, slots, results, STATS)


def main() -> None:
    image, overlay = draw_busy_scene()
    cv2.imwrite(str(OUTPUT), image)
    print(f"saved {OUTPUT}: {len(overlay.labels)} labels placed")


if __name__ == "__main__":
    main()
