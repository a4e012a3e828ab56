"""The API description: OpenAPI 3.1 at /openapi.json, shown by the page at /docs.

It is made on each request from what the app serves: every Flask route (its path, methods and
parameters), and every setting of the registry (utils.PropertyRegistry), each as a path of its
own with the JSON Schema of its value (type, range, choices). What a route answers is written
once, below, in ENDPOINTS, by endpoint name. A route without an entry is still listed, with
its view's docstring and no schema, and undescribed() names it: a test asks that it names
none. The results' schemas are docs/results.schema.json's. Nothing here is a copy of the
description to keep in step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template
from werkzeug.routing import Rule

from model import NETWORK_TYPES
from stream import NETWORK_MODES, STATES
from utils import Property, PropertyRegistry

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1"
RESULTS_SCHEMA = Path(__file__).with_name("docs") / "results.schema.json"
JSON = "application/json"
METHODS = ("get", "put", "post", "delete")  # HEAD and OPTIONS are Flask's own, left out
SETTING_ENDPOINT = "setting"  # app.py's GET|PUT /<group>/<name>, one path per setting here
PER_CAMERA_PREFIX = "camera_"  # app.py's per_camera(): camera_<view> is <view> of one camera
JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def record(required: dict[str, Any], **optional: Any) -> dict[str, Any]:
    """An object schema with these required properties and these optional ones; other
    properties are allowed (a newer server may add fields)."""
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **optional},
    }


NUMBER = {"type": "number"}
COUNT = {"type": "integer", "minimum": 0}
TEXT = {"type": "string"}
STATE = {"enum": list(STATES)}
RESOLUTION = nullable({"type": "array", "items": COUNT, "minItems": 2, "maxItems": 2})
ERROR = record({"error": TEXT})
NETWORK_STATS = record(
    {
        "network": TEXT,
        "enabled": {"type": "boolean"},
        "ms": nullable(NUMBER),
        "fps": NUMBER,
        "failures": COUNT,
        "error": nullable(TEXT),
        "loading": nullable(TEXT),
        "result_frame": nullable(COUNT),
        "result_age_frames": nullable({"type": "integer"}),
        "result_age_ms": nullable(NUMBER),
    },
    fps_by_camera={"type": "object", "additionalProperties": NUMBER},
)
STATS = record(
    {
        "fps_in": NUMBER,
        "fps_out": NUMBER,
        "encode_ms": nullable(NUMBER),
        "latency_ms": nullable(NUMBER),
        "frames_dropped": COUNT,
        "viewers": COUNT,
        "websocket_viewers": COUNT,
        "frames_skipped_for_slow_viewers": COUNT,
        "network_mode": {"enum": list(NETWORK_MODES)},
        "networks": {"type": "object", "additionalProperties": NETWORK_STATS},
        "source": record(
            {
                "description": TEXT,
                "state": STATE,
                "error": nullable(TEXT),
                "reconnects": COUNT,
                "resolution": RESOLUTION,
            }
        ),
        "uptime_s": NUMBER,
    }
)
CAMERA = record(
    {
        "name": TEXT,
        "uri": TEXT,
        "state": STATE,
        "running": {"type": "boolean"},
        "resolution": RESOLUTION,
        "fps": NUMBER,
        "viewers": COUNT,
    }
)
PROPERTY = record(
    {
        "path": TEXT,
        "group": TEXT,
        "name": TEXT,
        "type": {"enum": ["bool", "int", "float", "str"]},
        "min": nullable(NUMBER),
        "max": nullable(NUMBER),
        "step": nullable(NUMBER),
        "choices": nullable({"type": "array", "items": TEXT}),
        "value": {},
        "help": TEXT,
        "writable": {"type": "boolean"},
    }
)
HEALTH = record(
    {"status": TEXT, "source": STATE},
    dead_threads={"type": "object", "additionalProperties": {"type": "array", "items": TEXT}},
)
READINESS = record(
    {
        "status": {"enum": ["ready", "not ready"]},
        "cameras": {"type": "object", "additionalProperties": STATE},
    },
    not_ready={"type": "array", "items": TEXT},
)
RESULTS = {"$ref": "#/components/schemas/Results"}
ONE_RESULT = {
    "anyOf": [
        {"type": "null"},
        *({"$ref": f"#/components/schemas/Results.{kind}"} for kind in NETWORK_TYPES),
    ]
}
RUNNING = {"type": "boolean"}
JPEG = "image/jpeg"
HTML = "text/html"
MJPEG = "multipart/x-mixed-replace"
PROMETHEUS_TEXT = "text/plain"


@dataclass(frozen=True)
class Endpoint:
    """What a route is for and answers: status -> (media type, schema); `body` is the JSON
    Schema of a PUT's body (None: the route takes no PUT)."""

    summary: str
    tag: str
    responses: dict[int, tuple[str | None, dict[str, Any]]]  # None: no body
    body: dict[str, Any] | None = None
    streams: bool = False  # the response never ends (video); API testers leave it out
    extra: dict[str, Any] = field(default_factory=dict)  # more of the operation object


def json_answer(schema: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return JSON, schema


NOT_FOUND = {404: json_answer(ERROR)}  # no such camera, no such network loaded
SDP_OFFER = record({"type": {"const": "offer"}, "sdp": TEXT})
WEBRTC_ANSWERS: dict[int, tuple[str | None, dict[str, Any]]] = {
    200: json_answer({"type": "object"}),
    **{status: json_answer(ERROR) for status in (400, 404, 501)},
}
ENDPOINTS = {
    "index": Endpoint("The dashboard page", "page", {200: (HTML, {"type": "string"})}),
    "api_docs": Endpoint("This description, as a page", "page", {200: (HTML, TEXT)}),
    "openapi_json": Endpoint(
        "This description (OpenAPI 3.1)", "page", {200: json_answer({"type": "object"})}
    ),
    "video_feed": Endpoint(
        "The annotated video as MJPEG (multipart/x-mixed-replace; boundary=frame); each part "
        "has Content-Type, Content-Length, X-Frame-Index and X-Timestamp",
        "video",
        {200: (MJPEG, {"type": "string", "format": "binary"}), **NOT_FOUND},
        streams=True,
    ),
    "video_ws": Endpoint(
        "The annotated video over a WebSocket: a binary message per frame (frame index and "
        "capture time, big-endian float64 each, then the JPEG)",
        "video",
        {101: (None, {}), 400: json_answer(ERROR), **NOT_FOUND},
        streams=True,
    ),
    "snapshot": Endpoint(
        "The current annotated frame",
        "video",
        {
            200: (JPEG, {"type": "string", "format": "binary"}),
            503: json_answer(ERROR),  # no frame yet
            **NOT_FOUND,
        },
    ),
    "stats": Endpoint(
        "Rates, latency, viewers, the networks' figures and the input's state",
        "observe",
        {200: json_answer(STATS), **NOT_FOUND},
    ),
    "healthz": Endpoint(
        "Liveness: 503 if a thread that should run has died",
        "observe",
        {200: json_answer(HEALTH), 503: json_answer(HEALTH)},
    ),
    "readyz": Endpoint(
        "Readiness: 503 while an input is offline or reconnecting",
        "observe",
        {200: json_answer(READINESS), 503: json_answer(READINESS), **NOT_FOUND},
    ),
    "metrics": Endpoint(
        "Metrics in Prometheus' text format, per camera",
        "observe",
        {200: (PROMETHEUS_TEXT, TEXT)},
    ),
    "all_results": Endpoint(
        "The latest result of every loaded network; X-Frame-Index is the frame shown",
        "results",
        {200: json_answer(RESULTS), **NOT_FOUND},
    ),
    "network_results": Endpoint(
        "The latest result of one network type (null before its first)",
        "results",
        {200: json_answer(ONE_RESULT), **NOT_FOUND},
    ),
    "cameras_list": Endpoint(
        "The cameras: name, redacted URI, state, resolution, fps, viewers",
        "cameras",
        {200: json_answer({"type": "array", "items": CAMERA})},
    ),
    "running": Endpoint(
        "Whether the camera runs; PUT false stops its capture and networks, true starts them",
        "cameras",
        {200: json_answer(RUNNING), **NOT_FOUND},
        body=RUNNING,
    ),
    "webrtc_output": Endpoint(
        "WebRTC signalling of the video out: the browser's SDP offer in, the answer out "
        "(404 unless the app was started with --output webrtc://...)",
        "video",
        WEBRTC_ANSWERS,
        extra={"requestBody": {"content": {JSON: {"schema": SDP_OFFER}}}},
    ),
    "webrtc_input": Endpoint(
        "WebRTC signalling of the browser's camera as the input: its SDP offer in, the answer "
        "out (404 unless the app was started with --input webrtc://...)",
        "video",
        WEBRTC_ANSWERS,
        extra={"requestBody": {"content": {JSON: {"schema": SDP_OFFER}}}},
    ),
    "whoami": Endpoint(
        "The user of this request and their role (without --auth, everyone is an operator)",
        "access",
        {200: json_answer({"type": "object"})},
    ),
    "login_page": Endpoint("The login form (with --auth)", "access", {200: (HTML, TEXT)}),
    "login_post": Endpoint(
        "Log in (form or JSON name and password): sets the session cookie",
        "access",
        {200: json_answer({"type": "object"}), 401: json_answer(ERROR), 429: json_answer(ERROR)},
    ),
    "logout": Endpoint(
        "Log out: ends the session", "access", {200: json_answer({"type": "object"})}
    ),
    "properties": Endpoint(
        "Every setting: path, type, range, choices, value, help",
        "settings",
        {200: json_answer({"type": "array", "items": PROPERTY})},
    ),
}
PARAMETERS = {
    "camera_name": {"description": "a camera's name (GET /cameras)", "schema": TEXT},
    "network_type": {
        "description": "a network type; 404 unless one is loaded",
        "schema": {"enum": list(NETWORK_TYPES)},
    },
}


def describe_api(app: Flask, settings: PropertyRegistry, title: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `app`, whose settings are `settings`."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in described_rules(app):
        if rule.endpoint == SETTING_ENDPOINT:
            for prop in settings:
                paths[prop.path] = setting_operations(prop)
        else:
            paths.setdefault(openapi_path(rule), {}).update(route_operations(rule, app))
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{title} API",
            "version": API_VERSION,
            "description": "Live video, results and settings of the dashboard. Settings use "
            "jetson-inference's wire format: GET answers the bare JSON value, PUT takes one "
            "and answers the value in force; a bad value is a 400 that changes nothing.",
        },
        "paths": paths,
        "components": {"schemas": results_schemas()},
    }


def openapi_path(rule: Rule) -> str:
    """/cameras/<camera_name>/stats -> /cameras/{camera_name}/stats"""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def described_rules(app: Flask) -> Iterator[Rule]:
    """The routes of the API: not the static files, nor a WebSocket rule's plain twin."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        files = rule.endpoint == "static" or rule.endpoint.endswith(".static")
        if not files and not rule.websocket:
            yield rule


def endpoint_of(rule: Rule) -> Endpoint | None:
    """A route's ENDPOINTS entry: its own, or that of the view a per-camera route repeats."""
    return ENDPOINTS.get(rule.endpoint) or ENDPOINTS.get(
        rule.endpoint.removeprefix(PER_CAMERA_PREFIX)
    )


def undescribed(app: Flask) -> list[str]:
    """The routes of `app` that ENDPOINTS does not describe."""
    return [
        rule.rule
        for rule in described_rules(app)
        if rule.endpoint != SETTING_ENDPOINT and endpoint_of(rule) is None
    ]


def route_operations(rule: Rule, app: Flask) -> dict[str, Any]:
    """The operations of one route, from its ENDPOINTS entry (from its view's docstring, with
    no schema, if it has none)."""
    endpoint = endpoint_of(rule)
    if endpoint is None:
        summary = (app.view_functions[rule.endpoint].__doc__ or rule.rule).strip()
        endpoint = Endpoint(summary.split("\n")[0], "other", {200: ("*/*", {})})
    parameters = [
        {"name": name, "in": "path", "required": True, **PARAMETERS[name]}
        for name in sorted(rule.arguments)
    ]
    operations = {}
    for method in METHODS:
        if method.upper() not in (rule.methods or ()):
            continue
        operation: dict[str, Any] = {
            "operationId": f"{method}_{rule.endpoint}",
            "summary": endpoint.summary,
            "tags": [endpoint.tag],
            "responses": responses(endpoint.responses),
            **endpoint.extra,
        }
        if parameters:
            operation["parameters"] = parameters
        if endpoint.streams:
            operation["x-streams"] = True
        if method == "put" and endpoint.body is not None:
            operation["requestBody"] = json_body(endpoint.body)
            operation["responses"]["400"] = response(400, *json_answer(ERROR))
        operations[method] = operation
    return operations


def setting_operations(prop: Property) -> dict[str, Any]:
    """GET (and PUT, if writable) of one setting, its value's schema from the registry."""
    value = value_schema(prop)
    operation_id = prop.path.strip("/").replace("/", "_")
    operations: dict[str, Any] = {
        "get": {
            "operationId": f"get_{operation_id}",
            "summary": prop.help or prop.path,
            "tags": ["settings"],
            "responses": {
                "200": response(200, JSON, value if prop.writable else nullable(value)),
            },
        }
    }
    if prop.writable:
        operations["put"] = {
            "operationId": f"put_{operation_id}",
            "summary": f"Set: {prop.help or prop.path}",
            "tags": ["settings"],
            "requestBody": json_body(value),
            "responses": {
                "200": response(200, JSON, value),
                "400": response(400, *json_answer(ERROR)),
            },
        }
    return operations


def value_schema(prop: Property) -> dict[str, Any]:
    """The JSON Schema of a setting's value: its type, range or choices."""
    schema: dict[str, Any] = {"type": JSON_TYPES[prop.type]}
    if prop.choices:
        schema["enum"] = list(prop.choices)
    if prop.minimum is not None:
        schema["minimum"] = prop.minimum
    if prop.maximum is not None:
        schema["maximum"] = prop.maximum
    if prop.help:
        schema["description"] = prop.help
    return schema


def responses(answers: dict[int, tuple[str | None, dict[str, Any]]]) -> dict[str, Any]:
    return {
        str(status): response(status, media, schema) for status, (media, schema) in answers.items()
    }


def response(status: int, media: str | None, schema: dict[str, Any]) -> dict[str, Any]:
    """A response object: its status's phrase, and its body's media type and schema."""
    described: dict[str, Any] = {"description": HTTPStatus(status).phrase}
    if media is not None:
        described["content"] = {media: {"schema": schema}}
    return described


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def results_schemas() -> dict[str, Any]:
    """docs/results.schema.json as components: Results, and Results.<name> for its $defs."""
    document = json.loads(RESULTS_SCHEMA.read_text())
    definitions = document.pop("$defs")
    for key in ("$schema", "$id"):
        document.pop(key)
    text = json.dumps({"Results": document, **{f"Results.{k}": v for k, v in definitions.items()}})
    return dict(json.loads(text.replace('"#/$defs/', '"#/components/schemas/Results.')))


def register(app: Flask, settings: PropertyRegistry, title: str) -> None:
    """Serve the description at /openapi.json and its page at /docs."""

    @app.get("/openapi.json")
    def openapi_json() -> Response:
        return jsonify(describe_api(app, settings, title))

    @app.get("/docs")
    def api_docs() -> str:
        return render_template("api.html", title=title)
