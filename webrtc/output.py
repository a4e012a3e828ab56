"""--output webrtc://... on a PC: the annotated video to every browser that asks for it.

A browser posts its offer to POST /webrtc/output (the app's own port: no other is opened for
signalling) and gets the answer; the media then flows over ICE/UDP from the address it
posted to (peers.py). The pipeline's write() only keeps the newest picture; the encoder
thread encodes it once per codec that a peer receives (encoding.py) and hands the packets to
the event loop's thread, which gives them to each peer's track. With no peer, nothing is
encoded.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import av
import numpy as np
from aiortc import RTCPeerConnection

from frame import Frame
from meters import Average
from webrtc.encoding import TIME_BASE, PacketTrack, SharedEncoder
from webrtc.loop import LoopThread
from webrtc.peers import (
    SIGNALLING_TIMEOUT_S,
    OfferError,
    accept_offer,
    answer,
    new_peer,
    offered_video_codecs,
    prefer_codec,
)

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 30.0  # a peer not connected by then is let go


class WebRTCOutput:
    """The video as WebRTC to any number of peers; an Output of the pipeline (outputs.py)."""

    def __init__(
        self,
        uri: str,
        loop: LoopThread,
        *,
        bitrate: int,
        codecs: tuple[str, ...],
        stun_server: str | None = None,
    ) -> None:
        self.description = (
            f"{uri} (WebRTC: {' or '.join(codecs)} at {bitrate / 1e6:g} Mbit/s; the page "
            "plays it, signalling on this port, POST /webrtc/output)"
        )
        self.codecs = codecs  # in order of preference
        self._loop = loop
        self._stun_server = stun_server
        self.encoders = {codec: SharedEncoder(codec, bitrate) for codec in codecs}
        self._tracks: dict[str, set[PacketTrack]] = {codec: set() for codec in codecs}
        self._peers: set[RTCPeerConnection] = set()  # the loop thread's, as are the tracks
        self._wanted: frozenset[str] = frozenset()  # codecs with a peer, for the encoder thread
        self._condition = threading.Condition()
        self._newest: tuple[np.ndarray, int] | None = None
        self._clock_start = time.monotonic()
        self._closed = False
        self.encode_ms = Average()
        self._thread = threading.Thread(target=self._encode_newest, name="webrtc-encoder")
        self._thread.daemon = True
        self._thread.start()

    def write(self, image: np.ndarray, frame: Frame) -> None:
        """Keep the newest picture for the encoder thread (never blocks; nothing is kept
        while no peer receives)."""
        if not self._wanted:
            return
        pts = int((time.monotonic() - self._clock_start) / TIME_BASE)  # sent, not captured:
        with self._condition:  # an offline frame republished keeps its capture time
            self._newest = (image, pts)
            self._condition.notify()

    def answer(self, offer: str, address: str) -> dict[str, object]:
        """The answer ({"type": "answer", "sdp": ...}) to a browser's offer that came to the
        server's `address`; OfferError if it cannot be answered."""
        sdp = self._loop.run(self._answer(offer, address), SIGNALLING_TIMEOUT_S)
        return {"type": "answer", "sdp": sdp}

    def stats(self) -> dict[str, object]:
        tracks = self._tracks
        return {
            "peers": sum(len(tracks[codec]) for codec in self.codecs),
            "peers_by_codec": {codec: len(tracks[codec]) for codec in self.codecs},
            "frames_encoded": {codec: self.encoders[codec].frames_encoded for codec in self.codecs},
            "encode_ms": self.encode_ms.rounded(),
        }

    def close(self) -> None:
        """Stop encoding and close every peer."""
        if self._closed:
            return
        with self._condition:
            self._closed = True
            self._condition.notify()
        self._thread.join(2.0)
        if self._loop.running:
            self._loop.run(self.close_peers(), SIGNALLING_TIMEOUT_S)

    async def close_peers(self) -> None:
        for peer in list(self._peers):
            await peer.close()

    # --- the event loop's thread ---

    async def _answer(self, offer: str, address: str) -> str:
        offered = offered_video_codecs(offer)
        codec = next((codec for codec in self.codecs if codec in offered), None)
        if codec is None:
            raise OfferError(
                f"the browser offers {', '.join(offered) or 'no video codec'}; this output "
                f"sends {' or '.join(self.codecs)}"
            )
        peer = new_peer(self._stun_server)
        track = PacketTrack(self.encoders[codec])
        try:
            # The offer's video goes to this transceiver, with its codec: one made before the
            # offer is set, of the same kind, is taken for the offer's stream.
            transceiver = peer.addTransceiver(track, direction="sendonly")
            prefer_codec(transceiver, [codec])
            await accept_offer(peer, offer)
            # A PLI or FIR from this peer asks aiortc for a keyframe, which it would make
            # only for a frame it encodes itself: the shared encoder makes it instead.
            transceiver.sender._send_keyframe = track.encoder.request_keyframe  # type: ignore[method-assign]
            answered = await answer(peer, address)
        except Exception:
            track.stop()
            await peer.close()
            raise
        self._add(peer, track)
        return answered

    def _add(self, peer: RTCPeerConnection, track: PacketTrack) -> None:
        self._peers.add(peer)
        self._tracks[track.encoder.codec].add(track)
        self._update_wanted()
        track.encoder.request_keyframe()  # the first frame it is given is one

        async def close() -> None:
            self._remove(peer, track)
            await peer.close()

        @peer.on("connectionstatechange")
        async def on_state() -> None:
            if peer.connectionState in ("failed", "closed"):
                await close()

        def give_up() -> None:  # a browser that goes before it connects says nothing
            if peer.connectionState != "connected":
                self._loop.spawn(close())

        asyncio.get_running_loop().call_later(CONNECT_TIMEOUT_S, give_up)

    def _remove(self, peer: RTCPeerConnection, track: PacketTrack) -> None:
        self._peers.discard(peer)
        self._tracks[track.encoder.codec].discard(track)
        track.stop()
        self._update_wanted()

    def _update_wanted(self) -> None:
        self._wanted = frozenset(codec for codec, tracks in self._tracks.items() if tracks)

    def _deliver(self, codec: str, packets: list[av.Packet]) -> None:
        for track in list(self._tracks[codec]):
            for packet in packets:
                track.push(packet)

    # --- the encoder thread ---

    def _encode_newest(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._closed or self._newest is not None)
                if self._closed or self._newest is None:
                    return
                (image, pts), self._newest = self._newest, None
            for codec in self._wanted:
                started = time.perf_counter()
                try:
                    packets = self.encoders[codec].encode(image, pts)
                except Exception:  # a bad frame must not end the stream
                    log.exception("WebRTC: encoding a frame as %s failed", codec)
                    continue
                self.encode_ms.add((time.perf_counter() - started) * 1000)
                if packets:
                    self._loop.call_soon(self._deliver, codec, packets)
