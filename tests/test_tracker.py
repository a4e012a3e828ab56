"""IouTracker on synthetic box sequences: confirmation, gaps, crossings, classes, live settings."""

from __future__ import annotations

from results import Detection
from tracker import IouTracker, box_iou


def det(
    left: float, top: float = 0, class_id: int = 1, width: float = 100, height: float = 100
) -> Detection:
    """A detection of `class_id` with its top-left corner at (left, top)."""
    return Detection(class_id, f"class{class_id}", 0.9, (left, top, left + width, top + height))


def ids(tracker: IouTracker, *detections: Detection) -> list[int | None]:
    """Track one frame and return its track ids, in the order of the detections."""
    return [detection.track_id for detection in tracker.update(list(detections))]


def confirmed_id(tracker: IouTracker, detection: Detection) -> int:
    """Feed one detection until its track is confirmed, and return the id."""
    for _ in range(tracker.min_frames):
        (track_id,) = ids(tracker, detection)
    assert track_id is not None
    return track_id


def tracker_with(**settings: float) -> IouTracker:
    """A new IouTracker with these settings changed, as the detection network changes them."""
    tracker = IouTracker()
    for name, value in settings.items():
        assert hasattr(tracker, name), name
        setattr(tracker, name, value)
    return tracker


def test_defaults_are_jetsons():
    tracker = IouTracker()
    assert (tracker.min_frames, tracker.drop_frames, tracker.overlap_threshold) == (3, 15, 0.5)


def test_moving_box_keeps_one_id_once_confirmed():
    tracker = tracker_with(min_frames=3)
    seen = [ids(tracker, det(5 * frame, 2 * frame)) for frame in range(20)]
    assert seen[:2] == [[None], [None]]
    assert {track_id for (track_id,) in seen[2:]} == {seen[2][0]}
    assert seen[2][0] is not None


def test_min_frames_0_confirms_a_track_at_once():
    """jetson-inference's page allows 0: the object's first frame gives it its id."""
    tracker = tracker_with(min_frames=0)
    first = ids(tracker, det(0), det(300))
    assert first == [0, 1]
    assert ids(tracker, det(5), det(305)) == first
    assert ids(tracker, det(600)) == [2]


def test_update_returns_copies_with_the_detections_fields():
    tracker = tracker_with(min_frames=1)
    detection = det(10, 20)
    (out,) = tracker.update([detection])
    assert detection.track_id is None
    assert (out.class_id, out.label, out.confidence, out.box) == (1, "class1", 0.9, detection.box)
    assert out.track_id is not None
    assert tracker.update([]) == []


def test_gap_up_to_drop_frames_keeps_the_id():
    tracker = tracker_with(min_frames=3, drop_frames=15)
    first = confirmed_id(tracker, det(0))
    for _ in range(15):
        assert ids(tracker) == []
    assert ids(tracker, det(3)) == [first]


def test_gap_longer_than_drop_frames_gives_a_new_id():
    tracker = tracker_with(min_frames=3, drop_frames=15)
    first = confirmed_id(tracker, det(0))
    for _ in range(16):
        ids(tracker)
    assert ids(tracker, det(3)) == [None]
    assert ids(tracker, det(3)) == [None]
    (second,) = ids(tracker, det(3))
    assert second is not None and second > first


def test_unconfirmed_track_survives_a_short_gap():
    tracker = tracker_with(min_frames=3, drop_frames=2)
    assert ids(tracker, det(0)) == [None]
    ids(tracker)
    ids(tracker)
    assert ids(tracker, det(0)) == [None]
    assert ids(tracker, det(0)) != [None]  # third matched frame, with the gap in between


def test_crossing_objects_of_one_class_keep_their_ids():
    # A goes right on rows 0-100, B goes left on rows 60-160: when they pass, IoU(A, B) = 0.25.
    tracker = tracker_with(min_frames=1)
    first_a, first_b = ids(tracker, det(0, 0), det(200, 60))
    assert None not in (first_a, first_b) and first_a != first_b
    for step in range(1, 21):
        a, b = det(10 * step, 0), det(200 - 10 * step, 60)
        detections = [b, a] if step % 2 else [a, b]  # the detector's order must not matter
        by_top = {out.box[1]: out.track_id for out in tracker.update(detections)}
        assert by_top == {0: first_a, 60: first_b}


def test_matching_is_greedy_by_highest_iou_not_by_track_order():
    tracker = tracker_with(min_frames=1)
    old, new = ids(tracker, det(0), det(20))  # track 'old' is older, listed first
    near_new, near_old = det(15), det(-25)
    assert box_iou(det(0).box, near_new.box) > box_iou(det(0).box, near_old.box) >= 0.5
    assert box_iou(det(20).box, near_new.box) > box_iou(det(0).box, near_new.box)
    assert box_iou(det(20).box, near_old.box) < 0.5
    # Track order would give near_new to 'old' and leave 'new' unmatched; best IoU first does not.
    assert ids(tracker, near_old, near_new) == [old, new]


def test_different_classes_never_match():
    tracker = tracker_with(min_frames=1)
    person, car = ids(tracker, det(0, class_id=1), det(0, class_id=2))
    assert None not in (person, car) and person != car
    for _ in range(5):
        assert ids(tracker, det(1, class_id=2), det(1, class_id=1)) == [car, person]
    (relabelled,) = ids(tracker, det(1, class_id=3))
    assert relabelled not in (person, car)


def test_jump_below_overlap_threshold_starts_a_new_track():
    tracker = tracker_with(min_frames=1, overlap_threshold=0.5)
    (first,) = ids(tracker, det(0))
    assert box_iou(det(0).box, det(40).box) < 0.5
    (jumped,) = ids(tracker, det(40))
    assert jumped != first


def test_overlap_exactly_at_threshold_matches():
    tracker = tracker_with(min_frames=1, overlap_threshold=0.5)
    (first,) = ids(tracker, det(0))
    half = det(0, width=50)
    assert box_iou(det(0).box, half.box) == 0.5
    assert ids(tracker, half) == [first]


def test_overlap_threshold_changed_live():
    tracker = tracker_with(min_frames=1, overlap_threshold=0.5)
    (first,) = ids(tracker, det(0))
    tracker.overlap_threshold = 0.4  # IoU of a 40 px jump is 60/140 = 0.43
    assert ids(tracker, det(40)) == [first]
    tracker.overlap_threshold = 0.9  # a 10 px move, IoU 90/110 = 0.82: too little now
    assert box_iou(det(40).box, det(50).box) > 0.5
    assert ids(tracker, det(50)) != [first]


def test_min_frames_changed_live():
    tracker = tracker_with(min_frames=5)
    assert ids(tracker, det(0)) == [None]
    assert ids(tracker, det(0)) == [None]
    tracker.min_frames = 3
    (confirmed,) = ids(tracker, det(0))
    assert confirmed is not None
    tracker.min_frames = 10  # a confirmed track keeps its id
    assert ids(tracker, det(0)) == [confirmed]
    tracker.min_frames = 1
    (immediate,) = ids(tracker, det(500))
    assert immediate is not None and immediate != confirmed


def test_drop_frames_changed_live():
    tracker = tracker_with(min_frames=1, drop_frames=15)
    (first,) = ids(tracker, det(0))
    for _ in range(5):
        ids(tracker)
    tracker.drop_frames = 3  # already lost for 5 frames: dropped
    assert ids(tracker, det(0)) != [first]

    (second,) = ids(tracker, det(300))
    tracker.drop_frames = 1
    ids(tracker)
    ids(tracker)
    tracker.drop_frames = 5  # raised before the next update: the track is kept
    assert ids(tracker, det(300)) == [second]


def test_ids_increase_and_are_never_reused_even_after_reset():
    tracker = tracker_with(min_frames=1, drop_frames=0)
    issued = [confirmed_id(tracker, det(0))]
    ids(tracker)
    issued.append(confirmed_id(tracker, det(0)))  # dropped after one miss: a new id
    tracker.reset()
    issued.append(confirmed_id(tracker, det(0)))
    assert issued == sorted(set(issued)) and len(issued) == 3
