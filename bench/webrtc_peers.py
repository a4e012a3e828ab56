"""WebRTC peers of the app's, made with aiortc, for bench/webrtc.py and the tests: one that
receives /webrtc/output's video, or one that sends a picture to /webrtc/input. Their ICE
candidates are on 127.0.0.1 only, as the server's are for an offer that came to 127.0.0.1."""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Sequence

import av
import numpy as np
import requests
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcrtpsender import RTCRtpSender

from webrtc.peers import gathering_on, new_peer

LOOPBACK = "127.0.0.1"


async def offer_to(peer: RTCPeerConnection, url: str) -> requests.Response:
    """Make the offer, POST it to `url` and set the answer; the response (raised for its
    status)."""
    with gathering_on(LOOPBACK):
        await peer.setLocalDescription(await peer.createOffer())
    body = {"type": "offer", "sdp": peer.localDescription.sdp}
    response = await asyncio.to_thread(requests.post, url, json=body, timeout=20)
    response.raise_for_status()
    answer = response.json()
    await peer.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
    return response


class Receiver:
    """A peer that receives the app's WebRTC output (codecs: the ones it offers)."""

    def __init__(self, codecs: Sequence[str] = ("H264", "VP8")) -> None:
        self.peer = new_peer(None)
        transceiver = self.peer.addTransceiver("video", direction="recvonly")
        wanted = {name.lower() for name in (*codecs, "rtx")}
        transceiver.setCodecPreferences(
            [c for c in RTCRtpSender.getCapabilities("video").codecs if c.name.lower() in wanted]
        )
        self.track: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()
        self.peer.on("track", self.track.set_result)
        self.answer = ""

    async def connect(self, base_url: str) -> None:
        response = await offer_to(self.peer, base_url + "/webrtc/output")
        self.answer = response.json()["sdp"]

    async def frames(self, count: int, timeout: float = 20.0) -> list[np.ndarray]:
        """The next `count` decoded frames, as BGR."""
        track = await asyncio.wait_for(self.track, timeout)
        frames = []
        for _ in range(count):
            frame = await asyncio.wait_for(track.recv(), timeout)
            assert isinstance(frame, av.VideoFrame)
            frames.append(frame.to_ndarray(format="bgr24"))
        return frames

    async def close(self) -> None:
        await self.peer.close()


class PictureTrack(MediaStreamTrack):
    """A camera that films one picture, at `rate` frames a second."""

    kind = "video"

    def __init__(self, picture: np.ndarray, rate: float = 15.0) -> None:
        super().__init__()
        self._picture, self._period = picture, 1.0 / rate
        self._started = time.monotonic()
        self._count = 0

    async def recv(self) -> av.VideoFrame:
        due = self._started + self._count * self._period
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        frame = av.VideoFrame.from_ndarray(self._picture, format="bgr24")
        frame.pts = round(self._count * self._period * 1_000_000)
        frame.time_base = fractions.Fraction(1, 1_000_000)
        self._count += 1
        return frame


async def send_picture(base_url: str, picture: np.ndarray) -> tuple[RTCPeerConnection, int]:
    """A peer that sends `picture` as a camera would to the app's WebRTC input, connected,
    and the number the server gave it as the sender."""
    peer = new_peer(None)
    peer.addTrack(PictureTrack(picture))
    response = await offer_to(peer, base_url + "/webrtc/input")
    return peer, response.json()["sender"]
