"""The dashboard in a real browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlparse

import cv2
import numpy as np
import pytest
import requests
from playwright.sync_api import Page

from app import create_app
from helpers import DATA, ConstantScores, StillPerson, set_hidden, wait_for
from model import ModelSlot
from networks import create_slot
from networks.classification import ClassificationModel
from networks.detection import DetectionModel
from sources import InputSpec, PatternSource, open_source
from stream import Pipeline


def video_pixels(page: Page) -> np.ndarray:
    png = page.locator("#video").screenshot()
    return cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)


def server_value(server, path: str):
    return requests.get(server.url + path, timeout=5).json()


def test_page_loads_everything_from_the_server_itself(server, open_page):
    page = open_page(server)
    page.wait_for_function("document.querySelector('[data-stat=fps_out]').textContent !== '-'")
    hosts = {
        urlparse(request.url).hostname
        for request in page.requests
        if not request.url.startswith("data:")
    }
    assert hosts == {"127.0.0.1"}, [request.url for request in page.requests]
    paths = {urlparse(request.url).path for request in page.requests}
    assert {"/", "/static/video.js", "/static/dashboard.js"} <= paths
    assert page.websockets == [f"ws://127.0.0.1:{server.port}/video_ws"]
    assert any(path.startswith("/bootstrap/static/") for path in paths)
    assert "system-ui" in page.evaluate("getComputedStyle(document.body).fontFamily"), (
        "Bootstrap's CSS applied"
    )
    assert page.evaluate("typeof bootstrap") == "object"  # Bootstrap's JS loaded


VIDEO_SHOWN = "Number(document.getElementById('video').dataset.frames) > 0"


def test_video_shows_frames_that_change(server, open_page):
    page = open_page(server)
    page.wait_for_function(VIDEO_SHOWN)
    assert page.locator("#video").get_attribute("data-transport") == "websocket"
    first = video_pixels(page)
    wait_for(lambda: np.abs(video_pixels(page).astype(int) - first).mean() > 1)


def test_checkbox_changes_the_server_state(server, open_page):
    page = open_page(server)
    switch = page.locator("#ctl-stream-overlay_stats")
    switch.wait_for()
    assert not switch.is_checked()
    switch.check()
    wait_for(lambda: server_value(server, "/stream/overlay_stats") is True)
    switch.uncheck()
    wait_for(lambda: server_value(server, "/stream/overlay_stats") is False)


def test_slider_drag_sends_a_few_puts_and_its_final_value_lands(server, open_page):
    page = open_page(server)
    slider = page.locator("#ctl-stream-jpeg_quality")
    page.wait_for_function(
        "document.getElementById('ctl-stream-jpeg_quality-value').textContent === '80'"
    )
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.8, y)
    page.mouse.down()
    started = time.monotonic()
    for step in range(1, 61):  # a slow drag to the left end: 60 input events
        page.mouse.move(box["x"] + box["width"] * (0.8 - 0.8 * step / 60), y)
        page.wait_for_timeout(10)
    page.mouse.move(box["x"] - 20, y)
    page.mouse.up()
    dragged_s = time.monotonic() - started
    wait_for(lambda: server_value(server, "/stream/jpeg_quality") == 1)
    page.wait_for_timeout(500)
    puts = [r for r in page.requests if r.method == "PUT"]
    # at most one PUT per 150 ms (MIN_PUT_INTERVAL_MS) of dragging, plus the final value
    assert 1 <= len(puts) <= dragged_s / 0.15 + 2, (
        f"{len(puts)} PUTs for one {dragged_s:.2f} s drag of 60 input events"
    )
    assert puts[-1].post_data == "1"
    assert page.locator("#ctl-stream-jpeg_quality-value").text_content() == "1"


def test_changes_made_with_curl_show_up_in_the_page(server, open_page):
    page = open_page(server)
    page.locator("#ctl-stream-max_fps").wait_for()
    requests.put(server.url + "/stream/max_fps", data="12", timeout=5).raise_for_status()
    requests.put(server.url + "/stream/overlay_stats", data="true", timeout=5).raise_for_status()
    page.wait_for_function("document.getElementById('ctl-stream-max_fps').value === '12'")
    page.wait_for_function(
        "document.getElementById('ctl-stream-max_fps-value').textContent === '12'"
    )
    page.wait_for_function("document.getElementById('ctl-stream-overlay_stats').checked")


def test_a_refused_put_shows_its_message_and_the_control_reverts(server, open_page):
    page = open_page(server)
    page.wait_for_function(
        "document.getElementById('ctl-stream-jpeg_quality-value').textContent === '80'"
    )
    # A page whose limits are out of date: the server refuses what the slider now allows.
    page.evaluate("""() => { const s = document.getElementById('ctl-stream-jpeg_quality');
        s.max = 500; s.value = 300; s.dispatchEvent(new Event('change')); }""")
    alert = page.locator("#messages .toast")
    alert.wait_for()
    assert "out of range" in alert.text_content()
    page.wait_for_function("document.getElementById('ctl-stream-jpeg_quality').value === '80'")
    assert server_value(server, "/stream/jpeg_quality") == 80


def test_stats_panel_and_source_state_are_live(server, open_page):
    page = open_page(server)
    page.wait_for_function("document.getElementById('source-state').textContent === 'online'")
    page.wait_for_function("Number(document.querySelector('[data-stat=viewers]').textContent) >= 1")
    fps = float(page.locator("[data-stat=fps_out]").text_content())
    assert fps > 0


def scroll_to_the_end(page: Page) -> None:
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_timeout(100)


@pytest.mark.parametrize("width, height", [(390, 844), (1400, 600)])
def test_the_video_stays_in_view_while_the_settings_scroll(start_server, open_page, width, height):
    server = slowly_switched_server(start_server)  # a network card, and Stream, Input
    page = open_page(server, width=width, height=height)
    page.locator("#card-stream").wait_for()
    ids = page.eval_on_selector_all(".settings-column .card", "cards => cards.map(c => c.id)")
    assert ids.index("card-classification") < ids.index("card-stream") < ids.index("card-input")
    video = page.locator("#video").bounding_box()
    first_card = page.locator("#card-classification").bounding_box()
    if width < 992:  # a phone: the settings stack under the video
        assert first_card["y"] >= video["y"] + video["height"], "controls stack under the video"
        assert video["height"] <= 0.4 * height, "the video leaves the settings room"
        column = page.locator(".video-column").bounding_box()
        assert column["height"] <= 0.5 * height, "and so do the stats and buttons under it"
    else:  # a wide screen: the settings beside the video
        assert first_card["x"] >= video["x"] + video["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.documentElement.scrollHeight") > height + 200
    scroll_to_the_end(page)
    assert page.evaluate("window.scrollY") > 200, "the page did scroll"
    last_card = page.locator(f"#{ids[-1]}").bounding_box()
    assert last_card["y"] + last_card["height"] <= height + 1, "the last card is in view"
    video = page.locator("#video").bounding_box()
    assert video["y"] >= 0 and video["y"] + video["height"] <= height, "and so is the video"
    if width < 992:  # the video stays on top: the settings go under it, not over it
        top = page.evaluate(
            "(y) => document.elementFromPoint(195, y).closest('#video') !== null",
            video["y"] + video["height"] / 2,
        )
        assert top


def still_person_slot(choice_notes=None) -> ModelSlot:
    """A detection slot (one person, standing still) with one network, or two with notes."""

    def load(name: str) -> DetectionModel:
        return DetectionModel(name, StillPerson())

    choices = ("still-person", "slow-person") if choice_notes else ("still-person",)
    return ModelSlot(load("still-person"), load, choices, choice_notes)


def test_controls_have_readable_labels_units_and_help_a_phone_shows(start_server, open_page):
    server = start_server(networks=[still_person_slot()])
    page = open_page(server, width=390, height=844)
    page.locator("#ctl-detection-overlay_alpha").wait_for(state="attached")
    label = "(path) => document.querySelector(`label[for=ctl${path}]`).textContent.trim()"
    assert page.evaluate(label, "-stream-jpeg_quality").startswith("JPEG quality")
    assert page.evaluate(label, "-stream-max_fps").startswith("Max FPS (0 = no cap)")
    assert page.evaluate(label, "-detection-confidence_threshold").startswith("Min confidence")
    help_text = page.locator("#card-stream .setting-help", has_text="0: no cap")
    assert help_text.is_visible(), "the help under the control, not only in a tooltip"
    page.wait_for_function(
        "document.getElementById('ctl-detection-overlay_alpha-value').textContent === '31%'"
    )  # 80 of 255
    assert server_value(server, "/detection/overlay_alpha") == 80
    # one network to choose from: shown as text, not as a choice
    assert page.locator("#ctl-detection-network").evaluate("e => e.tagName") == "SPAN"
    page.wait_for_function(
        "document.getElementById('ctl-detection-network').textContent === 'still-person'"
    )
    assert page.locator("#no-network").count() == 0


def test_a_slow_choice_says_so_and_no_network_says_how_to_add_one(start_server, open_page):
    server = start_server(networks=[still_person_slot({"slow-person": "slow: 1 fps"})])
    page = open_page(server)
    options = page.locator("#ctl-detection-network option").all_text_contents()
    assert [option.strip() for option in options] == ["still-person", "slow-person (slow: 1 fps)"]
    bare = open_page(start_server())
    assert "--detection" in bare.locator("#no-network").text_content()
    assert bare.locator("#no-network").is_visible()


def test_network_cards_show_results_timing_and_switch_networks(start_server, catalogue, open_page):
    source = open_source(InputSpec(uri=str(DATA / "astronaut.jpg"), rate=10, loop=-1))
    server = start_server(
        source,
        networks=[
            create_slot(catalogue, "detection", None),
            create_slot(catalogue, "classification", None),
        ],
    )
    page = open_page(server)
    page.wait_for_function(
        "document.querySelector('[data-results=detection]').textContent.includes('person')"
    )
    page.wait_for_function(
        "document.querySelector('[data-stat=\"networks.detection.ms\"]')"
        ".textContent.endsWith(' ms')"
    )
    page.wait_for_function(
        "Number(document.querySelector('[data-stat=\"networks.detection.fps\"]')"
        ".textContent.replace('/s', '')) > 0"
    )
    page.select_option("#ctl-detection-network", "hog-people")
    wait_for(lambda: server_value(server, "/detection/network") == "hog-people")
    page.wait_for_function(
        "document.getElementById('ctl-detection-network').value === 'hog-people'"
    )
    switch = page.locator("#ctl-detection-enabled")
    switch.uncheck()
    wait_for(lambda: server_value(server, "/detection/enabled") is False)


@pytest.mark.parametrize("transport", ["websocket", "mjpeg"])
def test_video_comes_back_when_the_server_restarts(start_server, open_page, transport):
    first = start_server()
    page = open_page(first, path=f"/?video={transport}")
    page.wait_for_function(VIDEO_SHOWN)
    assert page.locator("#video").get_attribute("data-transport") == transport
    first.stop()  # closes the MJPEG response cleanly: the <img> fires no error
    page.wait_for_function(
        "document.getElementById('source-state').textContent === 'server unreachable'"
    )
    second = start_server(port=first.port)
    wait_for(lambda: second.pipeline.broadcaster.stats()["viewers"] >= 1)
    shown = video_pixels(page)
    wait_for(lambda: np.abs(video_pixels(page).astype(int) - shown).mean() > 1)


def test_with_the_server_gone_the_page_dims_and_disables_then_shows_the_values_in_force(
    start_server, open_page
):
    first = start_server()
    page = open_page(first)
    page.wait_for_function("document.getElementById('source-state').textContent === 'online'")
    slider = page.locator("#ctl-stream-jpeg_quality")
    switch = page.locator("#ctl-stream-overlay_stats")
    assert slider.is_enabled() and not page.locator("#server-lost").is_visible()
    first.stop()
    page.wait_for_function("document.body.classList.contains('server-lost')")
    assert page.locator("#server-lost").is_visible()
    assert slider.is_disabled() and switch.is_disabled()
    opacity = "(selector) => getComputedStyle(document.querySelector(selector)).opacity"
    assert float(page.evaluate(opacity, "#video canvas")) < 0.5, "the video dims"
    assert float(page.evaluate(opacity, "[data-stat=fps_out]")) < 1, "the stats look stale"
    # what a page out of step shows (as if changed while the server was away)
    page.evaluate("""() => { document.getElementById('ctl-stream-jpeg_quality').value = 20;
        document.getElementById('ctl-stream-overlay_stats').checked = true; }""")
    second = start_server(port=first.port, jpeg_quality=55)
    page.wait_for_function("!document.body.classList.contains('server-lost')")
    page.wait_for_function("document.getElementById('ctl-stream-jpeg_quality').value === '55'")
    page.wait_for_function("!document.getElementById('ctl-stream-overlay_stats').checked")
    assert slider.is_enabled() and switch.is_enabled()
    assert not page.locator("#server-lost").is_visible()
    assert server_value(second, "/stream/jpeg_quality") == 55


def slowly_switched_server(start_server, load_seconds: float = 3.0):
    """The app with a classification network whose switch takes `load_seconds` to load."""

    def slow_load(name: str) -> ClassificationModel:
        time.sleep(load_seconds)
        return ClassificationModel(name, ConstantScores())

    slot = ModelSlot(ClassificationModel("first", ConstantScores()), slow_load, ("first", "second"))
    return start_server(networks=[slot])


def test_a_network_chosen_stays_chosen_while_it_loads(start_server, open_page):
    server = slowly_switched_server(start_server)
    page = open_page(server)
    select = page.locator("#ctl-classification-network")
    page.wait_for_function(
        "document.getElementById('ctl-classification-network').value === 'first'"
    )
    select.select_option("second")
    shown = []
    for _ in range(300):  # until the swap, 3 s later (30 s at most)
        if server_value(server, "/classification/network") == "second":
            break
        shown.append(select.input_value())
        page.wait_for_timeout(100)
    assert server_value(server, "/classification/network") == "second"
    assert len(shown) >= 3 and set(shown) == {"second"}, shown


def test_a_switched_off_network_says_so_on_its_card(start_server, open_page):
    server = slowly_switched_server(start_server)
    page = open_page(server)
    page.wait_for_function(
        "document.querySelector('[data-results=classification]').textContent.includes('a 90%')"
    )
    page.locator("#ctl-classification-enabled").uncheck()
    page.wait_for_function(
        "document.querySelector('[data-results=classification]').textContent === 'switched off'"
    )
    assert page.locator("[data-stat='networks.classification.ms']").text_content() == "-"


def test_a_value_off_the_sliders_steps_is_shown_as_it_is(server, open_page):
    page = open_page(server)
    page.wait_for_function(
        "document.getElementById('ctl-stream-max_fps-value').textContent === '0'"
    )
    requests.put(server.url + "/stream/max_fps", data="12.5", timeout=5).raise_for_status()
    page.wait_for_function(
        "document.getElementById('ctl-stream-max_fps-value').textContent === '12.5'"
    )


def test_with_a_setting_unreachable_one_message_says_so_and_no_page_error(server, open_page):
    page = open_page(server)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    slider = page.locator("#ctl-stream-jpeg_quality")
    page.wait_for_function(
        "document.getElementById('ctl-stream-jpeg_quality-value').textContent === '80'"
    )
    # the setting's requests fail as with the server gone; /stats still answers, so the
    # controls stay enabled (with the server gone they are disabled: the test above)
    page.route("**/stream/jpeg_quality", lambda route: route.abort())
    slider.focus()
    for _ in range(6):
        page.keyboard.press("ArrowLeft")
        page.wait_for_timeout(200)
    page.wait_for_function("document.querySelector('#messages .toast') !== null")
    toasts = page.locator("#messages .toast")
    assert toasts.count() == 1
    assert "/stream/jpeg_quality: the server is unreachable" in toasts.text_content()
    page.wait_for_timeout(500)
    assert errors == []


def test_a_server_restarted_with_other_settings_asks_for_a_reload(start_server, open_page):
    first = slowly_switched_server(start_server)
    page = open_page(first)
    page.wait_for_function(
        "document.getElementById('ctl-classification-confidence_threshold"
        "-value').textContent === '0.15'"
    )
    first.stop()
    start_server(port=first.port)  # no classification network now
    page.wait_for_function(
        "[...document.querySelectorAll('#messages .toast')]"
        ".some((t) => t.textContent.includes('reload the page'))"
    )
    badge = page.locator("#ctl-classification-confidence_threshold-value")
    assert badge.text_content() == "0.15"  # the last value known, not NaN


# A network that drops WebSockets: each one closes without a frame.
BROKEN_WEBSOCKETS = """
window.WebSocket = class extends EventTarget {
  constructor(url) { super(); setTimeout(() => this.onclose && this.onclose({}), 50); }
  close() {}
};
"""


def test_the_page_falls_back_to_mjpeg_when_websockets_fail(server, browser):
    context = browser.new_context(bypass_csp=True)
    try:
        context.add_init_script(BROKEN_WEBSOCKETS)
        page = context.new_page()
        page.goto(server.url + "/", wait_until="load")
        page.wait_for_function("document.getElementById('video').dataset.transport === 'mjpeg'")
        page.wait_for_function(VIDEO_SHOWN)
        wait_for(lambda: server.pipeline.broadcaster.stats()["viewers"] == 1)
        assert server.pipeline.broadcaster.stats()["websocket_viewers"] == 0
        first = video_pixels(page)
        wait_for(lambda: np.abs(video_pixels(page).astype(int) - first).mean() > 1)
    finally:
        context.close()


def test_twenty_tabs_all_show_live_video_and_working_controls(server, browser):
    """Six MJPEG <img> tabs take the six connections Chromium keeps per host, and a seventh
    cannot load; over WebSockets twenty tabs of one browser all play."""
    context = browser.new_context(viewport={"width": 800, "height": 600}, bypass_csp=True)
    try:
        pages = []
        for _ in range(20):
            page = context.new_page()
            page.goto(server.url + "/", wait_until="load", timeout=60000)
            pages.append(page)
        wait_for(lambda: server.pipeline.broadcaster.stats()["websocket_viewers"] == 20)
        for page in pages:
            page.wait_for_function(VIDEO_SHOWN)
        counts = [int(page.locator("#video").get_attribute("data-frames")) for page in pages]
        for page, count in zip(pages, counts, strict=True):  # each keeps playing
            page.wait_for_function(
                f"Number(document.getElementById('video').dataset.frames) > {count}"
            )
        last = pages[-1]
        last.locator("#ctl-stream-jpeg_quality").fill("55")
        last.locator("#ctl-stream-jpeg_quality").dispatch_event("change")
        wait_for(lambda: server_value(server, "/stream/jpeg_quality") == 55)
        pages[0].wait_for_function(
            "document.getElementById('ctl-stream-jpeg_quality').value === '55'"
        )
    finally:
        context.close()


def test_snapshot_downloads_the_annotated_frame_and_fullscreen_shows_the_video(
    server, open_page, tmp_path
):
    page = open_page(server)
    page.wait_for_function(VIDEO_SHOWN)
    with page.expect_download() as download_info:
        page.locator("#snapshot").click()
    download = download_info.value
    assert download.suggested_filename.startswith("snapshot-")
    assert download.suggested_filename.endswith(".jpg")
    saved = tmp_path / "snapshot.jpg"
    download.save_as(saved)
    assert cv2.imread(str(saved)).shape == (240, 320, 3)
    page.locator("#fullscreen").click()
    page.wait_for_function(
        "document.fullscreenElement && document.fullscreenElement.id === 'video'"
    )
    page.locator("#fullscreen").evaluate("button => button.click()")  # out of the fullscreen
    page.wait_for_function("document.fullscreenElement === null")


def test_the_page_links_to_the_api_description():
    source = PatternSource(160, 120, 30)
    client = create_app(Pipeline(source, lambda: source)).test_client()
    assert 'id="api-docs" href="/docs"' in client.get("/").text
    assert client.get("/docs").status_code == 200


def test_a_slow_server_gets_one_poll_at_a_time_from_each_of_the_pages_loops(
    server, open_page, monkeypatch
):
    """Each poll waits for the answer to the one before: a server taking 2.5 s to answer /stats
    has at most the first load's request and one poll under way (polling every second whatever
    the answers, as the page once did, had three under way here; with nineteen such tabs
    open, the twentieth took over 15 s to load, against 2 s at most now)."""
    answer_stats = server.pipeline.stats
    lock = threading.Lock()
    under_way, most = 0, 0

    def slow_stats():
        nonlocal under_way, most
        with lock:
            under_way += 1
            most = max(most, under_way)
        try:
            time.sleep(2.5)
            return answer_stats()
        finally:
            with lock:
                under_way -= 1

    monkeypatch.setattr(server.pipeline, "stats", slow_stats)
    page = open_page(server)
    page.wait_for_timeout(8000)
    polls = [request for request in page.requests if request.url.endswith("/stats")]
    assert len(polls) >= 3, "the page goes on polling"
    assert most <= 2, f"{most} polls of /stats under way at once"


def test_a_hidden_tab_stops_polling_and_catches_up_when_shown(server, open_page, monkeypatch):
    answer_stats = server.pipeline.stats
    polls: list[None] = []  # /stats requests, counted by the server

    def counted_stats():
        polls.append(None)
        return answer_stats()

    monkeypatch.setattr(server.pipeline, "stats", counted_stats)
    page = open_page(server)

    def answered() -> int:
        return len(polls)

    wait_for(lambda: answered() >= 2)
    set_hidden(page, True)
    page.wait_for_timeout(1500)  # a poll under way when the tab was hidden may still end
    hidden_from = answered()
    page.wait_for_timeout(3000)
    assert answered() == hidden_from, "no poll while the tab is hidden"
    set_hidden(page, False)
    wait_for(lambda: answered() >= hidden_from + 2)


@pytest.mark.parametrize("transport", ["websocket", "mjpeg"])
def test_a_hidden_tab_closes_its_video_and_plays_again_when_shown(server, open_page, transport):
    page = open_page(server, path=f"/?video={transport}")
    page.wait_for_function(VIDEO_SHOWN)
    viewers = server.pipeline.broadcaster.stats
    wait_for(lambda: viewers()["viewers"] == 1)
    set_hidden(page, True)
    wait_for(lambda: viewers()["viewers"] == 0)
    set_hidden(page, False)
    wait_for(lambda: viewers()["viewers"] == 1)
    first = video_pixels(page)  # and the picture moves again
    wait_for(lambda: np.abs(video_pixels(page).astype(int) - first).mean() > 1)
    assert page.locator("#video").get_attribute("data-transport") == transport


def test_a_page_opened_in_a_hidden_tab_plays_once_it_is_shown(server, browser):
    context = browser.new_context(bypass_csp=True)
    try:
        context.add_init_script(
            'Object.defineProperty(document, "hidden", {value: true, configurable: true});'
        )
        page = context.new_page()
        page.goto(server.url + "/", wait_until="load")
        page.wait_for_function("document.getElementById('video').dataset.transport")
        page.wait_for_timeout(2000)
        assert server.pipeline.broadcaster.stats()["viewers"] == 0, "no video while hidden"
        set_hidden(page, False)
        page.wait_for_function(VIDEO_SHOWN)
        assert server.pipeline.broadcaster.stats()["viewers"] == 1
    finally:
        context.close()
