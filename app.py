"""The dashboard's web app and its start: `python app.py --help` (the flags: cli.py)."""

from __future__ import annotations

import argparse
import contextlib
import io
import ipaddress
import json
import logging
import secrets
import signal
import socket
import ssl
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from flask import Flask, Response, abort, jsonify, render_template, request
from flask_bootstrap import Bootstrap5
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response as WerkzeugResponse

import metrics
import openapi
import quiet
import security
from auth import Authenticator, AuthError, read_users
from broadcast import Broadcaster, Viewer
from cameras import CamerasError, CameraSpec
from catalogue import (
    Catalogue,
    CustomOptions,
    ModelError,
    describe,
)
from cli import (
    LOG_LEVELS,
    camera_specs,
    custom_options,
    input_opener,
    open_outputs,
    open_webrtc_for,
    parse_args,
    server_limits,
    warn_jetson_only,
)
from dashboard import Dashboard, build_dashboard
from health import liveness, readiness
from log_limit import RateLimitedLog
from mjpeg import CONTENT_TYPE
from model import NETWORK_TYPES, ModelSlot
from networks import create_slot
from outputs import Output, OutputError
from priority import at_network_priority
from proxy import TrustedProxy
from server import (
    StreamingServer,
    make_http_server,
    read_body,
    redirect_on_this_host,
    server_ssl_context,
)
from sources import Source, SourceError
from stream import Pipeline
from utils import MAX_BODY_BYTES, InvalidValue, ReadOnly
from webrtc import WebRTC, WebRTCUnavailable
from webrtc.routes import add_signalling
from websocket_video import ClientFrames, HandshakeError, accept_key, handshake_response

log = logging.getLogger("dashboard")
# How long a thread may hold the GIL while others wait (Python's default: 5 ms). The network
# threads keep it busy; a request's thread takes it back after each socket call, so at 5 ms a
# PUT could wait several times that (bench/settings.py).
GIL_SWITCH_INTERVAL_S = 0.001
LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")  # --host values that reach no one else


def create_app(
    cameras: Dashboard | Pipeline,
    title: str = "DNN Dashboard",
    webrtc: WebRTC | None = None,
    *,
    allowed_hosts: Iterable[str] | None = None,
    authenticator: Authenticator | None = None,
    https: bool = False,
) -> Flask:
    """The Flask app: the page, each camera's video, snapshots, stats and results, and the
    live settings; with `webrtc`, its signalling too (webrtc/routes.py). The one-camera paths
    (/video_feed...) are the first camera's; every camera has them under /cameras/<name>/ too.
    The Host and Origin checks, logins and headers: security.py (`allowed_hosts` None: any)."""
    dashboard = cameras if isinstance(cameras, Dashboard) else Dashboard.of(cameras)
    app = Flask(__name__)
    app.config["BOOTSTRAP_SERVE_LOCAL"] = True  # the page works with no internet
    app.config["TITLE"] = title
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # sessions last as long as the process
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=https,
    )
    Bootstrap5(app)
    security.install(app, allowed_hosts, authenticator)
    settings = dashboard.settings
    add_signalling(app, webrtc.output if webrtc else None, webrtc.input if webrtc else None)
    unexpected = RateLimitedLog(log)  # a client could repeat a request that fails
    app.after_request(redirect_on_this_host)
    openapi.register(app, settings, title)
    metrics.register(app, dashboard)

    def camera(name: str) -> Pipeline:
        pipeline = dashboard.pipeline(name)
        if pipeline is None:
            abort(404, f"no camera {name}; GET /cameras lists them")
        return pipeline

    def per_camera(rule: str, websocket: bool = False) -> Any:
        """Route a view of a pipeline at `rule` for the first camera, and at
        /cameras/<name>`rule` for every camera; with `websocket`, for a WebSocket handshake
        too (werkzeug routes one only to a rule marked websocket=True)."""

        def register(view: Any) -> Any:
            def of_first(**values: Any) -> Any:
                return view(dashboard.first, **values)

            def of_camera(camera_name: str, **values: Any) -> Any:
                return view(camera(camera_name), **values)

            for path, endpoint, function in (
                (rule, view.__name__, of_first),
                (f"/cameras/<camera_name>{rule}", f"camera_{view.__name__}", of_camera),
            ):
                for marked in (False, True) if websocket else (False,):
                    app.add_url_rule(path, endpoint, function, websocket=marked)
            return view

        return register

    @app.get("/")
    def index() -> str:
        groups = settings.groups()
        networks_first = sorted(groups, key=lambda group: group not in dashboard.networks)
        return render_template(
            "index.html",
            title=title,
            groups={group: groups[group] for group in networks_first},
            networks=list(dashboard.networks),
            cameras=list(dashboard.cameras),
            webrtc_output=bool(webrtc and webrtc.output),
            webrtc_input=bool(webrtc and webrtc.input),
        )

    @per_camera("/video_feed")
    def video_feed(pipeline: Pipeline) -> Response:
        """MJPEG. Under werkzeug's server the fan-out thread writes to the socket; under
        another WSGI server, the server's thread for this viewer writes the parts."""
        sock = request.environ.get("werkzeug.socket")
        broadcaster = pipeline.broadcaster
        pipeline.touch()
        return Response(
            broadcaster.parts_for_viewer(sock) if sock else broadcaster.parts(),
            content_type=CONTENT_TYPE,
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @per_camera("/video_ws", websocket=True)  # the plain rule says what a request lacks
    def video_ws(pipeline: Pipeline) -> Response:
        """The video as WebSocket messages (websocket_video.py), for the page: unlike an MJPEG
        <img>, a WebSocket does not hold one of a browser's six connections to the host."""
        sock = request.environ.get("werkzeug.socket")
        if sock is None:
            abort(501, "/video_ws needs werkzeug's server (python app.py)")
        try:
            accept = accept_key({name.lower(): value for name, value in request.headers.items()})
        except HandshakeError as error:
            abort(400, str(error))
        pipeline.touch()
        return Response(websocket_session(pipeline.broadcaster, sock, accept))

    @per_camera("/snapshot.jpg")
    def snapshot(pipeline: Pipeline) -> Response:
        pipeline.touch()
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

    @per_camera("/stats")
    def stats(pipeline: Pipeline) -> Response:
        figures = pipeline.stats()
        if webrtc is not None and pipeline is dashboard.first:  # WebRTC is the first camera's
            figures["webrtc"] = webrtc.stats()
        return jsonify(figures)

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        body, status = liveness({name: c.pipeline for name, c in dashboard.cameras.items()})
        return jsonify(body), status

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        body, status = readiness({name: c.pipeline for name, c in dashboard.cameras.items()})
        return jsonify(body), status

    @app.get("/cameras/<camera_name>/readyz")
    def camera_readyz(camera_name: str) -> tuple[Response, int]:
        body, status = readiness({camera_name: camera(camera_name)})
        return jsonify(body), status

    @per_camera("/results")
    def all_results(pipeline: Pipeline) -> Response:
        pipeline.touch()
        return results_response(pipeline, pipeline.results())

    @per_camera("/<network_type>/results")
    def network_results(pipeline: Pipeline, network_type: str) -> Response:
        pipeline.touch()
        results = pipeline.results()
        if network_type not in results:
            abort(
                404, f"no {network_type} network is loaded; loaded: {', '.join(results) or 'none'}"
            )
        return results_response(pipeline, results[network_type])

    @app.get("/cameras")
    def cameras_list() -> Response:
        return jsonify(dashboard.describe())

    @app.route("/cameras/<camera_name>/running", methods=["GET", "PUT"])
    def running(camera_name: str) -> Response:
        """Whether the camera runs; PUT false stops its capture and networks, true starts
        them again."""
        pipeline = camera(camera_name)
        if request.method == "PUT":
            try:
                value = json.loads(read_body(MAX_BODY_BYTES))
            except (ValueError, RecursionError):
                abort(400, f"/cameras/{camera_name}/running takes true or false (JSON)")
            if not isinstance(value, bool):
                abort(400, f"/cameras/{camera_name}/running takes true or false, not {value!r}")
            pipeline.running = value
        return jsonify(pipeline.running)

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
        unexpected.log(
            logging.ERROR, "unexpected error on %s %s", request.method, request.path, exc_info=True
        )
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


def websocket_session(
    broadcaster: Broadcaster, sock: socket.socket, accept: str
) -> Iterator[bytes]:
    """The WSGI body of /video_ws: it answers the handshake on the socket itself (werkzeug
    would answer in HTTP/1.0, and a WebSocket opens only with HTTP/1.1's 101), serves the
    viewer until it is gone, then ends the request as a dropped connection, so that werkzeug
    writes no response of its own after it."""
    sock.sendall(handshake_response(accept))
    broadcaster.serve(Viewer(sock, websocket=ClientFrames()))
    raise ConnectionError("the WebSocket viewer has gone")
    yield b""  # a generator: the body runs when werkzeug iterates it


def allowed_hosts(flag: str | None) -> set[str] | None:
    """The Host names --allowed-hosts lets in; None for '*' (any)."""
    if flag is None:
        return security.default_allowed_hosts()
    names = {name.strip().lower() for name in flag.split(",") if name.strip()}
    return None if "*" in names else names


def close_all(closables: Iterable[Source | Output]) -> None:
    for closable in closables:
        closable.close()


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


def run(args: argparse.Namespace) -> int:
    """Start the cameras and the server; return the exit code when stopped by a signal.
    ModelError if the catalogue, or a network asked for, cannot be loaded."""
    if args.list_models:
        print(describe(Catalogue()))
        return 0
    try:
        cameras = camera_specs(args)
    except CamerasError as error:
        print(f"error: --cameras: {error}", file=sys.stderr)
        return 2
    try:
        ssl_context = server_ssl_context(args.ssl_cert, args.ssl_key) if args.ssl_cert else None
    except OSError as error:
        print(f"error: --ssl-cert/--ssl-key: {error}", file=sys.stderr)
        return 2
    try:
        authenticator = Authenticator(read_users(args.auth)) if args.auth else None
    except AuthError as error:
        print(f"error: --auth: {error}", file=sys.stderr)
        return 2
    try:
        server = listen(args, ssl_context)
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    try:
        webrtc = open_webrtc_for(args)
    except (WebRTCUnavailable, OutputError) as error:
        server.server_close()
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        return serve(server, args, cameras, ssl_context, webrtc, authenticator)
    finally:
        server.server_close()
        if webrtc is not None:
            webrtc.close()


def listen(args: argparse.Namespace, ssl_context: ssl.SSLContext | None) -> StreamingServer:
    """The server, bound to --host and --port but not listening yet, with no app (serve gives
    it one, then has it listen);
    OSError with a plain reason if it cannot listen (werkzeug prints its reason and exits)."""
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            server = make_http_server(
                Flask(__name__),
                args.host,
                args.port,
                ssl_context,
                server_limits(args),
                listen_now=False,
            )
    except SystemExit:
        reason = said.getvalue().strip().splitlines()[:1] or ["unknown reason"]
        if "in use" in reason[0]:
            reason = [
                f"{reason[0]}: another program has this port; stop it or choose another --port"
            ]
        raise OSError(reason[0]) from None
    server.log_polls = args.log_polls
    return server


def serve(
    server: StreamingServer,
    args: argparse.Namespace,
    cameras: list[CameraSpec],
    ssl_context: ssl.SSLContext | None,
    webrtc: WebRTC | None,
    authenticator: Authenticator | None,
) -> int:
    """run() once the command line is checked and the server listens (a port in use is found
    before any network loads): open the inputs, the networks and the outputs, and serve until
    a signal."""
    options = custom_options(args)
    networks = at_network_priority(lambda: load_networks(args, options))
    openers = {camera.name: input_opener(camera.input, webrtc) for camera in cameras}
    sources: dict[str, Source] = {}
    try:
        for camera in cameras:
            sources[camera.name] = openers[camera.name]()
    except SourceError as error:
        close_all(sources.values())
        prefix = "input" if len(cameras) == 1 else f"camera {camera.name}:"
        print(f"error: {prefix} {error}", file=sys.stderr)
        return 2
    first = sources[cameras[0].name]
    try:
        outputs = open_outputs(args, cameras[0].input, first, webrtc)
    except OutputError as error:
        close_all(sources.values())
        print(f"error: {error}", file=sys.stderr)
        return 2
    warn_jetson_only(args, first, outputs, webrtc)
    dashboard = build_dashboard(
        cameras,
        lambda camera: (sources[camera.name], openers[camera.name]),
        networks,
        jpeg_quality=args.jpeg_quality,
        network_mode=args.network_mode,
        idle_stop=args.idle_stop,
        outputs=outputs,
        backoff=webrtc.input.backoff if webrtc and webrtc.input else None,
    )
    server.app = create_app(
        dashboard,
        args.title,
        webrtc,
        allowed_hosts=allowed_hosts(args.allowed_hosts),
        authenticator=authenticator,
        https=ssl_context is not None,
    )
    if args.trusted_proxy:
        server.app.wsgi_app = TrustedProxy(  # type: ignore[method-assign]
            server.app.wsgi_app, args.trusted_proxy
        )
    dashboard.start()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # a closed terminal too
        signal.signal(signum, lambda *_: stop.set())
    server.listen()
    serving = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    serving.start()
    described = ", ".join(
        source.description if len(sources) == 1 else f"{name}: {source.description}"
        for name, source in sources.items()
    )
    urls = page_urls("https" if args.ssl_cert else "http", args.host, server.server_port)
    log.info("serving %s on %s", described, " ".join(urls))
    if authenticator is None and args.host not in LOCAL_HOSTS:
        log.warning(
            "listening on %s with no --auth: anyone who reaches this port can watch and "
            "change every setting (README, 'Logins and roles')",
            args.host,
        )
    for output in outputs:
        log.info("writing %s", output.description)
    stop.wait()
    log.info("stopping")
    if webrtc is not None:  # first: a capture thread waiting for a browser's video wakes
        for pipeline in dashboard.pipelines:  # (and ends, rather than reconnecting)
            pipeline.capture.stop()
        webrtc.close()
    dashboard.stop()
    server.shutdown()
    return 0


def page_urls(scheme: str, host: str, port: int) -> list[str]:
    """Every address a user can open: localhost, then this machine's other addresses when the
    server listens on every interface (IPv4 ones for 0.0.0.0; IPv6 ones too for ::)."""
    if host.startswith("unix://"):
        return [host]
    if host not in ("0.0.0.0", "::"):
        return [f"{scheme}://{bracketed(host)}:{port}"]
    found = [
        ipaddress.ip_address(address)
        for address in security.local_addresses()
        if not ipaddress.ip_address(address).is_loopback
        and not ipaddress.ip_address(address).is_link_local
    ]
    usable = [a for a in found if host == "::" or a.version == 4]
    ordered = sorted(usable, key=lambda address: (address.version, address.packed))
    return [f"{scheme}://localhost:{port}"] + [
        f"{scheme}://{bracketed(str(address))}:{port}" for address in ordered
    ]


def bracketed(host: str) -> str:
    """An IPv6 address in brackets, as a URL holds it."""
    return f"[{host}]" if ":" in host else host


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
