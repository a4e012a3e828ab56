"""One encoder per codec for every WebRTC peer, and the tracks that hand its packets out.

aiortc encodes per RTCRtpSender, so each peer would cost its own encode (libx264 at aiortc's
settings takes about 10 ms for a 640x480 frame). But a sender whose track gives it encoded
packets (av.Packet) only packetizes them. So the output encodes each frame once per codec in
use (SharedEncoder) and each peer's PacketTrack hands the same packets to its sender.

A peer may start decoding only at a keyframe: a new track skips packets until one comes, and
the output asks the encoder for one as it adds the track (so does a peer's PLI or FIR, and a
track whose sender fell QUEUE_FRAMES behind, which then drops its backlog: the newest frame
wins). The cost is that
one peer's keyframe request is paid by all, and every peer gets one bitrate (--bitrate): no
peer's congestion feedback (REMB) can lower it for that peer alone.
"""

from __future__ import annotations

import asyncio
import fractions
import threading

import av
import cv2
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

TIME_BASE = fractions.Fraction(1, 90000)  # RTP's video clock
KEYFRAME_INTERVAL = 150  # frames between keyframes when no one asks: 5 s at 30 fps
MIN_KEYFRAME_GAP_S = 0.5  # of video: a storm of keyframe requests costs one keyframe per this
QUEUE_FRAMES = 8  # packets a track holds for its sender before it drops them


class SharedEncoder:
    """Encodes BGR pictures into one codec's packets, for all the peers of that codec."""

    def __init__(self, codec: str, bitrate: int) -> None:
        self.codec = codec  # "H264" or "VP8"
        self.bitrate = bitrate
        self._context: av.VideoCodecContext | None = None
        self.keyframe_wanted = threading.Event()
        self._last_keyframe: int | None = None  # its pts
        self.frames_encoded = 0

    def request_keyframe(self) -> None:
        """Make the next frame a keyframe (asked from any thread)."""
        self.keyframe_wanted.set()

    def encode(self, image: np.ndarray, pts: int) -> list[av.Packet]:
        """The packets of one picture, whose time is `pts` in TIME_BASE units."""
        height, width = image.shape[0] & ~1, image.shape[1] & ~1  # 4:2:0 wants even sides
        if self._context is None or (self._context.width, self._context.height) != (
            width,
            height,
        ):
            self._context = self._open(width, height)
        yuv: np.ndarray = cv2.cvtColor(image[:height, :width], cv2.COLOR_BGR2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv.astype(np.uint8, copy=False), format="yuv420p")
        frame.pts, frame.time_base = pts, TIME_BASE
        last = self._last_keyframe
        if self.keyframe_wanted.is_set() and (
            last is None or (pts - last) * TIME_BASE >= MIN_KEYFRAME_GAP_S
        ):
            self.keyframe_wanted.clear()
            frame.pict_type = av.video.frame.PictureType.I
        packets = list(self._context.encode(frame))
        self.frames_encoded += 1
        if any(packet.is_keyframe for packet in packets):
            self._last_keyframe = pts
        return packets

    def _open(self, width: int, height: int) -> av.VideoCodecContext:
        if self.codec == "H264":
            context = av.CodecContext.create("libx264", "w")
            context.profile = "Baseline"  # what browsers decode in WebRTC (42e01f)
            # veryfast: 2.8 ms for a 640x480 photograph here, 10 ms at x264's default preset
            # (aiortc's); zerolatency: no B-frames nor look-ahead, each frame out as it comes
            context.options = {"preset": "veryfast", "tune": "zerolatency"}
        else:
            context = av.CodecContext.create("libvpx", "w")
            # A negative cpu-used is a fixed speed; a positive one adapts to the time left
            # for each frame, and took 108 ms a frame here while other work loaded the CPU.
            context.options = {"deadline": "realtime", "cpu-used": "-6", "lag-in-frames": "0"}
        context.width, context.height = width, height
        context.pix_fmt = "yuv420p"
        context.time_base = TIME_BASE
        context.framerate = fractions.Fraction(30, 1)
        context.bit_rate = self.bitrate
        context.gop_size = KEYFRAME_INTERVAL
        return context


class PacketTrack(MediaStreamTrack):
    """One peer's video: the packets of its codec's SharedEncoder, from a keyframe on.
    Lives in the event loop's thread: push() and recv() are called there only."""

    kind = "video"

    def __init__(self, encoder: SharedEncoder) -> None:
        super().__init__()
        self.encoder = encoder
        self._queue: asyncio.Queue[av.Packet | None] = asyncio.Queue(QUEUE_FRAMES)
        self._waiting_for_keyframe = True

    def push(self, packet: av.Packet) -> None:
        """Offer the sender a packet; a backlog is dropped, and the track waits for a
        keyframe again."""
        if self.readyState != "live":
            return
        if self._waiting_for_keyframe and not packet.is_keyframe:
            return
        self._waiting_for_keyframe = False
        if self._queue.full():
            while not self._queue.empty():
                self._queue.get_nowait()
            self._waiting_for_keyframe = True
            self.encoder.request_keyframe()
            return
        self._queue.put_nowait(packet)

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self._queue.get()
        if packet is None:
            raise MediaStreamError
        return packet

    def stop(self) -> None:
        """End the track; a recv() waiting for a packet raises MediaStreamError."""
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)
        super().stop()
