"""MediaPipe's legacy `mp.solutions` graphs, whose weights ship inside the mediapipe wheel
(0.10.5 to 0.10.21): BlazePose body landmarks, hand landmarks and selfie segmentation.

The graphs keep tracking state between frames (the pose and hand networks' `reset()` drops
it, at a scene cut) and are not thread-safe: each network owns its instance, and the pipeline
calls a network from one thread at a time. mediapipe is imported when a network is made (see
backends/registry.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import cv2
import numpy as np

from backends.registry import Backend, register_backend
from catalogue import CatalogueEntry

Keypoint = tuple[float, float, float]  # x and y in frame pixels, confidence 0-1


def _rgb(image_bgr: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)


def _names(landmark_enum: Iterable[Any]) -> list[str]:
    """snake_case landmark names in index order ('left_shoulder', 'thumb_tip')."""
    return [landmark.name.lower() for landmark in landmark_enum]


def _keypoints(
    landmarks: Iterable[Any], shape: tuple[int, ...], confidences: Iterable[float]
) -> list[Keypoint]:
    """Normalised landmarks as frame pixels, each with its confidence."""
    height, width = shape[:2]
    return [
        (float(landmark.x * width), float(landmark.y * height), float(confidence))
        for landmark, confidence in zip(landmarks, confidences)
    ]


class Tracking:
    """A graph that follows what it found from one frame to the next: one per camera, never
    shared by the cameras' models (networks.load_model)."""

    per_camera = True
    _graph: Any

    def reset(self) -> None:
        """Forget what was followed: the next frame is searched afresh."""
        self._graph.reset()


@register_backend
class BodyPose(Tracking, Backend):
    """BlazePose full (model_complexity=1; 0 and 2 are not in the wheel): 33 body landmarks
    of at most one person, tracked across frames. A landmark's confidence is its visibility
    (the likelihood that it is in the frame and not hidden)."""

    name = "mediapipe-pose"
    requires = ("mediapipe",)

    def __init__(self, entry: CatalogueEntry) -> None:
        import mediapipe as mp

        pose = mp.solutions.pose
        self.keypoint_names = _names(pose.PoseLandmark)
        self.links = sorted(pose.POSE_CONNECTIONS)
        self._graph = pose.Pose(static_image_mode=False, model_complexity=1)

    def estimate(self, image_bgr: np.ndarray) -> list[list[Keypoint]]:
        """One list of 33 keypoints per person found (none or one)."""
        found = self._graph.process(_rgb(image_bgr)).pose_landmarks
        if found is None:
            return []
        landmarks = found.landmark
        return [_keypoints(landmarks, image_bgr.shape, (lm.visibility for lm in landmarks))]


@register_backend
class HandPose(Tracking, Backend):
    """MediaPipe Hands (full, model_complexity=1): 21 landmarks per hand, up to two hands.
    Hand landmarks carry no visibility of their own, so every landmark of a hand gets the
    hand's handedness score (how sure the model is that this is a left or right hand)."""

    name = "mediapipe-hands"
    requires = ("mediapipe",)

    def __init__(self, entry: CatalogueEntry) -> None:
        import mediapipe as mp

        hands = mp.solutions.hands
        self.keypoint_names = _names(hands.HandLandmark)
        self.links = sorted(hands.HAND_CONNECTIONS)
        self._graph = hands.Hands(static_image_mode=False, max_num_hands=2, model_complexity=1)

    def estimate(self, image_bgr: np.ndarray) -> list[list[Keypoint]]:
        """One list of 21 keypoints per hand found."""
        result = self._graph.process(_rgb(image_bgr))
        hands = zip(result.multi_hand_landmarks or [], result.multi_handedness or [])
        return [
            _keypoints(
                landmarks.landmark,
                image_bgr.shape,
                itertools.repeat(handedness.classification[0].score),
            )
            for landmarks, handedness in hands
        ]


@register_backend
class SelfieSegmentation(Backend):
    """MediaPipe Selfie Segmentation: a person mask. The general model (256x256 input) by
    default; the landscape one (144x256, about 40% cheaper) with `landscape`."""

    name = "mediapipe-selfie"
    requires = ("mediapipe",)

    def __init__(self, entry: CatalogueEntry, landscape: bool = False) -> None:
        import mediapipe as mp

        self._graph = mp.solutions.selfie_segmentation.SelfieSegmentation(
            model_selection=int(landscape)
        )

    def mask(self, image_bgr: np.ndarray) -> np.ndarray:
        """The probability that each pixel is a person: float32, frame height x width, 0-1."""
        mask = self._graph.process(_rgb(image_bgr)).segmentation_mask
        return np.clip(np.asarray(mask, np.float32), 0.0, 1.0)
