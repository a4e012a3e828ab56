"""--input webrtc://... on a PC: the video a browser sends from its camera.

The page's Send button posts an offer with the camera's track to POST /webrtc/input; aiortc
decodes what comes, and the newest decoded frame waits here for the capture thread. One
browser sends at a time: a browser that starts sending replaces the one before, whose
connection is closed.

The capture thread sees the input as any other Source (stream.py is unchanged for it): read()
returns the newest frame not read yet, as BGR, and raises SourceError when none comes: the
input is lost, the capture thread says so (/stats, the page's banner) and reopens it, which
costs nothing here. A browser that stops sending is lost at once, one whose video stalls
after NO_VIDEO_S. While no browser sends, read() waits WAIT_FOR_SENDER_S for one before it
raises again, so that the log gets a line a minute, not one a second; the first read of all
waits only NO_VIDEO_S, so that /stats says at once that the input waits for a browser.
"""

from __future__ import annotations

import threading

import av
import cv2
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection
from aiortc.mediastreams import MediaStreamError

from sources import SourceError
from stream import Backoff
from webrtc.loop import LoopThread
from webrtc.peers import SIGNALLING_TIMEOUT_S, accept_offer, answer, new_peer, offered_video_codecs

NO_VIDEO_S = 3.0
WAIT_FOR_SENDER_S = 60.0
# Reopening this input costs nothing, so the capture thread may retry at once: a browser that
# starts sending is picked up within this, not after the usual backoff of up to 10 s.
REOPEN_DELAY_S = 0.5


class WebRTCInput:
    """The video one browser at a time sends; Source views of it come from open()."""

    def __init__(self, uri: str, loop: LoopThread, stun_server: str | None = None) -> None:
        self.description = f"{uri} (a browser's camera over WebRTC: Send on the page)"
        self._uri = uri
        self._loop = loop
        self._stun_server = stun_server
        self._condition = threading.Condition()
        self._frame: av.VideoFrame | None = None
        self._received = 0  # frames received, in all
        self._sending = False  # a browser's track is live
        self._waited_for_sender = False
        self._closed = False
        self._sender: RTCPeerConnection | None = None  # the loop thread's
        self._senders = 0  # browsers answered, the one that sends now the last

    def open(self, size: tuple[int, int] | None = None) -> ReceivedVideo:
        """A Source of the frames received from now on (resized to `size` if given)."""
        with self._condition:
            return ReceivedVideo(self, size, self._received)

    def backoff(self) -> Backoff:
        """The capture thread's reconnection delays for this input."""
        return Backoff(REOPEN_DELAY_S, REOPEN_DELAY_S)

    def answer(self, offer: str, address: str) -> dict[str, object]:
        """The answer to a browser's offer to send, with the number it is known by as the
        sender; OfferError if it cannot be answered."""
        return self._loop.run(self._answer(offer, address), SIGNALLING_TIMEOUT_S)

    def stats(self) -> dict[str, object]:
        """Whether a browser sends, which (the number its answer gave it), and the frames
        received; a page that sends and sees another sender here knows it was replaced."""
        return {
            "sending": self._sending,
            "sender": self._senders or None,
            "frames_received": self._received,
        }

    def close(self) -> None:
        """Wake every reader (they raise SourceError) and close the sender's connection."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        if self._loop.running:
            self._loop.run(self.close_sender(), SIGNALLING_TIMEOUT_S)

    async def close_sender(self) -> None:
        if self._sender is not None:
            await self._sender.close()

    # --- the capture thread ---

    def wait_newer(self, seen: int, returned_any: bool) -> tuple[av.VideoFrame, int]:
        """The newest frame if more than `seen` frames were received, and their count; waits
        for one, or raises SourceError (at once for a reader that had frames from a browser
        that has stopped)."""
        with self._condition:
            was_sending = self._sending
            if returned_any and not was_sending:
                raise SourceError(f"{self._uri}: the browser stopped sending")
            self._condition.wait_for(
                lambda: (
                    self._closed or self._received > seen or (was_sending and not self._sending)
                ),
                NO_VIDEO_S if was_sending or not self._waited_for_sender else WAIT_FOR_SENDER_S,
            )
            if self._closed:
                raise SourceError(f"{self._uri}: closed")
            if self._received > seen and self._frame is not None:
                return self._frame, self._received
            if was_sending and not self._sending:
                raise SourceError(f"{self._uri}: the browser stopped sending")
            if was_sending:
                raise SourceError(f"{self._uri}: no video from the browser for {NO_VIDEO_S:g} s")
            self._waited_for_sender = True
            raise SourceError(f"{self._uri}: no browser is sending video (Send on the page)")

    # --- the event loop's thread ---

    async def _answer(self, offer: str, address: str) -> dict[str, object]:
        offered_video_codecs(offer)  # one video stream, or OfferError
        peer = new_peer(self._stun_server)

        @peer.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                self._loop.spawn(self._receive(peer, track))

        try:
            await accept_offer(peer, offer)
            answered = await answer(peer, address)
        except Exception:
            await peer.close()
            raise
        previous, self._sender = self._sender, peer
        self._senders += 1
        if previous is not None:  # it sends no more, whether or not this one ever will
            with self._condition:
                self._sending = False
                self._condition.notify_all()
            await previous.close()

        @peer.on("connectionstatechange")
        async def on_state() -> None:
            if peer.connectionState in ("failed", "closed"):
                await peer.close()

        return {"type": "answer", "sdp": answered, "sender": self._senders}

    async def _receive(self, peer: RTCPeerConnection, track: MediaStreamTrack) -> None:
        """Keep the newest frame of a browser's track while it is the sender's."""
        try:
            while True:
                frame = await track.recv()
                if peer is not self._sender:
                    return
                if not isinstance(frame, av.VideoFrame):
                    continue
                with self._condition:
                    self._frame, self._sending = frame, True
                    self._received += 1
                    self._condition.notify_all()
        except MediaStreamError:  # the track ended: the browser stopped, or the peer closed
            pass
        finally:
            if peer is self._sender:
                with self._condition:
                    self._sending = False
                    self._condition.notify_all()


class ReceivedVideo:
    """The Source the capture thread reads: the newest frame a browser sent, as BGR."""

    pace = None  # the browser paces the frames

    def __init__(self, received: WebRTCInput, size: tuple[int, int] | None, seen: int) -> None:
        self.description = received.description
        self._received = received
        self._size = size
        self._opened = self._seen = seen  # frames received before this view: never returned

    def read(self) -> np.ndarray:
        frame, seen = self._received.wait_newer(self._seen, returned_any=self._seen > self._opened)
        self._seen = seen
        image: np.ndarray = frame.to_ndarray(format="bgr24")
        if self._size and (image.shape[1], image.shape[0]) != self._size:
            return cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
        return image

    def close(self) -> None:
        pass
