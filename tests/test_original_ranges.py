"""The live settings' ranges are those of jetson-inference's Flask example (the sliders of its
python/www/flask/templates/index.html; its REST handlers check no range)."""

from __future__ import annotations

import dataclasses

import pytest

from networks import MODEL_CLASSES, model_class

ORIGINAL_RANGES = {
    "classification": {"confidence_threshold": (0, 1), "output_smoothing": (0, 1)},
    "detection": {
        "confidence_threshold": (0, 1),
        "clustering_threshold": (0, 1),
        "overlay_alpha": (0, 255),
        "tracking_min_frames": (0, 60),
        "tracking_drop_frames": (0, 60),
        "tracking_overlap_threshold": (0, 1),
    },
    "segmentation": {"overlay_alpha": (0, 255)},
    "pose": {"confidence_threshold": (0, 1)},
    "action": {"confidence_threshold": (0, 1), "skip_frames": (0, 30)},
    "background": {},
}


@pytest.mark.parametrize("network_type", MODEL_CLASSES)
def test_each_numeric_setting_has_the_range_of_nvidias_page(network_type):
    fields = dataclasses.fields(model_class(network_type).Settings)  # type: ignore[attr-defined]
    ranges = {
        field.name: (field.metadata["minimum"], field.metadata["maximum"])
        for field in fields
        if type(field.default) in (int, float)
    }
    assert ranges == ORIGINAL_RANGES[network_type]
