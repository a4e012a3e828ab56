"""The default background network keeps people and only people: no foreground on pictures
without a person, the whole person on portraits, half-visible people, small walkers on a
street (bench/background_scenes.py); and the parts it is made of."""

from __future__ import annotations

import numpy as np
import pytest

from backends.people_matting import (
    BOTH,
    CUT_LEVEL,
    DETECTOR,
    SCHEDULE,
    SEGMENTER,
    SMALL_PERSON,
    Turns,
    near_and_far,
    people_mask,
)
from bench import background_scenes as scenes
from helpers import frame_of
from networks import load_model
from networks.background import BackgroundModel

ANIMALS = [8, 12]  # two class ids taken for animals
NO_PERSON = {**scenes.no_person_stills(), "empty street": scenes.street_backdrop()}


@pytest.fixture(scope="module")
def default_background(catalogue) -> BackgroundModel:
    model = load_model(catalogue.default("background"))
    assert model.name == "people-matting" and isinstance(model, BackgroundModel)
    return model


def kept(model: BackgroundModel, scene: scenes.Scene, index: int = 0) -> tuple[float, float]:
    """(share of the person that is foreground, share of the sure background that is)."""
    foreground = model.process(frame_of(scene.image, index)).mask > 0.5
    return float(foreground[scene.person].mean()), float(foreground[scene.background].mean())


@pytest.mark.parametrize("name", sorted(NO_PERSON))
def test_a_picture_without_a_person_keeps_its_background(default_background, name):
    image = NO_PERSON[name]
    result = default_background.process(frame_of(image))
    assert result.foreground_fraction <= 0.05
    drawn = image.copy()
    default_background.draw(drawn, result)
    blurred = np.abs(drawn.astype(int) - image).max(axis=2) > 8
    assert blurred.mean() > 0.5, "the whole picture is the background: blurred"


@pytest.mark.parametrize("name", ["astronaut.jpg", "grace_hopper.jpg"])
def test_a_portrait_keeps_the_whole_person_and_only_the_person(default_background, name):
    person, background = kept(default_background, scenes.person_still(name))
    assert person >= 0.9 and background <= 0.05


@pytest.mark.parametrize(
    "scene", [scenes.cut_by_the_edge, scenes.behind_a_desk], ids=lambda s: s.__name__
)
def test_a_half_visible_person_is_kept(default_background, scene):
    person, background = kept(default_background, scene())
    assert person >= 0.8 and background <= 0.1


def test_walkers_on_a_street_are_foreground_and_the_road_is_not(default_background):
    shares = [kept(default_background, scene, index) for index, scene in enumerate(scenes.street())]
    people, background = np.mean(shares, axis=0)
    assert people >= 0.6 and background <= 0.1


def test_no_person_evidence_no_foreground_whatever_the_selfie_graph_says():
    selfie = np.ones((240, 320), np.float32)
    nobody = np.zeros((240, 320), np.uint8)
    assert people_mask(selfie, nobody).max() == 0.0

    person = nobody.copy()
    person[60:200, 100:180] = 1
    mask = people_mask(selfie, person)
    assert mask[130, 140] == pytest.approx(1.0) and mask[10, 10] == 0.0
    assert mask[130, 190] > 0.5, "the selfie edges count a little way around the person"

    no_selfie = people_mask(np.zeros_like(selfie), person)
    assert no_selfie[130, 140] > 0.9, "what the selfie graph misses, DeepLabV3's person keeps"

    box = (200.0, 20.0, 300.0, 230.0)
    near = people_mask(selfie, nobody, near_people=[box])
    assert near[120, 250] == pytest.approx(1.0) and near[120, 60] == 0.0
    unseen = people_mask(np.zeros_like(selfie), nobody, near_people=[box])
    assert unseen.max() == 0.0, "a near person's box only lets the selfie mask count"

    walker = people_mask(np.zeros_like(selfie), nobody, far_people=[(20.0, 100.0, 40.0, 160.0)])
    assert walker[130, 30] > 0.9 and walker[102, 21] < 0.5 and walker[130, 60] == 0.0


def test_person_boxes_near_unless_an_animal_and_far_unless_part_of_a_taller_one():
    classes = np.zeros((480, 640), np.uint8)  # all background
    tall = (100.0, 0.0, 400.0, 470.0)
    just_tall = (450.0, 0.0, 500.0, SMALL_PERSON * 480)
    far = (500.0, 250.0, 530.0, 330.0)
    face_of_tall = (200.0, 20.0, 280.0, 120.0)
    near, far_off = near_and_far([tall, just_tall, far, face_of_tall], classes, ANIMALS)
    assert near == [tall, just_tall] and far_off == [far]
    assert near_and_far([face_of_tall], classes, ANIMALS) == ([], [face_of_tall]), (
        "no taller person: it counts"
    )
    classes[100:400, 100:300] = ANIMALS[0]  # a dog in front of the tall "person"
    assert near_and_far([tall, face_of_tall], classes, ANIMALS) == ([], [])
    classes[100:400, 100:300] = 9  # a chair (say) is no reason to doubt a person
    assert near_and_far([tall], classes, ANIMALS) == ([tall], [])


def test_the_person_networks_take_turns_and_both_run_on_a_cut():
    turns = Turns()
    street_frames = [scene.image for scene in scenes.street(len(SCHEDULE) + 2)]
    assert [turns.due(image) for image in street_frames] == [BOTH, *SCHEDULE, SCHEDULE[0]]
    assert {SEGMENTER, DETECTOR} <= set(SCHEDULE) and BOTH not in SCHEDULE
    cat = NO_PERSON["cat"]
    assert turns.due(cat) == BOTH, "another picture (and size)"
    assert turns.due(cat) == SCHEDULE[0]
    darker = (cat * 0.5).astype(np.uint8)
    assert np.abs(cat.astype(float) - darker).mean() > CUT_LEVEL
    assert turns.due(darker) == BOTH
    one_by_one = Turns((SEGMENTER, DETECTOR))
    due = [one_by_one.due(image) for image in street_frames[:4]]
    assert due == [BOTH, SEGMENTER, DETECTOR, SEGMENTER]
