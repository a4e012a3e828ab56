"""Overlays a person reads at a glance: labels that cover no other label and stay inside the
frame, text that contrasts with its label, a legend of the classes that matter, tints that do
not stack, skeletons that read on a small person, an action label by its person."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from draw import BLACK, WHITE, Overlay, Panel, class_colour, contrast, text_colour
from networks.action import ActionModel
from networks.background import BackgroundModel, blurred
from networks.detection import DetectionModel
from networks.pose import PERSON_COLOURS, PoseModel, extent, make_pose, person_colour
from placement import FURTHER_ROWS, LabelLayout, Rect, around_box, overlaps
from results import (
    ActionResult,
    BackgroundResult,
    Detection,
    DetectionResult,
    PoseResult,
    SegmentationResult,
)
from stream import draw_offline_banner
from tools.overlay_scene import (
    CLASSES,
    DETECTIONS,
    FIGURE,
    FIGURE_LINKS,
    PEOPLE,
    SIZE,
    STATS,
    draw_busy_scene,
    figure,
    scene_image,
)

UNUSED: Any = None  # backends of models that only draw
WIDTH, HEIGHT = SIZE


def texts(overlay: Overlay) -> dict[str, tuple[Panel, Rect]]:
    """The panels placed, by their first line."""
    return {panel.lines[0]: (panel, rect) for panel, rect in overlay.placed}


def gap(a: Rect, b: Rect) -> int:
    """How far apart two rectangles are, in pixels along x or y (0 if they touch or overlap)."""
    return max(0, a[0] - b[2], b[0] - a[2], a[1] - b[3], b[1] - a[3])


@pytest.fixture(scope="module")
def busy() -> tuple[np.ndarray, Overlay]:
    return draw_busy_scene()


def test_no_two_labels_of_a_busy_scene_overlap_and_all_lie_inside_the_frame(busy):
    image, overlay = busy
    labels = overlay.labels
    # every label found a place: 14 boxes, the classes, the legend, the action, the stats
    assert len(labels) == len(DETECTIONS) + 4
    for a, b in itertools.combinations(labels, 2):
        assert not overlaps(a, b), (a, b)
    for left, top, right, bottom in labels:
        assert 0 <= left < right <= WIDTH and 0 <= top < bottom <= HEIGHT


def test_nothing_is_drawn_over_a_label(busy):
    """Each label looks exactly as the panel drawn alone: no box, tint or skeleton on it."""
    image, overlay = busy
    for panel, (left, top, right, bottom) in overlay.placed:
        alone = np.zeros_like(image)
        panel.draw(alone, (left, top))
        assert np.array_equal(image[top:bottom, left:right], alone[top:bottom, left:right])


def test_the_fixed_panels_keep_their_corners(busy):
    image, overlay = busy
    placed = texts(overlay)
    classes = placed[f"{CLASSES[0][1] * 100:5.1f}% {CLASSES[0][0]}"][1]
    legend = next(rect for panel, rect in overlay.placed if panel.swatches)
    stats = placed[STATS][1]
    assert classes[0] < 30 and classes[1] < 30, "top left"
    assert legend[2] > WIDTH - 30 and legend[1] < 30, "top right"
    assert stats[0] < 30 and stats[3] > HEIGHT - 30, "bottom left"


def test_the_legend_lists_only_classes_covering_half_a_percent_of_the_frame(busy):
    image, overlay = busy
    legend = next(panel for panel, _ in overlay.placed if panel.swatches)
    # the scene also has a bottle (0.3%) and a sofa (0.2%), and background
    assert legend.lines == ("person 46%", "chair 2.0%", "dog 1.0%")


def test_each_box_label_lies_by_its_box(busy):
    image, overlay = busy
    placed = texts(overlay)
    for _, label, score, box, track in DETECTIONS:
        text = f"{label} {score * 100:.0f}%" + (f" #{track}" if track is not None else "")
        panel, rect = placed[text]
        height = rect[3] - rect[1]
        assert gap(rect, box) <= FURTHER_ROWS * height, text


def test_the_action_label_sits_by_the_largest_person_in_its_colour(busy):
    image, overlay = busy
    panel, rect = texts(overlay)["walking 100%"]
    names = [name for name, _, _ in FIGURE]
    poses = [make_pose(figure(*person), names, FIGURE_LINKS, 0.5) for person in PEOPLE]
    assert gap(rect, extent(poses[0])) == 0, "next to the astronaut, the largest"
    assert panel.background == person_colour(0)


def test_the_action_label_follows_the_largest_person_wherever_it_is_listed():
    names = [name for name, _, _ in FIGURE]
    small, large = (40, 300, 60), (400, 100, 300)
    poses = PoseResult(
        0, 0.0, tuple(make_pose(figure(*p), names, FIGURE_LINKS, 0.5) for p in (small, large))
    )
    overlay = Overlay(np.zeros((HEIGHT, WIDTH, 3), np.uint8), {"pose": poses})
    ActionModel("rules", UNUSED).draw(
        overlay.image, ActionResult(0, 0.0, "hands_up", 0.8, {}), overlay
    )
    [(panel, rect)] = overlay.placed
    assert panel.lines == ("hands up 80%",) and panel.background == person_colour(1)
    assert gap(rect, extent(poses.poses[1])) == 0


def test_the_action_label_goes_bottom_left_with_no_body_to_point_at():
    hand = make_pose(
        [(300.0, 200.0, 0.9), (320.0, 220.0, 0.9)], ["wrist", "thumb_cmc"], [(0, 1)], 0.5
    )
    overlay = Overlay(np.zeros((HEIGHT, WIDTH, 3), np.uint8), {"pose": PoseResult(0, 0.0, (hand,))})
    ActionModel("rules", UNUSED).draw(
        overlay.image, ActionResult(0, 0.0, "waving", 0.9, {}), overlay
    )
    [(_, rect)] = overlay.placed
    assert rect[0] < 30 and rect[3] > HEIGHT - 30


# ---- contrast ------------------------------------------------------------------------------


def test_label_text_contrasts_with_its_colour():
    """Black or white text, whichever contrasts more, meets WCAG's 4.5:1 on every class and
    person colour, and on a grid of colours over the whole cube."""
    grid = range(0, 256, 51)
    colours = [class_colour(i) for i in range(256)] + PERSON_COLOURS
    colours += [(b, g, r) for b in grid for g in grid for r in grid]
    poor = [c for c in colours if contrast(text_colour(c), c) < 4.5]
    assert not poor


def test_text_is_black_on_light_labels_and_white_on_dark_ones():
    yellow, green, dark_red = (0, 230, 255), (0, 200, 0), (40, 40, 160)
    assert text_colour(yellow) == BLACK and text_colour(green) == BLACK
    assert text_colour(dark_red) == WHITE
    image = np.zeros((60, 300, 3), np.uint8)
    panel = Panel(("person 87% #3",), yellow, 0.8)
    panel.draw(image, (0, 0))
    width, height = panel.size()
    drawn = image[:height, :width].reshape(-1, 3)
    darkest = drawn[np.argmin(drawn.sum(axis=1))]
    assert tuple(darkest) == BLACK, "the text is drawn in black"


# ---- tints, fills, background --------------------------------------------------------------


def test_boxes_are_outlines_only_while_segmentation_is_drawn():
    image = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)
    result = DetectionResult(0, 0.0, (Detection(0, "person", 0.9, (100, 100, 300, 400)),))
    model = DetectionModel("boxes", UNUSED)
    segmented = SegmentationResult(0, 0.0, (), np.zeros((HEIGHT, WIDTH), np.uint8))
    inside = (slice(200, 300), slice(150, 250))
    for results, filled in (({}, True), ({"segmentation": segmented}, False)):
        drawn = image.copy()
        model.draw(drawn, result, Overlay(drawn, {"detection": result, **results}))
        assert (not np.array_equal(drawn[inside], image[inside])) == filled


def test_the_background_is_replaced_except_in_the_boxes_of_the_detections():
    image = scene_image()
    mask = np.zeros((HEIGHT, WIDTH), np.float32)  # no person: all background
    box = (400, 100, 560, 300)
    detections = DetectionResult(0, 0.0, (Detection(25, "umbrella", 0.8, box),))
    model = BackgroundModel("blur", UNUSED)
    drawn = image.copy()
    model.draw(
        drawn, BackgroundResult(0, 0.0, 0.0, mask), Overlay(drawn, {"detection": detections})
    )
    left, top, right, bottom = box
    assert np.array_equal(drawn[top:bottom, left:right], image[top:bottom, left:right])
    assert np.array_equal(drawn[:top], blurred(image)[:top])


# ---- skeletons -----------------------------------------------------------------------------


def test_a_skeleton_on_a_person_60_px_tall_is_drawn_3_px_wide_in_one_colour():
    names = [name for name, _, _ in FIGURE]
    pose = make_pose(figure(100, 20, 60), names, FIGURE_LINKS, 0.5)
    image = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
    PoseModel("body", UNUSED).draw(image, PoseResult(0, 0.0, (pose, pose)))
    colour = person_colour(1)  # the second person is drawn on top of the first
    # across the left shin, midway between knee and ankle: the line's width in its colour
    knee, ankle = (figure(100, 20, 60)[names.index(n)] for n in ("left_knee", "left_ankle"))
    y = round((knee[1] + ankle[1]) / 2)
    row = image[y, 100:130]
    assert np.all(row == colour, axis=1).sum() >= 3
    colours = {tuple(int(c) for c in pixel) for pixel in image.reshape(-1, 3)}
    assert not colours & set(PERSON_COLOURS) - {colour}, "one colour, no rainbow of keypoints"


def test_a_skeleton_line_grows_with_the_person_up_to_a_bound():
    names = [name for name, _, _ in FIGURE]

    def drawn_width(height: float) -> int:
        image = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
        pose = make_pose(figure(320, 10, height), names, FIGURE_LINKS, 0.5)
        PoseModel("body", UNUSED).draw(image, PoseResult(0, 0.0, (pose,)))
        hips_y = round(10 + 0.52 * height)  # the line between the hips is level: count down it
        column = image[hips_y - 15 : hips_y + 15, 320]
        return int(np.all(column == person_colour(0), axis=1).sum())

    widths = [drawn_width(h) for h in (60, 120, 240, 460)]
    assert widths[0] >= 3 and widths[0] < widths[1] < widths[2]
    assert widths[3] == widths[2] <= 0.02 * (WIDTH + HEIGHT) / 2, "a bound set by the frame"


# ---- the placement module ------------------------------------------------------------------


boxes = st.tuples(
    st.integers(-50, WIDTH), st.integers(-50, HEIGHT), st.integers(1, 400), st.integers(1, 300)
).map(lambda b: (b[0], b[1], b[0] + b[2], b[1] + b[3]))
label_sizes = st.tuples(st.integers(1, 700), st.integers(1, 60))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(boxes, label_sizes), max_size=40))
def test_placed_labels_never_overlap_and_stay_inside_the_frame(items):
    layout = LabelLayout(WIDTH, HEIGHT)
    placed = []
    for box, size in items:
        rect = layout.place(size, around_box(box, size))
        if rect is not None:
            assert (rect[2] - rect[0], rect[3] - rect[1]) == size
            placed.append(rect)
    assert all(layout.inside(rect) for rect in placed)
    assert not any(overlaps(a, b) for a, b in itertools.combinations(placed, 2))


def test_a_label_goes_above_its_box_then_below_then_inside():
    layout = LabelLayout(WIDTH, HEIGHT)
    size = (80, 20)
    box = (100, 100, 200, 300)
    assert layout.place(size, around_box(box, size)) == (100, 80, 180, 100), "above"
    layout.taken.append((0, 0, WIDTH, 100))  # no room above any more
    assert layout.place(size, around_box(box, size)) == (100, 300, 180, 320), "below"
    layout.taken.append((0, 300, WIDTH, HEIGHT))
    assert layout.place(size, around_box(box, size)) == (100, 100, 180, 120), "inside, at the top"


def test_a_label_off_the_right_edge_is_shifted_into_the_frame():
    layout = LabelLayout(WIDTH, HEIGHT)
    assert layout.place((100, 20), around_box((600, 200, 640, 260), (100, 20))) == (
        540,
        180,
        640,
        200,
    )


def test_a_label_with_no_room_is_left_out():
    layout = LabelLayout(WIDTH, HEIGHT)
    layout.taken.append((0, 0, WIDTH, HEIGHT))
    assert layout.place((10, 10), around_box((100, 100, 200, 200), (10, 10))) is None
    assert LabelLayout(100, 100).place((101, 10), [(0, 0)]) is None, "wider than the frame"


def test_a_label_covers_a_small_object_only_if_it_has_nowhere_else_to_go():
    layout = LabelLayout(WIDTH, HEIGHT)
    layout.keep_clear((100, 60, 160, 100))  # a small object just above the box
    size = (80, 20)
    assert layout.place(size, around_box((100, 100, 200, 160), size)) == (100, 160, 180, 180)


# ---- the offline banner --------------------------------------------------------------------


@pytest.mark.parametrize("size", [(64, 48), (640, 480)])
def test_the_offline_banner_fits_any_frame(size):
    width, height = size
    image = np.zeros((height, width, 3), np.uint8)
    marked = draw_offline_banner(image, "INPUT OFFLINE")
    rows, columns = np.nonzero(marked.any(axis=2))
    assert rows.size and rows.max() < height and columns.max() < width
    assert rows.min() > height / 2, "at the foot"
    assert columns.min() > 0 and columns.max() < width - 1, "not cut by the edges"
    assert rows.max() - rows.min() >= height / 20, "text of a readable size"
