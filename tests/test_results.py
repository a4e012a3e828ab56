"""Typed results and their JSON: every type against the published schema, drawing data out."""

from __future__ import annotations

import json

import numpy as np
import pytest
from jsonschema import Draft202012Validator, ValidationError

from helpers import RESULTS_SCHEMA, validate_results
from model import NETWORK_TYPES
from results import (
    ActionResult,
    BackgroundResult,
    ClassificationResult,
    ClassScore,
    ClassShare,
    Detection,
    DetectionResult,
    Keypoint,
    Pose,
    PoseResult,
    Result,
    SegmentationResult,
    class_label,
)

MASK = np.zeros((4, 4), np.uint8)
EXAMPLES: dict[str, list[Result]] = {
    "classification": [
        ClassificationResult(3, 1.5, ()),
        ClassificationResult(
            3, 1.5, (ClassScore(281, "tabby", 0.71234), ClassScore(7, "class 7", 0.1))
        ),
    ],
    "detection": [
        DetectionResult(0, 0.0, ()),
        DetectionResult(
            9,
            2.0,
            (
                Detection(0, "person", 0.9, (1.0, 2.0, 30.5, 40.25)),
                Detection(16, "dog", 0.55, (1, 2, 3, 4), track_id=4),
            ),
        ),
    ],
    "segmentation": [
        SegmentationResult(
            1, 1.0, (ClassShare(0, "background", 0.75), ClassShare(15, "person", 0.25)), MASK
        )
    ],
    "pose": [
        PoseResult(1, 1.0, ()),
        PoseResult(
            1,
            1.0,
            (
                Pose(
                    (
                        Keypoint(0, "nose", 10.04, 20.0, 0.99),
                        Keypoint(11, "left_shoulder", 5, 6, 0.5),
                    ),
                    ((0, 11),),
                ),
            ),
        ),
    ],
    "action": [
        ActionResult(5, 5.0, None, 0.0, {"waving": 0.0}),
        ActionResult(5, 5.0, "waving", 0.82, {"waving": 0.82, "standing": 0.1}),
    ],
    "background": [BackgroundResult(2, 2.0, 0.3333333, np.ones((4, 4), np.float32))],
}


def test_the_schema_is_valid_and_describes_every_network_type():
    Draft202012Validator.check_schema(RESULTS_SCHEMA)
    assert set(RESULTS_SCHEMA["properties"]) == set(NETWORK_TYPES) == set(EXAMPLES)


@pytest.mark.parametrize("network_type", NETWORK_TYPES)
def test_every_result_type_follows_the_schema(network_type):
    for result in EXAMPLES[network_type]:
        as_json = json.loads(json.dumps(result.to_json()))  # as served
        validate_results({network_type: as_json})
        assert as_json["frame"] == result.frame and as_json["timestamp"] == result.timestamp


def test_a_result_of_another_type_does_not_pass_for_this_one():
    detection = EXAMPLES["detection"][1].to_json()
    with pytest.raises(ValidationError):
        validate_results({"classification": detection})


def test_drawing_data_stays_out_of_the_json():
    segmentation, background = EXAMPLES["segmentation"][0], EXAMPLES["background"][0]
    assert "mask" not in segmentation.to_json() and "mask" not in background.to_json()
    assert background.to_json()["foreground_fraction"] == 0.3333


def test_json_is_rounded_as_documented():
    detection = EXAMPLES["detection"][1].to_json()["detections"][0]
    assert detection["box"] == [1.0, 2.0, 30.5, 40.2]
    pose = EXAMPLES["pose"][1].to_json()["poses"][0]
    assert pose["keypoints"][0]["x"] == 10.0 and pose["links"] == [[0, 11]]


def test_a_class_without_a_label_is_named_by_its_number():
    assert class_label(["background", "", "cat"], 2) == "cat"
    assert class_label(["background", "", "cat"], 1) == "class 1"
    assert class_label(["background"], 7) == "class 7"
