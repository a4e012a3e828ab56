"""The signalling: POST /webrtc/output and POST /webrtc/input take a browser's SDP offer as
JSON ({"type": "offer", "sdp": "..."}) and answer with the server's, in the same form (the
input's answer also names the sender: "sender", a number that /stats shows while it is the
one that sends). They need neither aiortc nor PyAV to be imported (the objects that answer
do)."""

from __future__ import annotations

from typing import Protocol

from flask import Flask, Response, abort, jsonify, request

MAX_OFFER_BYTES = 64 * 1024  # a browser's offer is a few kB
NO_OUTPUT = "no WebRTC output: start the app with --output webrtc://@:8554/output"
NO_INPUT = "no WebRTC input: start the app with --input webrtc://@:8554/input"


class Answerer(Protocol):
    def answer(self, offer: str, address: str) -> dict[str, object]: ...


def add_signalling(app: Flask, output: Answerer | None, received: Answerer | None) -> None:
    """The two signalling routes; each a 404 with what to do when its side is off."""

    @app.post("/webrtc/output")
    def webrtc_output() -> Response:
        return answer_offer(output, NO_OUTPUT)

    @app.post("/webrtc/input")
    def webrtc_input() -> Response:
        return answer_offer(received, NO_INPUT)


def answer_offer(answerer: Answerer | None, missing: str) -> Response:
    """Answer the request's offer, or a JSON error: 404 if this side is off, 400 for an
    offer that cannot be answered, 504 when answering takes too long."""
    if answerer is None:
        abort(404, missing)
    from webrtc.peers import OfferError  # answerer exists: aiortc is installed

    if (request.content_length or 0) > MAX_OFFER_BYTES:
        abort(400, f"the offer is over {MAX_OFFER_BYTES} bytes")
    offer = request.get_json(force=True, silent=True)  # any Content-Type, as the settings
    if not isinstance(offer, dict) or offer.get("type") != "offer" or not offer.get("sdp"):
        abort(400, 'expected JSON {"type": "offer", "sdp": "..."}')
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        abort(501, "WebRTC signalling needs werkzeug's server (python app.py)")
    try:
        return jsonify(answerer.answer(str(offer["sdp"]), sock.getsockname()[0]))
    except OfferError as error:
        abort(400, str(error))
    except TimeoutError:
        abort(504, "the answer took too long (ICE gathering)")
