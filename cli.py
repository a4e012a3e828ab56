"""The command line: NVIDIA's example's flags, jetson-utils' video options, and what each
means here (README, "Command line"). `python app.py --help` prints it."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
from collections.abc import Callable, Sequence

from cameras import CameraSpec, from_inputs, read_cameras_file
from catalogue import (
    CUSTOM_ONNX_BACKENDS,
    CustomOptions,
    ModelError,
    is_model_file,
)
from model import NETWORK_TYPES
from outputs import JetsonOutput, NotHere, Output, OutputError, open_output
from proxy import proxy_network
from server import MAX_CONNECTIONS_CEILING, ServerLimits
from sources import (
    FLIP_METHODS,
    HELD_IMAGE_RATE,
    SLIDESHOW_RATE,
    InputSpec,
    JetsonSource,
    Source,
    import_jetson_utils,
    open_source,
    with_flip,
)
from stream import DEFAULT_NETWORK_MODE, NETWORK_MODES
from webrtc import WebRTC, open_webrtc

log = logging.getLogger("dashboard")
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
DEFAULT_OUTPUT_RATE = 30.0
# seconds without a viewer before a camera frees its input (README, "Several cameras")
DEFAULT_IDLE_STOP_S = 60.0  # a video file's frame rate when neither flags nor input say


class DefaultsShown(argparse.HelpFormatter):
    """--help says each flag's default, where it has one and its help does not say it yet."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text:
            return text
        return f"{text} (default: %(default)s)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Live video dashboard: runs DNNs on a camera stream and serves it as MJPEG "
        "with a REST control panel. Takes the command line of jetson-inference's Flask example "
        "(python/www/flask/app.py) and jetson-utils' video options; those that mean nothing "
        "on this machine are accepted with a one-line warning.",
        formatter_class=DefaultsShown,
    )
    source = parser.add_argument_group("input (as jetson-utils' videoSource)")
    source.add_argument(
        "--input",
        dest="inputs",
        action="append",
        metavar="URI",
        help="test:// (a moving test pattern, the default), /dev/videoN, "
        "v4l2:///dev/videoN, csi://N, rtsp://..., http(s)://..., a video "
        "file, an image, a folder or a glob of images, webrtc://@:8554/input (a browser's "
        "camera: Send on the page). Repeat it for several cameras (camera1, camera2...), "
        "which the other input options apply to alike",
    )
    source.add_argument(
        "--cameras",
        metavar="TOML",
        help="a cameras file: a name and input options per camera (README, 'Several "
        "cameras'); instead of --input",
    )
    source.add_argument(
        "--idle-stop",
        type=float,
        default=DEFAULT_IDLE_STOP_S,
        metavar="SECONDS",
        help="a camera nobody has watched for this long (no viewer, snapshot or results "
        "request) closes its input and pauses its networks until someone does; 0: never "
        f"(default {DEFAULT_IDLE_STOP_S:g}; never for a camera with an --output)",
    )
    source.add_argument(
        "--input-width",
        type=int,
        metavar="PX",
        help="frame width: asked of a camera; a video file or image is resized to it (with "
        "--input-height); default: the input's own, 640 for the test pattern",
    )
    source.add_argument(
        "--input-height",
        type=int,
        metavar="PX",
        help="frame height (as --input-width); default: the input's own, 480 for the test pattern",
    )
    source.add_argument(
        "--input-rate",
        type=float,
        metavar="FPS",
        help=f"frame rate; default: a camera's or a file's own, 30 for the test pattern; a "
        f"single image is processed again at {HELD_IMAGE_RATE:g} fps; a folder or glob of "
        f"images: the slideshow rate, default {SLIDESHOW_RATE:g}",
    )
    source.add_argument(
        "--input-loop",
        type=int,
        metavar="N",
        help="at the end of a file: 0 play once, N loop N more times, -1 forever. Default: "
        "a single image is held (-1: processed again and again, like a paused frame); a video "
        "file, a folder or a glob of images plays once, then the page shows its last frame, "
        "marked offline",
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
        "images (frame-%%i.jpg, a folder), webrtc://@:8554/output (the page plays it). "
        "rtp://, rtsp://, display:// need jetson-utils on a Jetson: warned about and left out",
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
        "here (default: the file's usual one); of WebRTC: h264 or vp8 (default: the first "
        "of these the browser takes)",
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
        help="bit rate of a compressed stream: WebRTC, and jetson-utils' (default 4000000)",
    )
    output.add_argument(
        "--stun-server",
        metavar="HOST:PORT",
        help="WebRTC STUN server (default on a PC: none, so WebRTC reaches no further than "
        "the LAN; on a Jetson, jetson-utils' own)",
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
    server.add_argument(
        "--host",
        default="0.0.0.0",
        help="interface to listen on; 0.0.0.0: every interface (anyone on the network can open "
        "the page: see --auth), 127.0.0.1: this machine only, unix:///PATH: a UNIX socket (for "
        "a proxy in front)",
    )
    server.add_argument("--port", type=int, default=8050, help="port to listen on")
    server.add_argument("--title", default="DNN Dashboard", help="the page's title")
    limits = ServerLimits  # the defaults (README, "Hold up under abuse")
    for flag, kind, default, metavar, text in (
        ("--max-connections", int, None, "N", "connections served at once; past it, a 503 "
         "(default: what the file descriptor limit leaves after a reserve of an eighth, at "
         f"most {MAX_CONNECTIONS_CEILING})"),
        ("--max-connections-per-client", int, limits.max_connections_per_client, "N",
         "connections served at once from one address; past it, a 503 "
         f"(default {limits.max_connections_per_client})"),
        ("--request-timeout", float, limits.request_timeout_s, "SECONDS",
         "a connection whose request (head and body) has not all come this long after it "
         f"opened is closed (default {limits.request_timeout_s:g})"),
    ):  # fmt: skip
        server.add_argument(flag, type=kind, default=default, metavar=metavar, help=text)
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
        "--auth",
        metavar="FILE",
        help="users and their roles (viewer, operator), made with `python -m auth FILE NAME`; "
        "without it anyone who reaches the port may change settings",
    )
    server.add_argument(
        "--allowed-hosts",
        metavar="NAMES",
        help="comma-separated host names and addresses the page may be reached by (the Host "
        "header); '*' for any (default: localhost, this machine's addresses and host name)",
    )
    server.add_argument(
        "--trusted-proxy",
        action="append",
        type=proxy_network,
        metavar="ADDRESS",
        help="a reverse proxy's address or network, or 'unix' for the peers of --host "
        "unix:///PATH (repeat for several): its X-Forwarded-For, -Proto, -Host, -Port and "
        "-Prefix are believed, anyone else's dropped (default: none believed)",
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
        help="log every request (but the page's polls: see --log-polls), and show the "
        "runtimes' own console output",
    )
    server.add_argument(
        "--log-polls",
        action="store_true",
        help="with --verbose, also log what the page polls every second (/stats, /results, "
        "/api/properties, /cameras)",
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
    if args.cameras and args.inputs:
        parser.error("--cameras and --input exclude each other: list every camera in the file")
    args.inputs = args.inputs or ["test://"]
    args.input = args.inputs[0]
    if args.idle_stop < 0:
        parser.error("--idle-stop must not be negative")
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
    for name in ("max_connections", "max_connections_per_client", "request_timeout"):
        if getattr(args, name) is not None and getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be from 0 to 65535")
    args.input_width = args.input_width or args.width
    args.input_height = args.input_height or args.height
    args.input_rate = args.input_rate or args.framerate
    args.input_loop = next((n for n in (args.input_loop, args.loop) if n is not None), None)
    args.input_flip = args.input_flip or args.flip_method or "none"
    for name in ("input_width", "input_height"):
        if (getattr(args, name) or 0) > MAX_JPEG_SIDE:
            parser.error(
                f"--{name.replace('_', '-')} must be at most {MAX_JPEG_SIDE} "
                "(the largest side a JPEG can have)"
            )
    return args


def server_limits(args: argparse.Namespace) -> ServerLimits:
    """The server's limits, as the flags set them."""
    chosen = ServerLimits(
        max_connections_per_client=args.max_connections_per_client,
        request_timeout_s=args.request_timeout,
    )
    if args.max_connections is None:
        return chosen
    return dataclasses.replace(chosen, max_connections=args.max_connections)


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


def camera_specs(args: argparse.Namespace) -> list[CameraSpec]:
    """The cameras asked for: those of --cameras, or one per --input; CamerasError if the
    cameras file cannot be used."""
    defaults = input_spec(args)
    if args.cameras:
        return read_cameras_file(args.cameras, defaults)
    return from_inputs(args.inputs, defaults)


def open_webrtc_for(args: argparse.Namespace) -> WebRTC | None:
    """aiortc's WebRTC output and input, if --output or --input is a webrtc:// URI; None on a
    Jetson, where jetson-utils serves them itself. WebRTCUnavailable without aiortc."""
    if import_jetson_utils() is not None:
        return None
    return open_webrtc(
        args.output,
        args.input,
        bitrate=args.bitrate,
        codec=args.output_codec,
        stun_server=args.stun_server,
    )


def input_opener(spec: InputSpec, webrtc: WebRTC | None) -> Callable[[], Source]:
    """What opens the input, and opens it again after a loss: a view of the video browsers
    send for a WebRTC input (webrtc/input.py), else open_source."""
    if webrtc is None or webrtc.input is None or not spec.uri.startswith("webrtc://"):
        return lambda: open_source(spec)
    received = webrtc.input
    size = (spec.width, spec.height) if spec.width and spec.height else None
    return lambda: with_flip(received.open(size), spec.flip)


def open_outputs(
    args: argparse.Namespace, spec: InputSpec, source: Source, webrtc: WebRTC | None = None
) -> list[Output]:
    """The outputs --output, --output-save and --input-save ask for. On a Jetson, --output is
    jetson_utils.videoOutput (any URI it knows); elsewhere a webrtc:// --output is `webrtc`'s
    output, and other streams and displays are warned about and left out. OutputError if an
    output cannot be opened."""
    rate = args.output_rate or args.framerate or spec.rate or source.pace or DEFAULT_OUTPUT_RATE
    outputs: list[Output] = []
    jetson_utils = import_jetson_utils()
    if args.output and jetson_utils is not None:
        outputs.append(JetsonOutput(jetson_utils, args.output, jetson_output_argv(args), False))
    elif webrtc is not None and webrtc.output is not None:
        outputs.append(webrtc.output)
    asked = (("--output", None if outputs else args.output), ("--output-save", args.output_save))
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


def jetson_output_argv(args: argparse.Namespace) -> list[str]:
    """The output options given, as jetson_utils.videoOutput's argv takes them."""
    names = (*JETSON_OUTPUT_OPTIONS, "output_codec", "output_rate")
    return [
        f"--{name.replace('_', '-')}={getattr(args, name)}"
        for name in names
        if getattr(args, name) is not None
    ]


def warn_jetson_only(
    args: argparse.Namespace,
    source: Source,
    outputs: list[Output],
    webrtc: WebRTC | None = None,
) -> None:
    """One line naming the jetson-utils options given that have no effect here."""
    jetson_output = any(isinstance(output, JetsonOutput) for output in outputs)
    taken: tuple[str, ...] = ()  # those that aiortc's WebRTC takes on a PC
    if webrtc is not None:
        taken = ("bitrate", "stun_server") if webrtc.output else ("stun_server",)
    names = [] if jetson_output else [n for n in JETSON_OUTPUT_OPTIONS if n not in taken]
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
