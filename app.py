"""The dashboard's web app and command line: `python app.py --help`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import ssl
import sys
import threading
from collections.abc import Sequence
from typing import Any

from flask import Flask, Response, abort, jsonify, render_template, request
from flask_bootstrap import Bootstrap5
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Response as WerkzeugResponse

import quiet
from catalogue import (
    CUSTOM_ONNX_BACKENDS,
    Catalogue,
    CustomOptions,
    ModelError,
    describe,
    is_model_file,
)
from mjpeg import CONTENT_TYPE
from model import NETWORK_TYPES, ModelSlot
from networks import create_slot
from outputs import NotHere, Output, OutputError, open_output
from priority import at_network_priority
from sources import FLIP_METHODS, InputSpec, JetsonSource, Source, SourceError, open_source
from stream import DEFAULT_NETWORK_MODE, NETWORK_MODES, Pipeline
from utils import MAX_BODY_BYTES, InvalidValue, ReadOnly

log = logging.getLogger("dashboard")
# How long a thread may hold the GIL while others wait (Python's default: 5 ms). The network
# threads keep it busy; a request's thread takes it back after each socket call, so at 5 ms a
# PUT could wait several times that (bench/settings.py).
GIL_SWITCH_INTERVAL_S = 0.001
MAX_JPEG_SIDE = 65500  # libjpeg's limit
# Values jetson-utils' videoOptions knows (case does not matter there, nor here).
CODECS = ("raw", "h264", "h265", "vp8", "vp9", "mpeg2", "mpeg4", "mjpeg")
CODEC_ENGINES = ("cpu", "omx", "v4l2", "nvenc", "nvdec")
FLIP_NAMES = {"horizontal-flip": "horizontal", "vertical-flip": "vertical"}  # also its names
# jetson-utils' logging levels -> Python's (its "verbose" is its default, like INFO here)
LOG_LEVELS = {
    "silent": logging.CRITICAL + 1,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "success": logging.INFO,
    "info": logging.INFO,
    "verbose": logging.INFO,
    "debug": logging.DEBUG,
}
# jetson-utils' options that set its GStreamer and WebRTC pipelines, which have no counterpart
# here (README, "Command line"). The input's go to jetson_utils.videoSource where it opens the
# input; otherwise, like the output's, they get a one-line warning.
JETSON_INPUT_OPTIONS = ("input_codec", "input_decoder", "input_latency", "num_buffers")
JETSON_OUTPUT_OPTIONS = (
    "output_encoder",
    "output_width",
    "output_height",
    "output_flip",
    "output_latency",
    "bitrate",
    "stun_server",
)
DEFAULT_OUTPUT_RATE = 30.0  # a video file's frame rate when neither flags nor input say


def create_app(pipeline: Pipeline, title: str = "DNN Dashboard") -> Flask:
    """The Flask app: the page, the MJPEG stream, snapshots, stats and the live settings."""
    app = Flask(__name__)
    app.config["BOOTSTRAP_SERVE_LOCAL"] = True  # the page works with no internet
    Bootstrap5(app)
    settings = pipeline.settings

    @app.get("/")
    def index() -> str:
        return render_template(
            "index.html", title=title, groups=settings.groups(), networks=list(pipeline.networks)
        )

    @app.get("/video_feed")
    def video_feed() -> Response:
        sock = request.environ.get("werkzeug.socket")
        if sock is None:
            abort(501, "/video_feed needs werkzeug's server (python app.py)")
        return Response(
            pipeline.broadcaster.parts_for_viewer(sock),
            content_type=CONTENT_TYPE,
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @app.get("/snapshot.jpg")
    def snapshot() -> Response:
        frame = pipeline.broadcaster.latest
        if frame is None:
            abort(503, "no frame yet")
        return Response(
            frame.jpeg,
            content_type="image/jpeg",
            headers={
                "Cache-Control": "no-store",
                "X-Frame-Index": str(frame.index),
                "X-Timestamp": f"{frame.timestamp:.6f}",
            },
        )

    @app.get("/stats")
    def stats() -> Response:
        return jsonify(pipeline.stats())

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok", "source": pipeline.capture.state})

    @app.get("/results")
    def all_results() -> Response:
        return results_response(pipeline, pipeline.results())

    @app.get("/<network_type>/results")
    def network_results(network_type: str) -> Response:
        results = pipeline.results()
        if network_type not in results:
            abort(
                404, f"no {network_type} network is loaded; loaded: {', '.join(results) or 'none'}"
            )
        return results_response(pipeline, results[network_type])

    @app.get("/api/properties")
    def properties() -> Response:
        return jsonify([prop.describe() for prop in settings])

    @app.route("/<group>/<name>", methods=["GET", "PUT"])
    def setting(group: str, name: str) -> Response:
        path = f"/{group}/{name}"
        prop = settings.get(path)
        if prop is None and request.method == "PUT" and served_to_get(app, path):
            raise MethodNotAllowed(["GET", "HEAD"], f"{path} is read-only")
        if prop is None:
            abort(404, f"no setting {path}; GET /api/properties lists them")
        if request.method == "GET":
            return jsonify(prop.getter())
        try:
            return jsonify(settings.put(path, read_body(MAX_BODY_BYTES)))
        except ReadOnly as error:
            raise MethodNotAllowed(["GET", "HEAD"], str(error)) from None
        except InvalidValue as error:
            abort(400, str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> WerkzeugResponse:
        response = error.get_response()
        response.data = json.dumps({"error": error.description})
        response.content_type = "application/json"
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[Response, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return jsonify({"error": f"internal error: {type(error).__name__}"}), 500

    return app


def results_response(pipeline: Pipeline, results: Any) -> Response:
    """Results as JSON, with the index of the frame shown in X-Frame-Index: a result's `frame`
    against it says how old the result is."""
    response = jsonify(results)
    shown = pipeline.shown_frame()
    if shown is not None:
        response.headers["X-Frame-Index"] = str(shown)
    return response


def served_to_get(app: Flask, path: str) -> bool:
    """Whether a route other than the settings' answers GET at `path` (/api/properties,
    /<type>/results...), so that a PUT there is a 405, not a 404."""
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return False
    return endpoint != "setting"


def read_body(limit: int) -> bytes:
    """The request body, or a 400 if it is larger than `limit` bytes."""
    if (request.content_length or 0) > limit:
        abort(400, f"the body is over {limit} bytes")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        abort(400, f"the body is over {limit} bytes")
    return body


class StreamingRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, answering in HTTP/1.0.

    Werkzeug closes every connection after one response anyway, so HTTP/1.1 buys nothing
    here; HTTP/1.0 spares each MJPEG part the chunked framing (three extra writes).
    """

    protocol_version = "HTTP/1.0"
    timeout = 30  # seconds a client may take to send its request (or to take a response)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if logging.getLogger("werkzeug").isEnabledFor(logging.DEBUG):
            super().log_request(code, size)


class StreamingServer(ThreadedWSGIServer):
    """Werkzeug's thread-per-connection server (a viewer never waits for a slot in a fixed
    pool), with a listen queue long enough for a burst of hundreds of viewers."""

    request_queue_size = 1024


def server_ssl_context(cert: str, key: str) -> ssl.SSLContext:
    """A TLS server context with this certificate and key; OSError (ssl.SSLError) if bad."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def make_http_server(
    app: Flask, host: str, port: int, ssl_context: ssl.SSLContext | None = None
) -> StreamingServer:
    server = StreamingServer(host, port, app, StreamingRequestHandler, ssl_context=ssl_context)
    if ssl_context:
        # The TLS handshake would otherwise run in accept(), on the one thread that accepts
        # every connection: a client that connects and says nothing would stop the server.
        # It runs in the connection's own thread instead, within the handler's timeout.
        # An attribute of ssl.SSLSocket that typeshed does not declare.
        server.socket.do_handshake_on_connect = False  # type: ignore[attr-defined]
    return server


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Live video dashboard: runs DNNs on a camera stream and serves it as MJPEG "
        "with a REST control panel. Takes the command line of jetson-inference's Flask example "
        "(python/www/flask/app.py) and jetson-utils' video options; those that mean nothing "
        "on this machine are accepted with a one-line warning."
    )
    source = parser.add_argument_group("input (as jetson-utils' videoSource)")
    source.add_argument(
        "--input",
        default="test://",
        metavar="URI",
        help="test:// (a moving test pattern, the default), /dev/videoN, "
        "v4l2:///dev/videoN, csi://N, rtsp://..., http(s)://..., a video "
        "file, an image, a folder or a glob of images",
    )
    source.add_argument("--input-width", type=int, metavar="PX", help="frame width")
    source.add_argument("--input-height", type=int, metavar="PX", help="frame height")
    source.add_argument(
        "--input-rate",
        type=float,
        metavar="FPS",
        help="frame rate (images: slideshow rate, default 1)",
    )
    source.add_argument(
        "--input-loop",
        type=int,
        metavar="N",
        help="files: 0 play once (default), N loop N more times, -1 forever",
    )
    source.add_argument(
        "--input-flip",
        "--input-flip-method",
        type=flip_method,
        choices=FLIP_METHODS,
        metavar="METHOD",
        help=f"flip or rotate the input: {', '.join(FLIP_METHODS)}",
    )
    source.add_argument(
        "--input-save",
        metavar="FILE",
        help="also write the captured video to this video file (.mp4, .avi, .mkv...)",
    )
    source.add_argument(
        "--input-codec",
        type=str.lower,
        choices=CODECS,
        metavar="CODEC",
        help=f"codec of an RTP input: {', '.join(CODECS)} (jetson-utils only)",
    )
    source.add_argument(
        "--input-decoder",
        type=str.lower,
        choices=CODEC_ENGINES,
        metavar="TYPE",
        help=f"decoder engine: {', '.join(CODEC_ENGINES)} (jetson-utils only)",
    )
    source.add_argument(
        "--input-latency",
        "--input-rtsp-latency",
        type=int,
        metavar="MS",
        help="jitter buffer of an RTSP/WebRTC input (jetson-utils only)",
    )
    output = parser.add_argument_group(
        "output (as jetson-utils' videoOutput)",
        "the video is always served as MJPEG on /video_feed; these add a copy of it",
    )
    output.add_argument(
        "--output",
        metavar="URI",
        help="also write the annotated video here: a video file (.mp4, .avi, .mkv, .webm...), "
        "images (frame-%%i.jpg, a folder). webrtc://, rtp://, rtsp://, display:// need "
        "jetson-utils on a Jetson: warned about and left out",
    )
    output.add_argument(
        "--output-save",
        metavar="FILE",
        help="also write the annotated video to this video file",
    )
    output.add_argument(
        "--output-codec",
        "--codec",
        type=str.lower,
        choices=CODECS,
        metavar="CODEC",
        help=f"codec of the video files written: {', '.join(CODECS)}; mpeg4, mjpeg, vp8, vp9 "
        "here (default: the file's usual one)",
    )
    output.add_argument(
        "--output-rate",
        type=float,
        metavar="FPS",
        help="frame rate of the video files written (default: the input's)",
    )
    output.add_argument(
        "--output-encoder",
        type=str.lower,
        choices=CODEC_ENGINES,
        metavar="TYPE",
        help=f"encoder engine: {', '.join(CODEC_ENGINES)} (jetson-utils only)",
    )
    output.add_argument("--output-width", type=int, metavar="PX", help="(jetson-utils only)")
    output.add_argument("--output-height", type=int, metavar="PX", help="(jetson-utils only)")
    output.add_argument(
        "--output-flip",
        "--output-flip-method",
        type=flip_method,
        choices=FLIP_METHODS,
        metavar="METHOD",
        help="(jetson-utils only)",
    )
    output.add_argument("--output-latency", type=int, metavar="MS", help="(jetson-utils only)")
    output.add_argument(
        "--bitrate",
        type=int,
        metavar="BPS",
        help="bit rate of a compressed stream (jetson-utils only)",
    )
    output.add_argument(
        "--stun-server", metavar="URL", help="WebRTC STUN server (jetson-utils only)"
    )
    output.add_argument(
        "--headless",
        "--no-display",
        action="store_true",
        help="open no window (this dashboard never does)",
    )
    both = parser.add_argument_group(
        "jetson-utils' options for input and output",
        "each stands for the --input-... option when that is not given",
    )
    both.add_argument("--width", type=int, metavar="PX", help="frame width")
    both.add_argument("--height", type=int, metavar="PX", help="frame height")
    both.add_argument(
        "--framerate", type=float, metavar="FPS", help="frame rate (also of video files written)"
    )
    both.add_argument("--loop", type=int, metavar="N", help="as --input-loop")
    both.add_argument(
        "--flip-method",
        type=flip_method,
        choices=FLIP_METHODS,
        metavar="METHOD",
        help="as --input-flip",
    )
    both.add_argument("--num-buffers", type=int, metavar="N", help="(jetson-utils only)")
    server = parser.add_argument_group("server")
    server.add_argument("--host", default="0.0.0.0", help="interface to listen on")
    server.add_argument("--port", type=int, default=8050, help="port to listen on")
    server.add_argument("--title", default="DNN Dashboard", help="the page's title")
    server.add_argument(
        "--ssl-cert",
        default=os.environ.get("SSL_CERT") or None,
        metavar="PEM",
        help="certificate; HTTPS with --ssl-key (default: $SSL_CERT)",
    )
    server.add_argument(
        "--ssl-key",
        default=os.environ.get("SSL_KEY") or None,
        metavar="PEM",
        help="private key; HTTPS with --ssl-cert (default: $SSL_KEY)",
    )
    server.add_argument(
        "--jpeg-quality",
        type=int,
        default=80,
        choices=range(1, 101),
        metavar="1-100",
        help="JPEG quality of the stream (default 80)",
    )
    server.add_argument(
        "--network-mode",
        choices=NETWORK_MODES,
        default=DEFAULT_NETWORK_MODE,
        help="async (default): the video keeps the input's rate and each "
        "network runs at its own; sync: every frame waits for every "
        "network (also live: /stream/network_mode)",
    )
    server.add_argument(
        "--verbose",
        action="store_true",
        help="log every request, and show the runtimes' own console output",
    )
    server.add_argument(
        "--log-level",
        type=str.lower,
        choices=tuple(LOG_LEVELS),
        metavar="LEVEL",
        help=f"the least a log line must be to show: {', '.join(LOG_LEVELS)} (default info)",
    )
    server.add_argument("--debug", action="store_true", help="as --log-level debug")
    server.add_argument("--log-file", metavar="FILE", help="write the log here, not to stderr")
    networks = parser.add_argument_group(
        "networks",
        "each flag alone loads the type's default network; NAME is a catalogue name "
        "or alias, jetson-inference's included (see --list-models), or a path to your own "
        ".onnx/.tflite file",
    )
    for network_type in NETWORK_TYPES:
        networks.add_argument(
            f"--{network_type}",
            nargs="?",
            const="",
            metavar="NAME|PATH",
            help=f"load a {network_type} network",
        )
    networks.add_argument(
        "--list-models",
        action="store_true",
        help="list the catalogue and what runs on this machine, then exit",
    )
    custom = parser.add_argument_group("your own model files")
    custom.add_argument(
        "--labels",
        metavar="TXT",
        help="labels of your own model file, one per line (as --classification-labels or "
        "--detection-labels, for the one model file given)",
    )
    custom.add_argument(
        "--colors",
        metavar="TXT",
        help="class colours of your own detection model, 'r g b' per line",
    )
    custom.add_argument(
        "--input-layer", metavar="NAME", help="input layer name (jetson-inference only)"
    )
    custom.add_argument(
        "--output-layer", metavar="NAMES", help="output layer names (jetson-inference only)"
    )
    for network_type in CUSTOM_ONNX_BACKENDS:  # the types that take a user's own file
        custom.add_argument(
            f"--{network_type}-labels",
            metavar="TXT",
            help=f"labels of a custom {network_type} model, one per line",
        )
        custom.add_argument(
            f"--{network_type}-input-size",
            type=parse_size,
            metavar="WxH",
            help=f"input size of a custom {network_type} model",
        )
    custom.add_argument(
        "--detection-format",
        choices=tuple(CUSTOM_ONNX_BACKENDS["detection"]),
        help="output layout of a custom ONNX detector (default "
        f"{next(iter(CUSTOM_ONNX_BACKENDS['detection']))})",
    )
    return parser


def flip_method(text: str) -> str:
    """An --input-flip value as jetson-utils reads it: any case, 'horizontal-flip' too."""
    return FLIP_NAMES.get(text.lower(), text.lower())


def parse_size(text: str) -> tuple[int, int]:
    """'320x240' -> (320, 240), for argparse."""
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0):
        raise argparse.ArgumentTypeError(f"'{text}' is not a size like 320x240")
    return int(width), int(height)


def load_networks(
    args: argparse.Namespace, options: dict[str, CustomOptions] | None = None
) -> list[ModelSlot]:
    """A loaded ModelSlot per network flag given; ModelError if one cannot be loaded."""
    catalogue = Catalogue()
    options = options or custom_options(args)
    slots = []
    for network_type in NETWORK_TYPES:
        spec = getattr(args, network_type)
        if spec is None:
            continue
        slots.append(create_slot(catalogue, network_type, spec, options[network_type]))
        log.info("%s: %s loaded", network_type, slots[-1].network)
    return slots


def custom_options(args: argparse.Namespace) -> dict[str, CustomOptions]:
    """What each type's own model file is told: its --<type>-... flags, and the original's
    --labels and --colors, which go to the one model file given. A warning for each of those
    that has no effect; ModelError if --labels could mean either of two files."""
    own = [t for t in NETWORK_TYPES if is_model_file(getattr(args, t))]
    labels = {t: getattr(args, f"{t}_labels", None) for t in NETWORK_TYPES}
    colors: dict[str, str] = {}
    if args.labels and not own:
        log.warning(
            "--labels has no effect: it is for your own model file, and no network flag "
            "names one (catalogue networks bring their own labels)"
        )
    elif args.labels and len(own) > 1:
        raise ModelError(
            f"--labels: {' and '.join(f'--{t}' for t in own)} both name a model file of your "
            f"own; label each with {' and '.join(f'--{t}-labels' for t in own)}"
        )
    elif args.labels and labels[own[0]]:
        raise ModelError(f"--labels and --{own[0]}-labels both label {getattr(args, own[0])}")
    elif args.labels:
        labels[own[0]] = args.labels
    if args.colors and "detection" in own:
        colors["detection"] = args.colors
    elif args.colors:
        log.warning(
            "--colors has no effect: it colours the classes of your own detection model "
            "file, and --detection names none"
        )
    layers = [flag for flag in ("input_layer", "output_layer") if getattr(args, flag)]
    if layers:
        log.warning(
            "%s: no effect here: %s TensorRT layers of a model for jetson-inference, and your "
            "own model files run on onnxruntime or MediaPipe",
            ", ".join(f"--{flag.replace('_', '-')}" for flag in layers),
            "it names" if len(layers) == 1 else "they name",
        )
    return {
        network_type: CustomOptions(
            labels[network_type],
            getattr(args, f"{network_type}_input_size", None),
            getattr(args, f"{network_type}_format", None),
            colors.get(network_type),
        )
        for network_type in NETWORK_TYPES
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, checked, each jetson-utils option for input and output (--width...)
    folded into its --input-... option."""
    parser = build_parser()
    args = parser.parse_args(argv)
    positive = ("input_width", "input_height", "input_rate", "width", "height", "framerate")
    for name in (*positive, "output_rate", "output_width", "output_height"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    for name in ("input_latency", "output_latency", "bitrate", "num_buffers"):
        if (getattr(args, name) or 0) < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative")
    if bool(args.ssl_cert) != bool(args.ssl_key):
        parser.error("--ssl-cert and --ssl-key go together (also as $SSL_CERT and $SSL_KEY)")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be from 0 to 65535")
    args.input_width = args.input_width or args.width
    args.input_height = args.input_height or args.height
    args.input_rate = args.input_rate or args.framerate
    args.input_loop = next((n for n in (args.input_loop, args.loop) if n is not None), 0)
    args.input_flip = args.input_flip or args.flip_method or "none"
    for name in ("input_width", "input_height"):
        if (getattr(args, name) or 0) > MAX_JPEG_SIDE:
            parser.error(
                f"--{name.replace('_', '-')} must be at most {MAX_JPEG_SIDE} "
                "(the largest side a JPEG can have)"
            )
    return args


def input_spec(args: argparse.Namespace) -> InputSpec:
    return InputSpec(
        uri=args.input,
        width=args.input_width,
        height=args.input_height,
        rate=args.input_rate,
        loop=args.input_loop,
        flip=args.input_flip,
        jetson_options=tuple(
            f"--{name.replace('_', '-')}={getattr(args, name)}"
            for name in JETSON_INPUT_OPTIONS
            if getattr(args, name) is not None
        ),
    )


def open_outputs(args: argparse.Namespace, spec: InputSpec, source: Source) -> list[Output]:
    """The outputs --output, --output-save and --input-save ask for. A stream or display
    --output is warned about and left out; OutputError if a file cannot be written."""
    rate = args.output_rate or args.framerate or spec.rate or source.pace or DEFAULT_OUTPUT_RATE
    outputs = []
    asked = (("--output", args.output), ("--output-save", args.output_save))
    for flag, uri in (*asked, ("--input-save", args.input_save)):
        if not uri:
            continue
        try:
            raw = flag == "--input-save"  # the captured video, not the annotated one
            outputs.append(open_output(uri, rate, args.output_codec, raw, flag))
        except NotHere as error:
            if flag != "--output":  # jetson-utils wants a file here too
                raise OutputError(f"{flag} {uri}: must be a file") from None
            log.warning("%s", error)
    return outputs


def warn_jetson_only(args: argparse.Namespace, source: Source, outputs: list[Output]) -> None:
    """One line naming the jetson-utils options given that have no effect here."""
    names = list(JETSON_OUTPUT_OPTIONS)
    if not isinstance(source, JetsonSource):  # jetson_utils.videoSource takes the input's
        names += JETSON_INPUT_OPTIONS
    if not outputs:
        names += ["output_codec", "output_rate"]
    given = [f"--{name.replace('_', '-')}" for name in names if getattr(args, name) is not None]
    if given:
        log.warning(
            "%s: no effect here: %s for jetson-utils' video pipelines on a Jetson",
            ", ".join(given),
            "it is" if len(given) == 1 else "they are",
        )


def run(args: argparse.Namespace) -> int:
    """Start the pipeline and the server; return the exit code when stopped by a signal.
    ModelError if the catalogue, or a network asked for, cannot be loaded."""
    if args.list_models:
        print(describe(Catalogue()))
        return 0
    spec = input_spec(args)
    try:
        ssl_context = server_ssl_context(args.ssl_cert, args.ssl_key) if args.ssl_cert else None
    except OSError as error:
        print(f"error: --ssl-cert/--ssl-key: {error}", file=sys.stderr)
        return 2
    options = custom_options(args)
    networks = at_network_priority(lambda: load_networks(args, options))
    try:
        source = open_source(spec)
    except SourceError as error:
        print(f"error: input {error}", file=sys.stderr)
        return 2
    try:
        outputs = open_outputs(args, spec, source)
    except OutputError as error:
        source.close()
        print(f"error: {error}", file=sys.stderr)
        return 2
    warn_jetson_only(args, source, outputs)
    pipeline = Pipeline(
        source,
        lambda: open_source(spec),
        jpeg_quality=args.jpeg_quality,
        networks=networks,
        network_mode=args.network_mode,
        outputs=outputs,
    )
    try:
        server = make_http_server(
            create_app(pipeline, args.title), args.host, args.port, ssl_context
        )
    except (OSError, SystemExit) as error:
        source.close()
        for output in outputs:
            output.close()
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    pipeline.start()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    serving = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    serving.start()
    scheme = "https" if args.ssl_cert else "http"
    shown_host = "localhost" if args.host in ("0.0.0.0", "::") else args.host
    log.info("serving %s on %s://%s:%d", source.description, scheme, shown_host, server.server_port)
    for output in outputs:
        log.info("writing %s", output.description)
    stop.wait()
    log.info("stopping")
    pipeline.stop()
    server.shutdown()
    server.server_close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    quiet.start(args.verbose)
    level = LOG_LEVELS["debug" if args.debug else args.log_level or "info"]
    try:
        logging.basicConfig(
            level=level, format="%(asctime)s %(levelname)s %(message)s", filename=args.log_file
        )
    except OSError as error:
        print(f"error: --log-file: {error}", file=sys.stderr)
        return 2
    logging.getLogger("werkzeug").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    try:
        return run(args)
    except ModelError as error:  # --list-models and loading networks alike
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
