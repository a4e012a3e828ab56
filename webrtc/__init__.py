"""WebRTC on a PC, with aiortc: `--output webrtc://...` (the page plays the annotated video in a
<video>) and `--input webrtc://...` (the networks run on a browser's camera). Signalling goes
over the app's own HTTP port (routes.py). On a Jetson, jetson-utils' own WebRTC server takes
both URIs instead (outputs.JetsonOutput, sources.JetsonSource), and nothing here runs.

aiortc and PyAV are optional (requirements-webrtc.txt): this module imports neither. They are
imported when WebRTC is asked for, and their absence is then a one-line error saying what to
install; the MJPEG and WebSocket video need neither.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from outputs import OutputError

if TYPE_CHECKING:
    from webrtc.input import WebRTCInput
    from webrtc.loop import LoopThread
    from webrtc.output import WebRTCOutput

DEFAULT_BITRATE = 4_000_000  # jetson-utils' default for its compressed streams
CODECS = {None: ("H264", "VP8"), "h264": ("H264",), "vp8": ("VP8",)}  # --output-codec
INSTALL = "pip install -r requirements-webrtc.txt"


class WebRTCUnavailable(Exception):
    """WebRTC was asked for and aiortc or PyAV is not installed; one line for the user."""


def is_webrtc(uri: str | None) -> bool:
    return bool(uri) and urlparse(uri or "").scheme.lower() == "webrtc"


def require_aiortc(asked: str) -> None:
    """WebRTCUnavailable, naming what `asked` for WebRTC, unless aiortc and PyAV import."""
    for module in ("av", "aiortc"):
        try:
            importlib.import_module(module)
        except ImportError:
            raise WebRTCUnavailable(
                f"{asked}: WebRTC here needs aiortc and PyAV, and {module} is not installed: "
                f"{INSTALL}"
            ) from None


@dataclass
class WebRTC:
    """The app's WebRTC side: aiortc's event loop, and the output and input asked for."""

    loop: LoopThread
    output: WebRTCOutput | None
    input: WebRTCInput | None

    def stats(self) -> dict[str, Any]:
        return {
            "output": self.output.stats() if self.output else None,
            "input": self.input.stats() if self.input else None,
        }

    def close(self) -> None:
        """Close the input (its readers wake), the output's peers, and the loop."""
        if self.input is not None:
            self.input.close()
        if self.output is not None:
            self.output.close()
        self.loop.close()


def open_webrtc(
    output_uri: str | None,
    input_uri: str | None,
    *,
    bitrate: int | None = None,
    codec: str | None = None,
    stun_server: str | None = None,
) -> WebRTC | None:
    """The WebRTC output and input these URIs ask for (each None unless a webrtc:// URI),
    or None if neither is; WebRTCUnavailable without aiortc, OutputError for a codec that
    WebRTC does not send here."""
    output_uri = output_uri if is_webrtc(output_uri) else None
    input_uri = input_uri if is_webrtc(input_uri) else None
    if not output_uri and not input_uri:
        return None
    require_aiortc(f"--output {output_uri}" if output_uri else f"--input {input_uri}")
    if output_uri and codec not in CODECS:
        raise OutputError(f"--output-codec {codec}: WebRTC here sends h264 or vp8")
    from webrtc.input import WebRTCInput
    from webrtc.loop import LoopThread
    from webrtc.output import WebRTCOutput

    loop = LoopThread()
    output = None
    if output_uri:
        output = WebRTCOutput(
            output_uri,
            loop,
            bitrate=bitrate or DEFAULT_BITRATE,
            codecs=CODECS[codec],
            stun_server=stun_server,
        )
    received = WebRTCInput(input_uri, loop, stun_server) if input_uri else None
    return WebRTC(loop, output, received)
