"""WebRTC in a real browser (Debian's chromium, driven by Playwright): the page plays the
output in its <video>, with its glass-to-glass latency measured, falls back to the WebSocket
when WebRTC fails, and sends Chromium's fake camera (a film of the astronaut) as the input."""

from __future__ import annotations

import ssl
import statistics
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import requests
from playwright.sync_api import Browser, sync_playwright
from websockets.sync.client import connect

from app import server_ssl_context
from bench.timecode import GLASS_TO_GLASS, TimeCodeSource
from helpers import picture, self_signed_pair, set_hidden, wait_for
from mjpeg_client import decode
from networks import create_slot
from tools.chromium import CHROMIUM, CHROMIUM_ARGS
from webrtc import open_webrtc
from websocket_video import HEADER

OUTPUT = "webrtc://@:8554/output"
INPUT = "webrtc://@:8554/input"
CAMERA_SIZE = (640, 480)


def camera_film(folder: Path) -> Path:
    """What Chromium's fake camera films: the astronaut, as a Y4M video of two frames."""
    image = cv2.resize(picture("astronaut.jpg"), CAMERA_SIZE)
    yuv = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420).tobytes()
    path = folder / "camera.y4m"
    width, height = CAMERA_SIZE
    header = f"YUV4MPEG2 W{width} H{height} F15:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + (b"FRAME\n" + yuv) * 2)
    return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[Browser]:
    film = camera_film(tmp_path_factory.mktemp("camera"))
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",  # a camera with no device
        "--use-fake-ui-for-media-stream",  # allowed with no prompt
        f"--use-file-for-fake-video-capture={film}",
        "--allow-loopback-in-peer-connection",  # ICE candidates on 127.0.0.1, as the server's
        "--autoplay-policy=no-user-gesture-required",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser
        browser.close()


FRAMES_SHOWN = "Number(document.getElementById('video').dataset.frames)"


def test_the_page_plays_webrtc_in_its_video_glass_to_glass_measured(
    start_server, open_page, record_property
):
    webrtc = open_webrtc(OUTPUT, None)
    assert webrtc is not None and webrtc.output is not None
    server = start_server(TimeCodeSource(), outputs=[webrtc.output], webrtc=webrtc)
    page = open_page(server)
    page.wait_for_function(f"{FRAMES_SHOWN} > 30")
    assert page.locator("#video").get_attribute("data-transport") == "webrtc"
    assert page.locator("#video video").is_visible()
    assert page.websockets == [], "no WebSocket video besides"
    shown = int(page.evaluate(FRAMES_SHOWN))
    page.wait_for_function(f"{FRAMES_SHOWN} > {shown + 30}")  # it keeps playing
    delays = page.evaluate(GLASS_TO_GLASS, 150)
    median = statistics.median(delays)
    record_property("glass_to_glass_median_ms", median)
    print(
        f"glass to glass over WebRTC, {len(delays)} frames: median {median:.0f} ms, "
        f"p90 {statistics.quantiles(delays, n=10)[-1]:.0f} ms"
    )
    assert 0 < median < 5000, "a time code read back from the video (a sanity bound only)"
    assert server.get("/stats").json()["webrtc"]["output"]["peers"] == 1
    page.close()
    wait_for(lambda: server.get("/stats").json()["webrtc"]["output"]["peers"] == 0)


def test_the_page_falls_back_to_the_websocket_when_webrtc_fails(start_server, browser):
    webrtc = open_webrtc(OUTPUT, None)
    assert webrtc is not None and webrtc.output is not None
    server = start_server(outputs=[webrtc.output], webrtc=webrtc)
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.route(
            "**/webrtc/output",
            lambda route: route.fulfill(status=503, json={"error": "a proxy in the way"}),
        )
        page.goto(server.url + "/", wait_until="load")
        page.wait_for_function("document.getElementById('video').dataset.transport === 'websocket'")
        page.wait_for_function(f"{FRAMES_SHOWN} > 10")
        assert page.locator("#video canvas").is_visible()
        assert not page.locator("#video video").is_visible()
    finally:
        context.close()


def test_asking_for_the_websocket_skips_webrtc(start_server, open_page):
    webrtc = open_webrtc(OUTPUT, None)
    assert webrtc is not None and webrtc.output is not None
    server = start_server(outputs=[webrtc.output], webrtc=webrtc)
    page = open_page(server, path="/?video=websocket")
    page.wait_for_function(f"{FRAMES_SHOWN} > 5")
    assert page.locator("#video").get_attribute("data-transport") == "websocket"
    assert server.get("/stats").json()["webrtc"]["output"]["peers"] == 0


def test_the_browsers_camera_over_https_is_the_input_every_viewer_sees(
    start_server, catalogue, open_page, tmp_path
):
    webrtc = open_webrtc(None, INPUT)
    assert webrtc is not None and webrtc.input is not None
    received = webrtc.input
    cert, key = self_signed_pair(tmp_path)
    server = start_server(
        received.open(),
        reopen=received.open,
        backoff=received.backoff(),
        webrtc=webrtc,
        ssl_context=server_ssl_context(str(cert), str(key)),
        networks=[create_slot(catalogue, "detection", None)],
    )
    page = open_page(server, ignore_https_errors=True)
    camera = page.locator("#camera-select option")
    camera.first.wait_for(state="attached")
    assert camera.count() == 1
    page.click("#camera-send")
    page.wait_for_function(
        "document.getElementById('camera-status').textContent.startsWith('sending 640x480')"
    )
    assert page.locator("#camera-send").text_content() == "Stop"
    assert camera.first.text_content() != "camera 1", "named once the camera is allowed"

    def get(path: str) -> requests.Response:
        return server.get(path, verify=str(cert))

    def detected() -> list[str]:
        result = get("/detection/results").json()
        return [detection["label"] for detection in result["detections"]] if result else []

    counted = wait_for(lambda: get("/stats").json()["webrtc"]["input"]["frames_received"])
    wait_for(lambda: get("/stats").json()["webrtc"]["input"]["frames_received"] > counted + 15)
    wait_for(lambda: "person" in detected())
    trusted = ssl.create_default_context(cafile=str(cert))
    url = f"wss://{server.host}:{server.port}/video_ws"
    with connect(url, ssl=trusted, max_size=None) as viewer:  # a second viewer
        message = viewer.recv(timeout=10)
    assert isinstance(message, bytes)
    seen = decode(message[HEADER.size :])
    astronaut = cv2.resize(picture("astronaut.jpg"), CAMERA_SIZE)
    assert np.abs(seen.astype(int) - astronaut).mean() < 25, "the astronaut, boxes drawn on it"
    page.wait_for_function(f"{FRAMES_SHOWN} > 10")  # the page itself shows the result
    page.click("#camera-send")  # Stop
    assert page.locator("#camera-status").text_content() == "not sending"
    wait_for(lambda: get("/stats").json()["source"]["state"] == "reconnecting")


def test_where_the_browser_gives_no_camera_the_card_says_to_use_https(start_server, browser):
    """Over plain HTTP from another machine a page is no secure context: no camera for it."""
    webrtc = open_webrtc(None, INPUT)
    assert webrtc is not None and webrtc.input is not None
    server = start_server(webrtc.input.open(), reopen=webrtc.input.open, webrtc=webrtc)
    context = browser.new_context(bypass_csp=True)
    try:
        context.add_init_script("Object.defineProperty(window, 'isSecureContext', {value: false})")
        page = context.new_page()
        page.goto(server.url + "/", wait_until="load")
        status = page.locator("#camera-status")
        status.wait_for()
        assert "only over HTTPS or on localhost" in status.text_content()
        assert "--ssl-cert and --ssl-key" in status.text_content()
        assert page.locator("#camera-send").is_disabled()
    finally:
        context.close()


def test_a_second_browser_that_sends_takes_over_and_the_first_is_told(start_server, open_page):
    webrtc = open_webrtc(None, INPUT)
    assert webrtc is not None and webrtc.input is not None
    received = webrtc.input
    server = start_server(received.open(), reopen=received.open, webrtc=webrtc)
    first, second = open_page(server), open_page(server)
    sending = "document.getElementById('camera-status').textContent.startsWith('sending')"
    first.click("#camera-send")
    first.wait_for_function(sending)
    wait_for(lambda: server.get("/stats").json()["webrtc"]["input"]["sending"])
    second.click("#camera-send")
    second.wait_for_function(sending)
    first.wait_for_function(
        "document.getElementById('camera-status').textContent.startsWith('stopped')"
    )
    assert first.locator("#camera-status").text_content() == "stopped: another browser is sending"
    assert first.locator("#camera-send").text_content() == "Send"
    counted = server.get("/stats").json()["webrtc"]["input"]["frames_received"]
    wait_for(lambda: server.get("/stats").json()["webrtc"]["input"]["frames_received"] > counted)


def test_a_hidden_tab_closes_its_webrtc_peer_and_plays_again_when_shown(start_server, open_page):
    webrtc = open_webrtc(OUTPUT, None)
    assert webrtc is not None and webrtc.output is not None
    server = start_server(TimeCodeSource(), outputs=[webrtc.output], webrtc=webrtc)
    page = open_page(server)
    page.wait_for_function(f"{FRAMES_SHOWN} > 10")
    output = webrtc.output

    def peers() -> object:
        return output.stats()["peers"]

    wait_for(lambda: peers() == 1)
    set_hidden(page, True)
    wait_for(lambda: peers() == 0)
    shown = int(page.evaluate(FRAMES_SHOWN))
    set_hidden(page, False)
    page.wait_for_function(f"{FRAMES_SHOWN} > {shown + 10}")
    assert peers() == 1
    assert page.locator("#video").get_attribute("data-transport") == "webrtc"
