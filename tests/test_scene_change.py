"""Telling an unchanging frame, motion and a cut apart, on the test pictures."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from bench.street_scene import as_sent_again, paste, street, walker
from helpers import picture
from scene_change import Change, SceneWatch, compare, thumbnail

PICTURES = ["astronaut.jpg", "chelsea.jpg", "coffee.jpg", "grace_hopper.jpg"]


def slide(name: str) -> np.ndarray:
    return cv2.resize(picture(name), (640, 480), interpolation=cv2.INTER_AREA)


def change(before: np.ndarray, after: np.ndarray) -> Change:
    return compare(thumbnail(before), thumbnail(after))


@pytest.mark.parametrize("before, after", list(itertools.permutations(PICTURES, 2)))
def test_another_picture_is_a_cut(before, after):
    assert change(slide(before), slide(after)) is Change.CUT


@pytest.mark.parametrize("name", PICTURES)
def test_noise_and_jpeg_on_an_unchanging_picture_are_the_same_frame(name):
    rng = np.random.default_rng(1)
    assert change(as_sent_again(slide(name), rng), as_sent_again(slide(name), rng)) is Change.SAME


@pytest.mark.parametrize("name", PICTURES)
def test_a_change_of_exposure_is_not_a_cut(name):
    image = slide(name)
    assert change(image, cv2.convertScaleAbs(image, alpha=1.0, beta=20)) is Change.MOVED
    assert change(image, cv2.convertScaleAbs(image, alpha=1.2)) is Change.MOVED


@pytest.mark.parametrize("step", [1, 5, 12])
def test_a_small_walker_moving_is_motion(step):
    rng = np.random.default_rng(2)
    background = street(rng)
    figure, cover = walker(rng, 70)

    def at(left: int) -> np.ndarray:
        frame = background.copy()
        paste(frame, figure, cover, left, 300)
        return frame

    assert change(at(200), at(200 + step)) is Change.MOVED


def test_a_big_person_moving_is_motion():
    image = slide("astronaut.jpg")
    assert change(image, np.roll(image, 10, axis=1)) is Change.MOVED


def test_noise_in_a_dark_empty_scene_is_not_a_cut():
    rng = np.random.default_rng(3)
    dark = np.full((480, 640, 3), 12, np.uint8)
    assert (
        change(as_sent_again(dark, rng, noise=20), as_sent_again(dark, rng, noise=20))
        is not Change.CUT
    )


def test_the_watch_compares_each_frame_with_the_last_that_changed():
    watch = SceneWatch()
    cat, cup = slide("chelsea.jpg"), slide("coffee.jpg")
    assert [watch.update(image) for image in (cat, cat, cup, cup, cat)] == [
        Change.FIRST,
        Change.SAME,
        Change.CUT,
        Change.SAME,
        Change.CUT,
    ]


def test_motion_too_slow_to_see_between_two_frames_adds_up():
    """A small walker 1 px a frame: some steps are too small to see, but the watch compares
    with the last frame that changed, so the walk is seen within two frames."""
    rng = np.random.default_rng(1)
    background = street(rng)
    figure, cover = walker(rng, 70)
    watch = SceneWatch()
    changes = []
    for left in range(200, 220):
        frame = background.copy()
        paste(frame, figure, cover, left, 300)
        changes.append(watch.update(frame))
    assert changes[0] is Change.FIRST and Change.CUT not in changes
    unseen = [change is Change.SAME for change in changes[1:]]
    assert not any(a and b for a, b in itertools.pairwise(unseen)), changes
