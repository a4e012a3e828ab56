"""WebRTC on a PC (webrtc/), with aiortc peers as the browsers: the output's video and its one
encode for all peers, the input from a peer that sends a picture, the signalling's errors,
and the app on a machine without aiortc."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

import av
import cv2
import numpy as np
import pytest
import requests
from websockets.sync.client import connect

from bench.webrtc_peers import Receiver, send_picture
from helpers import ANY_LOCAL_PORT, DATA, ROOT, free_port, picture, wait_for
from mjpeg_client import MjpegViewer, decode
from networks import create_slot
from sources import InputSpec, open_source
from webrtc import open_webrtc
from webrtc.encoding import PacketTrack, SharedEncoder
from webrtc.peers import without_mdns_candidates

OUTPUT = "webrtc://@:8554/output"
INPUT = "webrtc://@:8554/input"
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def candidate_addresses(sdp: str) -> list[str]:
    return [line.split()[4] for line in sdp.splitlines() if line.startswith("a=candidate:")]


def answered_codecs(sdp: str) -> set[str]:
    return {line.split()[1].split("/")[0] for line in sdp.splitlines() if "a=rtpmap:" in line}


def output_server(start_server, source=None, codec: str | None = None):
    webrtc = open_webrtc(OUTPUT, None, codec=codec)
    assert webrtc is not None and webrtc.output is not None
    return start_server(source, outputs=[webrtc.output], webrtc=webrtc)


async def received_frames(url: str, count: int, codecs=("H264", "VP8")) -> tuple[str, list]:
    receiver = Receiver(codecs)
    try:
        await receiver.connect(url)
        return receiver.answer, await receiver.frames(count)
    finally:
        await receiver.close()


def test_a_peer_gets_the_video_in_h264_from_the_address_it_offered_to(start_server):
    server = output_server(start_server)
    answer, frames = run(received_frames(server.url, 15))
    assert candidate_addresses(answer) == ["127.0.0.1"], "no other address of the machine"
    assert answered_codecs(answer) == {"H264", "rtx"}
    assert frames[0].shape == (240, 320, 3)
    assert np.abs(frames[0].astype(int) - frames[-1]).mean() > 1, "the video moves"
    stats = server.get("/stats").json()["webrtc"]["output"]
    assert stats["frames_encoded"]["H264"] > 0 and stats["frames_encoded"]["VP8"] == 0


def test_the_picture_is_the_annotated_one_the_viewers_see(start_server):
    still = open_source(InputSpec(uri=str(DATA / "astronaut.jpg"), rate=15, loop=-1))
    server = output_server(start_server, still)
    _, frames = run(received_frames(server.url, 5))
    shown = decode(server.get("/snapshot.jpg").content)
    assert frames[-1].shape == shown.shape
    assert np.abs(frames[-1].astype(int) - shown).mean() < 4


def test_a_peer_that_offers_only_vp8_gets_vp8(start_server):
    server = output_server(start_server)
    answer, frames = run(received_frames(server.url, 5, codecs=("VP8",)))
    assert answered_codecs(answer) == {"VP8", "rtx"}
    assert frames[0].shape == (240, 320, 3)


def test_output_codec_limits_what_is_sent(start_server):
    server = output_server(start_server, codec="vp8")
    with pytest.raises(requests.HTTPError) as raised:
        run(received_frames(server.url, 1, codecs=("H264",)))
    assert raised.value.response.status_code == 400
    assert raised.value.response.json()["error"] == (
        "the browser offers H264; this output sends VP8"
    )


def test_peers_share_one_encode_of_each_frame(start_server):
    """aiortc would encode per peer; here three peers get the packets of one encode."""
    server = output_server(start_server)
    encoder = server.webrtc.output.encoders["H264"]

    async def three_peers() -> tuple[int, int, int, list[int]]:
        receivers = [Receiver() for _ in range(3)]
        before_the_peers = encoder.frames_encoded
        try:
            for receiver in receivers:
                await receiver.connect(server.url)
            await asyncio.gather(*(receiver.frames(3) for receiver in receivers))
            encoded, published = encoder.frames_encoded, server.pipeline.broadcaster.latest.seq
            got = await asyncio.gather(*(receiver.frames(30) for receiver in receivers))
            return (
                encoder.frames_encoded - encoded,
                server.pipeline.broadcaster.latest.seq - published,
                encoder.frames_encoded - before_the_peers,
                [len(frames) for frames in got],
            )
        finally:
            for receiver in receivers:
                await receiver.close()

    encoded, published, encoded_for_the_peers, received = run(three_peers())
    assert received == [30, 30, 30]
    # A peer's 30 frames may begin with frames encoded before the reading, still on their way
    # or queued in the peer; its 33 frames in all were encoded once it was there.
    assert encoded_for_the_peers >= 33, "each frame a peer got is an encode"
    assert encoded <= published + 2, f"{encoded} encodes for {published} frames published"


def test_a_peer_that_leaves_is_let_go_and_nothing_is_encoded_for_nobody(start_server):
    server = output_server(start_server)
    run(received_frames(server.url, 3))
    wait_for(lambda: server.get("/stats").json()["webrtc"]["output"]["peers"] == 0)
    encoder = server.webrtc.output.encoders["H264"]
    encoded = encoder.frames_encoded
    seq = server.pipeline.broadcaster.latest.seq
    wait_for(lambda: server.pipeline.broadcaster.latest.seq > seq + 10)
    assert encoder.frames_encoded <= encoded + 1


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"not json", 'expected JSON {"type": "offer", "sdp": "..."}'),
        (b'{"type": "answer", "sdp": "v=0"}', 'expected JSON {"type": "offer", "sdp": "..."}'),
        (
            b'{"type": "offer", "sdp": "v=0\\r\\n"}',
            "the offer must have one video stream, it has 0",
        ),
    ],
)
def test_an_offer_that_cannot_be_answered_is_a_400_with_a_message(start_server, body, problem):
    server = output_server(start_server)
    response = requests.post(server.url + "/webrtc/output", data=body, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"] == problem
    assert server.get("/stats").json()["webrtc"]["output"]["peers"] == 0


def test_without_webrtc_the_signalling_says_what_to_start_with(server):
    for path, flag in (("/webrtc/output", "--output"), ("/webrtc/input", "--input")):
        response = requests.post(server.url + path, json={"type": "offer", "sdp": "v=0"}, timeout=5)
        assert response.status_code == 404
        assert response.json()["error"].startswith(
            f"no WebRTC {path[8:]}: start the app with {flag}"
        )
    assert "webrtc" not in server.get("/stats").json()


def test_mdns_candidates_are_dropped_from_an_offer():
    offer = (
        "v=0\r\na=candidate:1 1 udp 2113937151 3f2a.local 50505 typ host\r\n"
        "a=candidate:2 1 udp 2113937151 127.0.0.1 50506 typ host\r\na=end-of-candidates\r\n"
    )
    assert without_mdns_candidates(offer) == (
        "v=0\r\na=candidate:2 1 udp 2113937151 127.0.0.1 50506 typ host\r\na=end-of-candidates\r\n"
    )


# --- the shared encoder and a peer's track ---


def decoded(packets: list[av.Packet]) -> list[np.ndarray]:
    decoder = av.VideoCodecContext.create("h264", "r")
    return [
        frame.to_ndarray(format="bgr24") for packet in packets for frame in decoder.decode(packet)
    ]


def test_the_encoder_makes_a_keyframe_when_asked_and_crops_odd_sides():
    encoder = SharedEncoder("H264", 1_000_000)
    image = cv2.resize(picture("astronaut.jpg"), (161, 121))
    packets = [packet for pts in range(0, 30000, 3000) for packet in encoder.encode(image, pts)]
    assert [packet.is_keyframe for packet in packets] == [True] + [False] * 9
    encoder.request_keyframe()  # honoured once 0.5 s of video has passed since the last one
    later = [encoder.encode(image, pts) for pts in range(30000, 60000, 3000)]
    assert [[packet.is_keyframe for packet in frame] for frame in later] == [
        [False] * (pts < 45000) + [True] * (pts == 45000) + [False] * (pts > 45000)
        for pts in range(30000, 60000, 3000)
    ]
    frames = decoded(packets + [packet for frame in later for packet in frame])
    assert len(frames) == 20 and frames[0].shape == (120, 160, 3)
    assert np.abs(frames[-1].astype(int) - image[:120, :160]).mean() < 6


def test_a_track_starts_at_a_keyframe_and_drops_a_backlog_for_the_next_one():
    encoder = SharedEncoder("H264", 1_000_000)
    image = cv2.resize(picture("chelsea.jpg"), (160, 120))
    packets = [packet for pts in range(0, 60000, 3000) for packet in encoder.encode(image, pts)]
    keyframe, inter = packets[0], packets[1:]

    async def scenario() -> tuple[list[bool], bool]:
        track = PacketTrack(encoder)
        track.push(inter[0])  # not a keyframe: a new peer could not decode it
        track.push(keyframe)
        for packet in inter[1:4]:
            track.push(packet)
        sent = [(await track.recv()).is_keyframe for _ in range(4)]
        assert not encoder.keyframe_wanted.is_set()
        for packet in inter[4:]:  # the sender stalls: more than the queue holds
            track.push(packet)
        wanted = encoder.keyframe_wanted.is_set()
        track.stop()
        return sent, wanted

    sent, wanted_again = run(scenario())
    assert sent == [True, False, False, False]
    assert wanted_again, "a track that dropped its backlog asks for a keyframe"


# --- the input ---


def input_server(start_server, catalogue):
    webrtc = open_webrtc(None, INPUT)
    assert webrtc is not None and webrtc.input is not None
    received = webrtc.input
    return start_server(
        received.open(),
        reopen=received.open,
        backoff=received.backoff(),
        webrtc=webrtc,
        networks=[create_slot(catalogue, "detection", None)],
    )


def detected_labels(server) -> list[str]:
    result = server.get("/detection/results").json()
    return [detection["label"] for detection in result["detections"]] if result else []


def test_a_sent_picture_reaches_the_networks_and_every_viewer(start_server, catalogue):
    server = input_server(start_server, catalogue)
    waiting = wait_for(lambda: server.get("/stats").json()["source"]["error"])
    assert waiting == f"{INPUT}: no browser is sending video (Send on the page)"
    astronaut = cv2.resize(picture("astronaut.jpg"), (640, 480))

    async def send_then_stop() -> np.ndarray:
        peer, sender = await send_picture(server.url, astronaut)
        assert sender == 1
        try:
            await asyncio.to_thread(wait_for, lambda: "person" in detected_labels(server))
            with MjpegViewer(server.host, server.port) as viewer:  # a second viewer
                return decode(viewer.next_part().body)
        finally:
            await peer.close()

    seen = run(send_then_stop())
    assert seen.shape == (480, 640, 3)
    assert np.abs(seen.astype(int) - astronaut).mean() < 25, "the astronaut, boxes drawn on it"
    stats = server.get("/stats").json()
    assert stats["webrtc"]["input"]["frames_received"] > 0
    assert stats["source"]["resolution"] == [640, 480]
    lost = wait_for(lambda: server.get("/stats").json()["source"]["error"])
    assert lost == f"{INPUT}: the browser stopped sending"


def test_a_second_sender_replaces_the_first(start_server, catalogue):
    server = input_server(start_server, catalogue)
    cat = cv2.resize(picture("chelsea.jpg"), (320, 240))
    cup = cv2.resize(picture("coffee.jpg"), (320, 240))

    def shown_is(image: np.ndarray) -> bool:
        response = server.get("/snapshot.jpg")
        shown = decode(response.content) if response.ok else image[:1]
        return shown.shape == image.shape and np.abs(shown.astype(int) - image).mean() < 25

    async def two_senders() -> tuple[str, list[int]]:
        first, number = await send_picture(server.url, cat)
        await asyncio.to_thread(wait_for, lambda: shown_is(cat))
        second, second_number = await send_picture(server.url, cup)
        await asyncio.to_thread(wait_for, lambda: shown_is(cup))
        await asyncio.to_thread(wait_for, lambda: first.connectionState == "closed")
        now = server.get("/stats").json()["webrtc"]["input"]["sender"]
        await second.close()
        return first.connectionState, [number, second_number, now]

    assert run(two_senders()) == ("closed", [1, 2, 2])


# --- without aiortc ---

BLOCK_AIORTC = (
    "import runpy, sys; sys.modules['aiortc'] = sys.modules['av'] = None; "
    "sys.argv = ['app.py', *sys.argv[1:]]; runpy.run_path('app.py', run_name='__main__')"
)


@pytest.mark.parametrize(
    "flag, uri", [("--output", OUTPUT), ("--input", INPUT), ("--output", "webrtc://x:1/y")]
)
def test_without_aiortc_asking_for_webrtc_is_one_line_saying_what_to_install(flag, uri):
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_AIORTC, *ANY_LOCAL_PORT, flag, uri],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"error: {flag} {uri}: WebRTC here needs aiortc and PyAV, and av is not installed: "
        "pip install -r requirements-webrtc.txt\n"
    )


def test_without_aiortc_the_mjpeg_and_websocket_video_work():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", BLOCK_AIORTC, "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: serving(url), timeout=60)
        with MjpegViewer("127.0.0.1", port) as viewer:
            assert decode(viewer.next_part().body).shape == (480, 640, 3)
        with connect(f"ws://127.0.0.1:{port}/video_ws", max_size=None) as client:
            assert isinstance(client.recv(timeout=10), bytes)
        assert "data-webrtc" not in requests.get(url + "/", timeout=5).text
    finally:
        process.terminate()
        stderr = process.communicate(timeout=20)[1]
    assert process.returncode == 0 and "Traceback" not in stderr, stderr


def serving(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=2).ok
    except requests.ConnectionError:
        return False
