"""The page with several cameras, in Chromium: a grid where every camera plays, a picker that
focuses one (its video, stats and running switch), and the cards' folds and sub-settings."""

from __future__ import annotations

from playwright.sync_api import Page

from cameras import CameraSpec
from helpers import StillPerson, wait_for
from model import ModelSlot
from networks.detection import DetectionModel
from sources import InputSpec

FRAMES = "Number(document.querySelector({box!r}).dataset.frames)"


def cameras_named(*names: str) -> list[CameraSpec]:
    return [CameraSpec(name, InputSpec("test://")) for name in names]


def frames(page: Page, box: str) -> int:
    return int(page.evaluate(FRAMES.format(box=box)))


def tile(name: str) -> str:
    return f'#camera-grid [data-camera="{name}"] .video-box'


def test_sixteen_cameras_all_play_in_one_tab(serve_cameras, open_page):
    names = [f"cam{number:02d}" for number in range(16)]
    cameras = serve_cameras(cameras_named(*names))
    page = open_page(cameras, width=1400, height=900)
    assert page.locator("#camera-grid").is_visible() and page.locator("#focus").is_hidden()
    wait_for(lambda: all(frames(page, tile(name)) > 0 for name in names), timeout=60)
    counts = {name: frames(page, tile(name)) for name in names}
    wait_for(lambda: all(frames(page, tile(name)) > counts[name] for name in names), timeout=60)
    assert sum(camera["viewers"] for camera in cameras.get("/cameras").json()) == 16


def test_a_tile_clicked_is_focused_with_its_stats_and_the_grid_stops(serve_cameras, open_page):
    cameras = serve_cameras(cameras_named("door", "lab"))
    page = open_page(cameras)
    page.wait_for_function(f"{FRAMES.format(box=tile('lab'))} > 0")
    page.locator('#camera-grid [data-camera="lab"]').click()
    assert page.locator("#camera-picker").input_value() == "lab"
    page.wait_for_function(f"{FRAMES.format(box='#video')} > 0")
    assert page.locator("#video").get_attribute("data-base") == "/cameras/lab"
    assert page.locator("#camera-grid").is_hidden()
    wait_for(lambda: [c["viewers"] for c in cameras.get("/cameras").json()] == [0, 1])
    lab = cameras.dashboard.pipeline("lab")
    assert lab is not None
    lab.running = False  # the stats shown are lab's
    page.wait_for_function("document.getElementById('source-state').textContent === 'stopped'")
    assert page.locator("#camera-running").is_checked() is False
    page.locator("#camera-running").check()  # the page's switch starts it again
    wait_for(lambda: cameras.get("/cameras/lab/running").json() is True)
    page.wait_for_function("document.getElementById('source-state').textContent === 'online'")
    page.locator("#camera-picker").select_option("")
    page.wait_for_function(f"{FRAMES.format(box=tile('door'))} > 0")
    wait_for(lambda: [c["viewers"] for c in cameras.get("/cameras").json()] == [1, 1])


def still_person_detector() -> ModelSlot:
    def load(name: str) -> DetectionModel:
        return DetectionModel(name, StillPerson())

    return ModelSlot(load("still-person"), load, ("still-person",))


def test_cards_fold_and_remember_and_tracking_settings_show_while_tracking(
    serve_cameras, open_page
):
    cameras = serve_cameras(cameras_named("a"), [still_person_detector()])
    page = open_page(cameras)
    dependent = page.locator('[data-shown-by="/detection/tracking_enabled"]').first
    page.wait_for_function("document.getElementById('ctl-detection-tracking_enabled') !== null")
    tracking = page.locator("#ctl-detection-tracking_enabled")
    wait_for(lambda: tracking.is_checked() == cameras.get("/detection/tracking_enabled").json())
    assert dependent.is_visible() == tracking.is_checked()
    tracking.set_checked(not tracking.is_checked())
    wait_for(lambda: dependent.is_visible() == tracking.is_checked())
    page.locator("#card-detection-title").click()
    page.wait_for_function(
        "!document.getElementById('card-detection-body').classList.contains('show')"
    )
    page.reload(wait_until="load")
    page.wait_for_timeout(300)
    assert page.locator("#card-detection-body").is_hidden(), "the fold is remembered"
    assert page.locator("#card-stream-body").is_visible()
