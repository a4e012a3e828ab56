"""Action recognition by rules over the body landmarks of the last two seconds.

What it is: hand-written temporal logic over BlazePose body landmarks. They come from the
pose network's result of the same frame when a body pose network is loaded and enabled and
found a body with both shoulders (its confidence_threshold applies to what it passes on);
otherwise (no pose network, a hand network, nobody found) this network's own BodyPose runs on
the frame. Each frame's nose, shoulders, wrists, hips, knees and ankles are kept in a bounded,
timestamped history, relative to the shoulder centre and in torso lengths (shoulder centre to
hip centre, or 1.4 shoulder widths if larger or if the hips are not seen), so the rules work
at any distance. Each rule gives a confidence 0-1 that rises smoothly with how clearly its
condition holds; the answer is the best one at or above confidence_threshold:

- hands_up: both wrists above their shoulders by 0.2-0.7 torso lengths (nose height is about
  0.45), held over the last 0.5 s;
- waving: a wrist above its shoulder swinging left-right: direction reversals (of at least
  0.15 torso lengths) of its x relative to the shoulder over the last 1.5 s;
- squatting: hips low over the ankles, knees bent (a small hip-knee-ankle angle, or the
  thighs raised towards horizontal when seen from the front), torso not lying;
- walking: the ankles alternating (reversals of their horizontal or vertical separation over
  1.5 s) with an upright torso; moving across the view raises the confidence;
- falling: within 0.5 s the hip centre drops by 0.8-1.4 torso lengths (about a quarter to
  two fifths of the body height), or the torso tilts from upright towards horizontal while
  the hips drop; it is reported for as long as the drop is in the two-second history;
- standing: upright torso, straight legs, hips still for a second, and no gesture above.
No person (or no shoulders seen): label None, every score 0.

What it is not: a learned action classifier. It knows these six actions only, from a single
2D body seen roughly upright by a level camera; it cannot tell what is done with objects
(the 1040 Kinetics-700 and Moments in Time classes of jetson-inference's actionNet, the
Jetson network for that), and it has not been tuned on recorded video of people, only checked
on synthesised landmark sequences and still photographs. The leg rules need the legs in
view: an upper-body view gives hands_up and waving only.

Time is the frame's capture time, so the rules see the motion as it was captured, however
late or irregularly the frames are processed.

Stills (scene_change.py compares each frame with the one before): when the picture changes to
another scene, as a slideshow's does, the history is emptied and the own BodyPose forgets whom
it followed, so no motion is carried from one picture to the next. A frame identical to the
one before shows the body where it was: its last landmarks are kept for the new moment rather
than estimated again (a tracking pose network drifts on an unchanging picture), so on a still
the answer neither fades nor claims motion. Landmarks placed outside the picture are unseen.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from draw import Overlay
from frame import Frame
from model import NO_INPUTS, Inputs, Model, configure, setting
from networks.pose import PoseEstimator, extent, forget_at_cut, person_colour
from placement import Rect
from results import ActionResult, Pose, PoseResult, class_label
from scene_change import Change, SceneWatch

ACTIONS = ("hands_up", "waving", "squatting", "walking", "falling", "standing")
SIDES = ("left", "right")
USED_LANDMARKS = frozenset(
    {"nose"}
    | {
        f"{side}_{joint}"
        for side in SIDES
        for joint in ("shoulder", "wrist", "hip", "knee", "ankle")
    }
)

LANDMARK_MIN_CONFIDENCE = 0.5  # landmarks less visible than this are treated as unseen
SHOULDER_WIDTH_TO_TORSO = 1.4  # torso length (shoulder to hip centre) per shoulder width
MIN_BODY_PX = 8.0  # a body smaller than this (torso length in pixels) is not used
HISTORY_S = 2.0
HISTORY_MAX_SAMPLES = 240  # a bound on the history at high frame rates
MIN_SAMPLES = 5  # of a time window, for the rules over motion

# Distances are in torso lengths, y pointing down; angles in degrees.
RAISED_WRIST = (0.2, 0.7)  # wrist height above its shoulder: not raised .. clearly raised
HANDS_UP_HOLD_S = 0.5
WAVE_WINDOW_S = 1.5
WAVE_SWING = 0.15  # smallest left-right move of the wrist that counts as a swing
WAVE_FULL_REVERSALS = 3
WAVE_RAISED_FRACTION = (0.3, 0.7)  # of the window with the wrist above the shoulder
SQUAT_HIP_HEIGHT = (1.4, 0.9)  # hip centre above the ankles: standing .. squatting
SQUAT_KNEE_ANGLE = (150.0, 110.0)
SQUAT_THIGH_DROP = (0.6, 0.25)  # knee below hip: standing .. thigh raised (front view)
LYING_TILT = (75.0, 55.0)  # torso tilt from vertical: lying .. not lying
UPRIGHT_TILT = (40.0, 20.0)  # torso tilt: leaning .. upright
WALK_WINDOW_S = 1.5
WALK_STRIDE_SWING = 0.25  # smallest change of the ankles' horizontal separation
WALK_LIFT_SWING = 0.12  # smallest change of their vertical separation (a foot lifted)
WALK_FULL_REVERSALS = 3
WALK_SPEED = (0.2, 1.0)  # hip centre speed across the view, torso lengths per second
WALK_IN_PLACE_WEIGHT = 0.7  # the confidence of alternating legs without travel
FALL_WINDOW_S = 0.5
FALL_DROP = (0.8, 1.4)  # hip centre drop within FALL_WINDOW_S
FALL_TILT_GAIN = (30.0, 60.0)  # torso tilt gained within FALL_WINDOW_S
FALL_TILT_DROP = (0.3, 0.6)  # the hip drop that must come with the tilt
STANDING_KNEE_ANGLE = (140.0, 160.0)
STANDING_HIP_HEIGHT = (1.1, 1.4)
STILL_WINDOW_S = 1.0
STILL_TRAVEL = (0.3, 0.1)  # hip centre's largest move from its mean: moving .. still

# Drawing: the label's colour with no person to point at
ACTION_RED = (40, 40, 160)
TEXT_SCALE = 1.2  # times the frame's text scale


@dataclass(frozen=True)
class Sample:
    """One frame's body: landmarks relative to the shoulder centre in torso lengths, and the
    torso length and hip centre (None if the hips are not seen) in frame pixels."""

    time: float
    points: dict[str, np.ndarray]
    scale: float
    hips_px: np.ndarray | None

    def get(self, *names: str) -> list[np.ndarray] | None:
        """The named points, or None unless all are seen."""
        found = [point for name in names if (point := self.points.get(name)) is not None]
        return found if len(found) == len(names) else None

    def centre(self, joint: str) -> np.ndarray | None:
        """The midpoint of the left and right `joint`, if both are seen."""
        pair = self.get(f"left_{joint}", f"right_{joint}")
        return None if pair is None else (pair[0] + pair[1]) / 2


def make_sample(moment: float, points_px: dict[str, np.ndarray]) -> Sample | None:
    """The sample of a frame's seen landmarks (pixels); None without both shoulders."""
    if "left_shoulder" not in points_px or "right_shoulder" not in points_px:
        return None
    left, right = points_px["left_shoulder"], points_px["right_shoulder"]
    shoulders = (left + right) / 2
    scale = float(np.linalg.norm(left - right)) * SHOULDER_WIDTH_TO_TORSO
    hips = None
    if "left_hip" in points_px and "right_hip" in points_px:
        hips = (points_px["left_hip"] + points_px["right_hip"]) / 2
        scale = max(scale, float(np.linalg.norm(shoulders - hips)))
    if scale < MIN_BODY_PX:
        return None
    points = {name: (point - shoulders) / scale for name, point in points_px.items()}
    return Sample(moment, points, scale, hips)


# ---- measures --------------------------------------------------------------------------------


def ramp(value: float, start: float, end: float) -> float:
    """0 at `start`, 1 at `end`, smoothstep between (start > end: falling)."""
    x = min(1.0, max(0.0, (value - start) / (end - start)))
    return x * x * (3 - 2 * x)


def recent(history: Sequence[Sample], seconds: float) -> list[Sample]:
    """The samples of the last `seconds` before the newest."""
    return [s for s in history if s.time >= history[-1].time - seconds] if history else []


def count_reversals(values: Iterable[float], swing: float) -> int:
    """Direction changes of a series, ignoring moves back smaller than `swing`."""
    count, direction, extreme = 0, 0, None
    for value in values:
        if extreme is None or direction * (value - extreme) > 0:
            extreme = value  # the start, or further the same way
        elif abs(value - extreme) >= swing:
            count += direction != 0
            direction, extreme = (1 if value > extreme else -1), value
    return count


def fastest_rise(times: Sequence[float], values: Sequence[float], window: float) -> float:
    """The largest increase of `values` from one moment to a later one within `window`."""
    best = 0.0
    for i, (start, first) in enumerate(zip(times, values)):
        for moment, value in zip(times[i + 1 :], values[i + 1 :]):
            if moment - start > window:
                break
            best = max(best, value - first)
    return best


def angle(a: np.ndarray, vertex: np.ndarray, b: np.ndarray) -> float:
    """The angle a-vertex-b in degrees."""
    u, v = a - vertex, b - vertex
    cosine = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-9))
    return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))


def tilt(sample: Sample) -> float | None:
    """The torso's angle from upright: 0 upright, 90 lying, 180 upside down."""
    hips = sample.centre("hip")
    if hips is None:
        return None
    return math.degrees(math.atan2(abs(hips[0]), hips[1]))  # shoulders are the origin


def knee_angle(sample: Sample) -> float | None:
    """The mean hip-knee-ankle angle of the legs seen (180: straight)."""
    angles = [
        angle(*joints)
        for side in SIDES
        if (joints := sample.get(f"{side}_hip", f"{side}_knee", f"{side}_ankle"))
    ]
    return statistics.fmean(angles) if angles else None


def hip_height(sample: Sample) -> float | None:
    """How far the hip centre is above the ankles seen."""
    hips = sample.centre("hip")
    ankles = [a for side in SIDES if (a := sample.points.get(f"{side}_ankle")) is not None]
    return None if hips is None or not ankles else statistics.fmean(a[1] for a in ankles) - hips[1]


def wrist_height(sample: Sample, side: str) -> float | None:
    """How far a wrist is above its shoulder."""
    joints = sample.get(f"{side}_wrist", f"{side}_shoulder")
    return None if joints is None else float(joints[1][1] - joints[0][1])


def raised(sample: Sample, side: str) -> float:
    """How clearly a wrist is raised above its shoulder, 0-1."""
    height = wrist_height(sample, side)
    return 0.0 if height is None else ramp(height, *RAISED_WRIST)


def hips_in_torso_lengths(samples: Sequence[Sample]) -> list[np.ndarray]:
    """The hip centres of samples that have them, in pixels over the median torso length."""
    with_hips = [(s.hips_px, s.scale) for s in samples if s.hips_px is not None]
    if not with_hips:
        return []
    scale = statistics.median(scale for _, scale in with_hips)
    return [hips / scale for hips, _ in with_hips]


# ---- rules: each the confidence 0-1 of one action, from the history (newest last) -----------


def hands_up(history: Sequence[Sample]) -> float:
    """Both wrists above the shoulders, held."""
    return statistics.fmean(
        min(raised(s, side) for side in SIDES) for s in recent(history, HANDS_UP_HOLD_S)
    )


def waving(history: Sequence[Sample]) -> float:
    """A raised wrist swinging left-right relative to its shoulder."""
    window = recent(history, WAVE_WINDOW_S)
    return max(wave_of(window, side) for side in SIDES)


def wave_of(window: Sequence[Sample], side: str) -> float:
    """How clearly one wrist waves: swings counted while it is above its shoulder."""
    up = [s for s in window if (wrist_height(s, side) or 0.0) > 0]
    if len(up) < MIN_SAMPLES:
        return 0.0
    offsets = [s.points[f"{side}_wrist"][0] - s.points[f"{side}_shoulder"][0] for s in up]
    reversals = count_reversals(offsets, WAVE_SWING)
    return (
        ramp(reversals, 0, WAVE_FULL_REVERSALS)
        * ramp(max(offsets) - min(offsets), WAVE_SWING, 2 * WAVE_SWING)
        * ramp(len(up) / len(window), *WAVE_RAISED_FRACTION)
    )


def squatting(history: Sequence[Sample]) -> float:
    """Hips low over the ankles, knees bent, torso not lying."""
    sample = history[-1]
    height, knees, lean = hip_height(sample), knee_angle(sample), tilt(sample)
    hips = sample.centre("hip")
    if height is None or knees is None or lean is None or hips is None:
        return 0.0
    thigh_drop = statistics.fmean(
        sample.points[f"{side}_knee"][1] - hips[1]
        for side in SIDES
        if f"{side}_knee" in sample.points
    )
    bent = max(ramp(knees, *SQUAT_KNEE_ANGLE), ramp(thigh_drop, *SQUAT_THIGH_DROP))
    return ramp(height, *SQUAT_HIP_HEIGHT) * bent * ramp(lean, *LYING_TILT)


def walking(history: Sequence[Sample]) -> float:
    """Ankles alternating under an upright torso; more sure when moving across the view."""
    window = [
        s
        for s in recent(history, WALK_WINDOW_S)
        if s.get("left_ankle", "right_ankle") and s.hips_px is not None
    ]
    lean = tilt(history[-1])
    if len(window) < MIN_SAMPLES or lean is None:
        return 0.0
    apart = [s.points["left_ankle"] - s.points["right_ankle"] for s in window]
    reversals = max(
        count_reversals((d[0] for d in apart), WALK_STRIDE_SWING),
        count_reversals((d[1] for d in apart), WALK_LIFT_SWING),
    )
    hips = hips_in_torso_lengths(window)
    speed = abs(hips[-1][0] - hips[0][0]) / max(window[-1].time - window[0].time, 1e-3)
    travel = WALK_IN_PLACE_WEIGHT + (1 - WALK_IN_PLACE_WEIGHT) * ramp(speed, *WALK_SPEED)
    return ramp(reversals, 0, WALK_FULL_REVERSALS) * ramp(lean, *UPRIGHT_TILT) * travel


def falling(history: Sequence[Sample]) -> float:
    """A fast, large drop of the hips, or a fast tilt of the torso as the hips drop."""
    samples = [s for s in history if s.hips_px is not None]
    if len(samples) < 2:
        return 0.0
    times = [s.time for s in samples]
    drop = fastest_rise(times, [h[1] for h in hips_in_torso_lengths(samples)], FALL_WINDOW_S)
    tilts = [tilt(s) for s in samples]  # never None: these samples have both hips
    tilt_gain = fastest_rise(times, [t or 0.0 for t in tilts], FALL_WINDOW_S)
    return max(
        ramp(drop, *FALL_DROP), ramp(tilt_gain, *FALL_TILT_GAIN) * ramp(drop, *FALL_TILT_DROP)
    )


def standing(history: Sequence[Sample]) -> float:
    """Upright with straight legs, the hips still, and no gesture."""
    sample = history[-1]
    height, knees, lean = hip_height(sample), knee_angle(sample), tilt(sample)
    if height is None or knees is None or lean is None:
        return 0.0
    hips = hips_in_torso_lengths(recent(history, STILL_WINDOW_S))
    centre = np.mean(hips, axis=0)
    travel = max(float(np.linalg.norm(h - centre)) for h in hips)
    posture = (
        ramp(lean, *UPRIGHT_TILT)
        * ramp(knees, *STANDING_KNEE_ANGLE)
        * ramp(height, *STANDING_HIP_HEIGHT)
    )
    return posture * ramp(travel, *STILL_TRAVEL) * (1 - max(hands_up(history), waving(history)))


RULES: dict[str, Callable[[Sequence[Sample]], float]] = {
    "hands_up": hands_up,
    "waving": waving,
    "squatting": squatting,
    "walking": walking,
    "falling": falling,
    "standing": standing,
}


def classify(history: Sequence[Sample]) -> dict[str, float]:
    """Every action's confidence, rounded for the JSON."""
    return {label: round(rule(history), 4) for label, rule in RULES.items()}


# ---- the network -----------------------------------------------------------------------------


@dataclass
class ActionSettings:
    confidence_threshold: float = setting(
        0.5, 0.0, 1.0, 0.01, "actions less sure are not reported", label="Min confidence"
    )
    skip_frames: int = setting(
        0,
        0,
        30,
        1,
        "frames between evaluations, which report the "
        "last answer; the landmarks are still followed every frame",
        label="Frames skipped between evaluations",
    )


def body_landmarks(pose: PoseResult | None) -> dict[str, tuple[float, float, float]] | None:
    """The first body in a pose network's result that has both shoulders, by landmark name;
    None if there is none (no result, nobody found, or hand keypoints)."""
    for person in pose.poses if pose else ():
        found = {kp.name: (kp.x, kp.y, kp.confidence) for kp in person.keypoints}
        if "left_shoulder" in found and "right_shoulder" in found:
            return found
    return None


class ActionModel(Model[ActionResult]):
    """Rules over the body landmarks of the last frames; see the module docstring."""

    type = "action"
    Settings = ActionSettings
    needs = ("pose",)

    def __init__(self, name: str, body_pose: PoseEstimator) -> None:
        super().__init__(name)
        self.body_pose = body_pose
        self._history: deque[Sample] = deque(maxlen=HISTORY_MAX_SAMPLES)
        self._last: Sample | None = None  # the previous frame's body
        self._scenes = SceneWatch()
        self._frames = 0
        self._scores = dict.fromkeys(ACTIONS, 0.0)

    def process(self, frame: Frame, inputs: Inputs = NO_INPUTS) -> ActionResult:
        now = frame.timestamp
        change = forget_at_cut(self.body_pose, self._scenes, frame.image)
        if change is Change.CUT:  # another picture: the motion seen so far is not its own
            self._history.clear()
        while self._history and self._history[0].time < now - HISTORY_S:
            self._history.popleft()
        if change is Change.SAME:  # nothing moved: the body is where it was, if anywhere
            sample = None if self._last is None else replace(self._last, time=now)
        else:
            pose = inputs.get("pose")
            landmarks = self._landmarks(frame.image, pose if isinstance(pose, PoseResult) else None)
            sample = make_sample(now, landmarks)
        self._last = sample
        if sample is not None:
            self._history.append(sample)
        if self._frames % (self.settings.skip_frames + 1) == 0:
            self._scores = classify(self._history) if sample else dict.fromkeys(ACTIONS, 0.0)
        self._frames += 1
        return self._answer(frame)

    def _landmarks(self, image: np.ndarray, pose: PoseResult | None) -> dict[str, np.ndarray]:
        """The rules' landmarks seen in this frame, in pixels: from the pose network's body
        if it has one, else from this network's own BodyPose. A landmark placed outside the
        picture (BlazePose guesses the legs of a portrait, some with visibility 0.8) is not
        seen."""
        found = body_landmarks(pose)
        if found is None:
            people = self.body_pose.estimate(image)
            found = dict(zip(self.body_pose.keypoint_names, people[0])) if people else {}
        height, width = image.shape[:2]
        return {
            name: np.array([x, y], np.float64)
            for name, (x, y, confidence) in found.items()
            if name in USED_LANDMARKS
            and confidence >= LANDMARK_MIN_CONFIDENCE
            and 0 <= x < width
            and 0 <= y < height
        }

    def _answer(self, frame: Frame) -> ActionResult:
        label = max(self._scores, key=lambda action: self._scores[action])
        confidence = self._scores[label]
        if confidence <= 0 or confidence < self.settings.confidence_threshold:
            return ActionResult(frame.index, frame.timestamp, None, 0.0, dict(self._scores))
        return ActionResult(frame.index, frame.timestamp, label, confidence, dict(self._scores))

    def draw_overlay(self, overlay: Overlay, result: ActionResult) -> None:
        place_action(overlay, result)


class ClipClassifier(Protocol):
    """A backend that classifies the action of the frames seen so far (jetson-inference's
    actionNet, a learned clip classifier): (class id, confidence) for the newest BGR frame,
    class id -1 when none. Optional: `configure(settings)`, called with the frame's settings
    before classify() (model.configure); it applies confidence_threshold and skip_frames."""

    labels: list[str]

    def classify(self, image: np.ndarray) -> tuple[int, float]: ...


class ClipActionModel(Model[ActionResult]):
    """A learned action classifier over the frames themselves (jetson-inference's actionNet),
    not the rules above: it needs no pose. Same settings (names, ranges, REST paths) as
    ActionModel; its scores hold the one class it reports."""

    type = "action"
    Settings = ActionSettings

    def __init__(self, name: str, classifier: ClipClassifier) -> None:
        super().__init__(name)
        self.classifier = classifier

    def process(self, frame: Frame, inputs: Inputs = NO_INPUTS) -> ActionResult:
        configure(self.classifier, self.settings)
        class_id, confidence = self.classifier.classify(frame.image)
        confidence = min(1.0, max(0.0, float(confidence)))
        if class_id < 0 or confidence <= 0 or confidence < self.settings.confidence_threshold:
            return ActionResult(frame.index, frame.timestamp, None, 0.0, {})
        label = class_label(self.classifier.labels, int(class_id))
        confidence = round(confidence, 4)
        return ActionResult(frame.index, frame.timestamp, label, confidence, {label: confidence})

    def draw_overlay(self, overlay: Overlay, result: ActionResult) -> None:
        place_action(overlay, result)


def place_action(overlay: Overlay, result: ActionResult) -> None:
    """The action and its confidence, by the person it describes, in that person's skeleton
    colour: the largest body (with both shoulders) of the frame's pose result. On a PC the
    pose network finds one body, the one the rules follow; a clip classifier's action is the
    scene's, and the largest person the likeliest actor. With no body to point at (no pose
    result, or hands), bottom left. Nothing when no action is sure enough: a permanent "no
    action" would only hide the picture (the page's card says it, and that the network runs)."""
    if result.label is None:
        return
    text = f"{result.label.replace('_', ' ')} {result.confidence * 100:.0f}%"
    pose = overlay.results.get("pose")
    actor = largest_body(pose.poses) if isinstance(pose, PoseResult) else None
    if actor is None:
        overlay.place_in_corner(overlay.panel([text], ACTION_RED, TEXT_SCALE), "bottom-left")
        return
    index, box = actor
    overlay.place_by(overlay.panel([text], person_colour(index), TEXT_SCALE), box)


def largest_body(poses: Sequence[Pose]) -> tuple[int, Rect] | None:
    """The index and keypoint box of the largest pose with both shoulders, by box area; None
    if there is none."""
    bodies = [
        (index, extent(pose))
        for index, pose in enumerate(poses)
        if {"left_shoulder", "right_shoulder"} <= {kp.name for kp in pose.keypoints}
    ]
    return max(bodies, key=lambda body: area(body[1]), default=None)


def area(box: Rect) -> int:
    """A box's area in pixels."""
    left, top, right, bottom = box
    return (right - left) * (bottom - top)
