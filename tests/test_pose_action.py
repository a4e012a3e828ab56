"""Pose and action networks: MediaPipe landmarks on real images, the action rules on
synthesised landmark sequences, and the action network using the pose network's result in the
running pipeline."""

from __future__ import annotations

import math
from collections.abc import Iterable
from weakref import WeakKeyDictionary

import cv2
import mediapipe as mp  # noqa: E402,I001  (after backends.mediapipe_solutions)
import numpy as np
import pytest
import requests

from backends.mediapipe_solutions import BodyPose, SelfieSegmentation  # first: quiets mediapipe
from bench.street_scene import paste, street, walker
from catalogue import Catalogue
from frame import Frame
from helpers import frame_of, picture, wait_for
from networks import create_slot, load_model
from networks.action import ActionModel
from networks.pose import PoseModel, make_pose
from results import ActionResult, PoseResult
from sources import InputSpec, open_source

BODY_NAMES = [landmark.name.lower() for landmark in mp.solutions.pose.PoseLandmark]
HAND_NAMES = [landmark.name.lower() for landmark in mp.solutions.hands.HandLandmark]
FPS = 30.0
TORSO = 100.0  # torso length of the synthesised people, pixels
BLANK = np.zeros((480, 640, 3), np.uint8)


def body_network(catalogue: Catalogue) -> PoseModel:
    """A fresh BlazePose network (it tracks between frames, so one per picture)."""
    model = load_model(catalogue.find("pose", "mediapipe-body"))
    assert isinstance(model, PoseModel)
    return model


def by_name(result: dict) -> dict[str, dict]:
    return {kp["name"]: kp for kp in result["poses"][0]["keypoints"]}


# ---- pose on real images ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["astronaut.jpg", "grace_hopper.jpg"])
def test_body_pose_finds_the_face_and_shoulders(catalogue, name):
    model = body_network(catalogue)
    assert model.estimator.keypoint_names == BODY_NAMES and len(BODY_NAMES) == 33
    result = model.process(frame_of(picture(name))).to_json()
    assert len(result["poses"]) == 1
    points = by_name(result)
    for name in ("nose", "left_eye", "right_eye", "left_shoulder", "right_shoulder"):
        assert points[name]["confidence"] > 0.5, name
        assert points[name]["id"] == BODY_NAMES.index(name)
    assert points["nose"]["y"] < min(points["left_shoulder"]["y"], points["right_shoulder"]["y"])
    # facing the camera: the person's left shoulder is on the image's right
    assert points["right_shoulder"]["x"] < points["nose"]["x"] < points["left_shoulder"]["x"]
    assert [11, 12] in result["poses"][0]["links"]  # shoulder to shoulder
    assert all(kp["confidence"] >= 0.5 for kp in points.values())


def test_pose_threshold_leaves_out_less_visible_keypoints(catalogue):
    model = body_network(catalogue)
    frame = picture("astronaut.jpg")
    everything = by_name(model.process(frame_of(frame)).to_json())
    model.settings.confidence_threshold = 0.99
    strict = model.process(frame_of(frame)).to_json()["poses"][0]
    kept = {kp["id"] for kp in strict["keypoints"]}
    assert "nose" in {kp["name"] for kp in strict["keypoints"]}
    assert len(kept) < len(everything) and all(
        kp["confidence"] >= 0.99 for kp in strict["keypoints"]
    )
    assert all(a in kept and b in kept for a, b in strict["links"])


def test_hand_pose_finds_no_hand_in_a_cat(catalogue):
    """No hand picture ships with the tests; a cat has no hands, so none may be found."""
    model = load_model(catalogue.find("pose", "hands"))
    assert isinstance(model, PoseModel)
    assert len(model.estimator.keypoint_names) == 21 and model.estimator.links
    assert model.process(frame_of(picture("chelsea.jpg"))).poses == ()


def test_pose_draws_at_the_keypoints(catalogue):
    model = body_network(catalogue)
    frame = picture("astronaut.jpg")
    result = model.process(frame_of(frame))
    drawn = frame.copy()
    model.draw(drawn, result)
    height, width = frame.shape[:2]
    for keypoint in result.poses[0].keypoints:
        x, y = int(round(keypoint.x)), int(round(keypoint.y))
        if 0 <= x < width and 0 <= y < height:
            assert not np.array_equal(drawn[y, x], frame[y, x]), keypoint.name


def test_selfie_mask_marks_the_person(catalogue):
    mask = SelfieSegmentation(catalogue.find("background", "selfie")).mask(picture("astronaut.jpg"))
    assert mask.dtype == np.float32 and mask.shape == (512, 512)
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    assert mask[260, 210] > 0.9  # the chest, between the shoulders


# ---- synthesised bodies ----------------------------------------------------------------------

# A person facing the camera, in torso lengths from the hip centre, y down; their left is
# on the image's right.
STANDING = {
    "nose": (0.0, -1.45),
    "left_eye": (0.06, -1.5),
    "right_eye": (-0.06, -1.5),
    "left_shoulder": (0.35, -1.0),
    "right_shoulder": (-0.35, -1.0),
    "left_elbow": (0.42, -0.5),
    "right_elbow": (-0.42, -0.5),
    "left_wrist": (0.45, -0.05),
    "right_wrist": (-0.45, -0.05),
    "left_hip": (0.15, 0.0),
    "right_hip": (-0.15, 0.0),
    "left_knee": (0.16, 0.9),
    "right_knee": (-0.16, 0.9),
    "left_ankle": (0.16, 1.8),
    "right_ankle": (-0.16, 1.8),
}
HIPS = np.array([320.0, 240.0])
FLOOR = HIPS[1] + 1.8 * TORSO


def posed(
    changes: dict[str, tuple[float, float]] | None = None,
    hips: np.ndarray = HIPS,
    turn_degrees: float = 0.0,
) -> dict[str, np.ndarray]:
    """The standing body with some landmarks moved, turned about the hip centre and placed
    with its hip centre at `hips` (pixels)."""
    turn = math.radians(turn_degrees)
    rotation = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    offsets = {**STANDING, **(changes or {})}
    return {name: hips + rotation @ np.array(offset) * TORSO for name, offset in offsets.items()}


def pose_result(points: dict[str, np.ndarray], rng: np.random.Generator) -> PoseResult:
    """The pose network's result for one person, with a little landmark jitter."""
    keypoints = [
        (*(points[name] + rng.normal(0, 0.01 * TORSO, 2)), 0.98)
        if name in points
        else (0.0, 0.0, 0.05)
        for name in BODY_NAMES
    ]
    return PoseResult(0, 0.0, (make_pose(keypoints, BODY_NAMES, [], 0.5),))


class NoPose:
    """A BodyPose stand-in that must not be needed: the pose network's result is given."""

    keypoint_names = BODY_NAMES
    links: list = []

    def estimate(self, _image):
        raise AssertionError("the action network ran its own pose estimation")


def action_model(body_pose=None) -> ActionModel:
    return ActionModel("pose-actions", body_pose or NoPose())


FRAMES_PLAYED: WeakKeyDictionary[ActionModel, int] = WeakKeyDictionary()


def video_frame(index: int) -> np.ndarray:
    """A blank frame but for a square that moves 7 px a frame: a video's frames differ, so the
    action network takes each for a new moment of one scene (scene_change.py)."""
    image = BLANK.copy()
    left = 7 * index % 600
    image[200:240, left : left + 40] = 255
    return image


def next_frame(model: ActionModel) -> Frame:
    """The model's next frame of a 30 fps video (capture times go on across calls)."""
    index = FRAMES_PLAYED.get(model, 0)
    FRAMES_PLAYED[model] = index + 1
    return frame_of(video_frame(index), index, 1000.0 + index / FPS)


def play(model: ActionModel, bodies: Iterable[dict[str, np.ndarray]]) -> list[ActionResult]:
    """Feed one body a frame at 30 fps, as the pipeline does; every frame's result."""
    rng = np.random.default_rng(7)
    return [model.process(next_frame(model), {"pose": pose_result(body, rng)}) for body in bodies]


def frames(seconds: float) -> range:
    return range(int(seconds * FPS))


def standing_still(seconds: float) -> list[dict[str, np.ndarray]]:
    return [posed() for _ in frames(seconds)]


HANDS_UP = {
    "left_wrist": (0.5, -2.2),
    "right_wrist": (-0.5, -2.2),
    "left_elbow": (0.5, -1.6),
    "right_elbow": (-0.5, -1.6),
}


def waving_right_hand(seconds: float, hertz: float = 2.0) -> list[dict[str, np.ndarray]]:
    """The right wrist raised beside the head, swinging +-0.3 torso lengths."""
    return [
        posed(
            {
                "right_wrist": (-0.35 + 0.3 * math.sin(2 * math.pi * hertz * i / FPS), -1.6),
                "right_elbow": (-0.45, -1.1),
            }
        )
        for i in frames(seconds)
    ]


def squatting_down(seconds: float) -> list[dict[str, np.ndarray]]:
    """Lowering the hips from standing to a deep squat, seen from the front (the knees go out
    and up to hip height), then holding it."""
    bodies = []
    for i in frames(seconds):
        depth = min(1.0, i / FPS)  # a second to go down
        hips = HIPS + [0.0, 1.05 * TORSO * depth]
        knee = (0.16 + 0.3 * depth, 0.9 - 0.95 * depth)
        bodies.append(
            posed(
                {
                    "left_knee": knee,
                    "right_knee": (-knee[0], knee[1]),
                    "left_ankle": (0.16, 1.8 - 1.05 * depth),
                    "right_ankle": (-0.16, 1.8 - 1.05 * depth),
                },
                hips,
            )
        )
    return bodies


def walking_across(seconds: float) -> list[dict[str, np.ndarray]]:
    """Seen from the side, walking right at 2 torso lengths a second, a stride a second, from
    the left of the picture (landmarks outside it are not seen)."""
    bodies = []
    for i in frames(seconds):
        swing = 0.4 * math.sin(2 * math.pi * i / FPS)
        side_on = {
            name: (0.02 * (1 if name.startswith("left") else -1) + dx, dy)
            for name, (dx, dy) in STANDING.items()
        }
        side_on.update(
            {
                "left_ankle": (swing, 1.78),
                "right_ankle": (-swing, 1.78),
                "left_knee": (swing / 2, 0.9),
                "right_knee": (-swing / 2, 0.9),
                "left_wrist": (-swing / 2, -0.05),
                "right_wrist": (swing / 2, -0.05),
            }
        )
        bodies.append(posed(side_on, HIPS + [2 * TORSO * (i / FPS - 1), 0.0]))
    return bodies


def falling_over(seconds: float) -> list[dict[str, np.ndarray]]:
    """Toppling sideways in 0.4 s, hips to the floor, then lying there."""
    bodies = []
    for i in frames(seconds):
        done = min(1.0, i / (0.4 * FPS))
        hips = HIPS + [0.0, (FLOOR - 0.15 * TORSO - HIPS[1]) * done]
        bodies.append(posed(hips=hips, turn_degrees=85 * done))
    return bodies


def last_label(results: list[ActionResult]) -> str | None:
    return results[-1].label


# ---- the action rules ------------------------------------------------------------------------


def test_standing_still_is_standing():
    results = play(action_model(), standing_still(1.5))
    assert last_label(results) == "standing" and results[-1].confidence > 0.9
    assert set(results[-1].scores) == {
        "hands_up",
        "waving",
        "squatting",
        "walking",
        "falling",
        "standing",
    }


def test_both_hands_held_up_is_hands_up_not_waving():
    model = action_model()
    results = play(model, standing_still(0.5) + [posed(HANDS_UP) for _ in frames(1.0)])
    assert last_label(results) == "hands_up" and results[-1].confidence > 0.9
    assert results[-1].scores["waving"] < 0.1
    assert results[-1].scores["standing"] < 0.1


def test_a_raised_hand_swinging_is_waving():
    results = play(action_model(), standing_still(0.5) + waving_right_hand(1.5))
    assert last_label(results) == "waving" and results[-1].confidence > 0.8
    assert results[-1].scores["hands_up"] < 0.1


def test_lowering_the_hips_with_bent_knees_is_squatting():
    results = play(action_model(), standing_still(0.5) + squatting_down(1.5))
    assert last_label(results) == "squatting" and results[-1].confidence > 0.9
    assert max(r.scores["falling"] for r in results) < 0.2, "a slow squat is not a fall"


def test_alternating_legs_moving_across_is_walking():
    results = play(action_model(), walking_across(2.0))
    assert last_label(results) == "walking" and results[-1].confidence > 0.8
    assert results[-1].scores["standing"] < 0.1


def test_toppling_to_the_floor_is_falling_for_a_while():
    model = action_model()
    results = play(model, standing_still(1.0) + falling_over(0.5))
    assert results[29].label == "standing"
    assert last_label(results) == "falling" and results[-1].confidence > 0.9
    lying = play(model, [posed(hips=np.array([320.0, FLOOR - 15]), turn_degrees=85)] * 60)
    assert lying[30].label == "falling", "reported for a while after"
    assert lying[-1].label != "falling", "and then no longer"


def test_skip_frames_holds_the_answer_while_the_history_grows():
    model = action_model()
    model.settings.skip_frames = 29
    first = play(model, standing_still(1 / FPS))[0]
    held = play(model, [posed(HANDS_UP) for _ in range(29)])
    assert first.label == "standing"
    assert all(
        (r.label, r.confidence, r.scores) == (first.label, first.confidence, first.scores)
        for r in held
    )
    assert play(model, [posed(HANDS_UP)])[0].label == "hands_up"


def test_confidence_threshold_hides_weak_answers():
    half_raised = {"left_wrist": (0.45, -1.5), "right_wrist": (-0.45, -1.5)}
    model = action_model()
    result = play(model, [posed(half_raised) for _ in frames(1.0)])[-1]
    assert result.label == "hands_up" and 0.55 < result.confidence < 0.8
    model.settings.confidence_threshold = 0.9
    hidden = play(model, [posed(half_raised)])[-1]
    assert hidden.label is None and hidden.confidence == 0.0
    assert hidden.scores["hands_up"] == pytest.approx(result.confidence, abs=0.05)


class CountingPose:
    """A BodyPose stand-in that always sees the standing body, and counts its calls."""

    keypoint_names = BODY_NAMES
    links: list = []

    def __init__(self) -> None:
        self.calls = 0

    def estimate(self, _image):
        self.calls += 1
        body = self.body()
        return [[(*body[name], 0.98) if name in body else (0.0, 0.0, 0.0) for name in BODY_NAMES]]

    def body(self) -> dict[str, np.ndarray]:
        return posed()


def test_hand_keypoints_cannot_drive_it_so_it_finds_the_body_itself():
    own = CountingPose()
    model = action_model(own)
    hand = [(300.0 + i, 200.0 + i, 0.9) for i in range(21)]
    hands = PoseResult(0, 0.0, (make_pose(hand, HAND_NAMES, [], 0.5),))
    result = model.process(next_frame(model), {"pose": hands})
    assert own.calls == 1 and result.label == "standing"
    model.process(next_frame(model), {"pose": PoseResult(1, 0.0, ())})
    assert own.calls == 2


def test_without_a_pose_result_it_runs_its_own_body_pose(catalogue, monkeypatch):
    model = load_model(catalogue.find("action", "pose-actions"))
    assert isinstance(model, ActionModel) and isinstance(model.body_pose, BodyPose)
    found: list[list[list[tuple[float, float, float]]]] = []
    estimate = model.body_pose.estimate

    def recorded_estimate(image: np.ndarray) -> list[list[tuple[float, float, float]]]:
        found.append(estimate(image))
        return found[-1]

    monkeypatch.setattr(model.body_pose, "estimate", recorded_estimate)
    result = model.process(frame_of(picture("astronaut.jpg")))
    assert len(found) == 1 and len(found[0]) == 1, "its own BodyPose ran, and found her"
    assert set(result.to_json()) == {"frame", "timestamp", "label", "confidence", "scores"}
    assert model.process(frame_of(picture("chelsea.jpg"), 1, 1.0)).label is None
    assert len(found) == 2


def test_action_draws_its_label_bottom_left():
    model = action_model()
    drawn = BLANK.copy()
    model.draw(drawn, ActionResult(0, 0.0, "waving", 0.82, {}))
    assert drawn[240:].any() and not drawn[:240].any()
    idle = BLANK.copy()
    model.draw(idle, ActionResult(0, 0.0, None, 0.0, {}))
    assert not idle.any(), "no action: nothing drawn over the picture"


# ---- stills: a slideshow, an unchanging frame --------------------------------------------------

SLIDESHOW = ["astronaut.jpg", "chelsea.jpg", "grace_hopper.jpg", "coffee.jpg", "astronaut.jpg"]


def slide(name: str) -> np.ndarray:
    """A test picture as a slideshow shows it, at 640x480."""
    return cv2.resize(picture(name), (640, 480), interpolation=cv2.INTER_AREA)


def keypoints_of(result: PoseResult) -> list[tuple[str, float, float, float]]:
    return [(k.name, k.x, k.y, k.confidence) for pose in result.poses for k in pose.keypoints]


def test_pose_starts_afresh_at_each_picture_of_a_slideshow(catalogue):
    """Each picture's first frame gives exactly what a new network gives on it: nothing is
    carried over (tracking used to put a person from the last picture on the cat)."""
    shown = body_network(catalogue)
    index = 0
    for name in SLIDESHOW:
        fresh = body_network(catalogue).process(frame_of(slide(name)))
        for repeat in range(3):
            result = shown.process(frame_of(slide(name), index, index / FPS))
            index += 1
            if repeat == 0:
                assert keypoints_of(result) == keypoints_of(fresh), name
        if name in ("chelsea.jpg", "coffee.jpg"):
            assert result.poses == (), f"a person on {name}"


def test_action_starts_afresh_at_each_picture_and_sees_no_legs_outside_it(catalogue):
    """No motion is carried from one picture to the next, and a portrait is not squatting:
    BlazePose places its legs below the picture, which the rules do not count."""
    shown = load_model(catalogue.find("action", "pose-actions"))
    index = 0
    for name in SLIDESHOW:
        fresh = load_model(catalogue.find("action", "pose-actions"))
        expected = fresh.process(frame_of(slide(name))).scores
        for repeat in range(10):
            result = shown.process(frame_of(slide(name), index, index / FPS))
            index += 1
            assert result.label is None, (name, result.scores)
            if repeat == 0:
                assert result.scores == expected, name


class DriftingPose(CountingPose):
    """A BodyPose stand-in that, like a tracking network on an unchanging picture, answers a
    little differently at every call: the hips creep right, the ankles trade places."""

    def body(self) -> dict[str, np.ndarray]:
        step = 0.3 * (-1) ** self.calls
        return posed(
            {"left_ankle": (0.16 + step, 1.8), "right_ankle": (-0.16 - step, 1.8)},
            HIPS + [3.0 * self.calls, 0.0],
        )


def test_on_an_unchanging_frame_action_neither_fades_nor_claims_motion():
    drifting = DriftingPose()
    model = action_model(drifting)
    still = picture("astronaut.jpg")
    results = [model.process(frame_of(still, i, 1000.0 + i / FPS)) for i in frames(3.0)]
    assert results[0].label == "standing"
    assert all(
        (r.label, r.confidence, r.scores) == (results[0].label, 1.0, results[0].scores)
        for r in results
    )
    assert drifting.calls == 1, "the body of an unchanged frame is the one seen"
    moved = model.process(frame_of(video_frame(0), 90, 1003.0))
    assert drifting.calls == 2 and moved.label == "standing"


def test_a_still_of_a_standing_walker_stays_standing(catalogue):
    """BlazePose on a whole body (bench/street_scene.py's walker, 440 px tall) for 3 s of an
    unchanging frame."""
    rng = np.random.default_rng(3)
    still = street(rng, plain=True)
    paste(still, *walker(rng, 440), left=200, top=20)
    model = load_model(catalogue.find("action", "pose-actions"))
    results = [model.process(frame_of(still, i, i / FPS)) for i in frames(3.0)]
    assert results[0].label == "standing"
    assert all((r.label, r.confidence) == ("standing", results[0].confidence) for r in results)


# ---- in the pipeline -------------------------------------------------------------------------


def test_action_uses_the_pose_networks_result_while_it_runs(start_server, catalogue, monkeypatch):
    pose_slot = create_slot(catalogue, "pose", None)
    action_slot = create_slot(catalogue, "action", None)
    assert isinstance(action_slot.model, ActionModel)
    own_pose = action_slot.model.body_pose
    calls: list[int] = []
    real_estimate = own_pose.estimate

    def counted_estimate(frame: np.ndarray) -> list[list[tuple[float, float, float]]]:
        calls.append(1)
        return real_estimate(frame)

    monkeypatch.setattr(own_pose, "estimate", counted_estimate)
    # the test pattern, whose photograph of a person slides: on a still picture the action
    # network keeps the body it last saw and has nothing to estimate (scene_change.py)
    source = open_source(InputSpec(rate=10))
    server = start_server(source, networks=[pose_slot, action_slot])

    pose = wait_for(lambda: server.get("/pose/results").json())
    assert pose["poses"] and pose["poses"][0]["keypoints"]
    first = wait_for(lambda: server.get("/action/results").json())
    assert "label" in first and set(first["scores"]) >= {"hands_up", "standing"}
    wait_for(lambda: server.get("/action/results").json()["frame"] >= first["frame"] + 3)
    assert calls == [], "the action network estimated the pose itself while pose ran"

    requests.put(server.url + "/pose/enabled", data="false", timeout=10).raise_for_status()
    wait_for(lambda: len(calls) >= 3)
    assert action_slot.error is None and action_slot.enabled
