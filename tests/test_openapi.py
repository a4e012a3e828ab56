"""/openapi.json: a valid OpenAPI 3.1 document made from the routes and the settings registry,
which schemathesis then throws generated requests at on a live server: no 5xx, and every
answer as the document says (status, content type, body schema). /docs shows it in chromium."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from playwright.sync_api import sync_playwright
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from test_cameras import constant_classifier

import openapi
from helpers import ROOT
from tools.chromium import CHROMIUM, CHROMIUM_ARGS
from utils import PropertyRegistry, attribute_property

METHODS = {"GET", "PUT", "POST", "DELETE"}


@pytest.fixture
def api_server(start_server):
    """A server with a network, so that the network's settings and results are described."""
    return start_server(networks=[constant_classifier()])


def described(server) -> dict[str, Any]:
    response = server.get("/openapi.json")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    return response.json()


def test_the_description_is_valid_openapi_3_1(api_server):
    document = described(api_server)
    assert document["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(document).validate()  # against OpenAPI 3.1's own schema


def test_every_route_is_described_with_its_methods(api_server):
    document = described(api_server)
    app: Flask = api_server.http.app
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith("static") or rule.endpoint == openapi.SETTING_ENDPOINT:
            continue
        operations = document["paths"][openapi.openapi_path(rule)]
        assert {m.lower() for m in (rule.methods or set()) & METHODS} <= set(operations), rule.rule


def test_every_setting_is_a_path_with_its_type_range_and_choices(api_server):
    document = described(api_server)
    properties = api_server.get("/api/properties").json()
    assert {"/classification/confidence_threshold", "/stream/jpeg_quality"} <= {
        p["path"] for p in properties
    }
    for prop in properties:
        operations = document["paths"][prop["path"]]
        assert ("put" in operations) == prop["writable"], prop["path"]
        if not prop["writable"]:
            continue
        schema = operations["put"]["requestBody"]["content"]["application/json"]["schema"]
        json_type = {"bool": "boolean", "int": "integer", "float": "number", "str": "string"}
        assert schema["type"] == json_type[prop["type"]]
        assert schema.get("minimum") == prop["min"] and schema.get("maximum") == prop["max"]
        assert schema.get("enum") == prop["choices"]


def test_a_new_setting_is_described_at_once(api_server):
    class Knob:
        level = 2

    registry: PropertyRegistry = api_server.pipeline.settings
    attribute_property(registry, "/knob/level", Knob(), "level", int, minimum=1, maximum=9)
    put = described(api_server)["paths"]["/knob/level"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"]["maximum"] == 9


def test_no_route_of_the_app_is_left_undescribed(api_server):
    assert openapi.undescribed(api_server.http.app) == []


def test_a_route_nobody_described_is_named_and_listed_from_its_docstring():
    app = Flask(__name__)

    def surprise() -> str:
        """Something new."""
        return ""

    app.add_url_rule("/surprise", "surprise", surprise)
    assert openapi.undescribed(app) == ["/surprise"]
    operation = openapi.describe_api(app, PropertyRegistry(), "t")["paths"]["/surprise"]["get"]
    assert operation["summary"] == "Something new."


def test_the_results_schema_is_the_published_one(api_server):
    schemas = described(api_server)["components"]["schemas"]
    published = json.loads((ROOT / "docs" / "results.schema.json").read_text())
    assert set(schemas) == {"Results"} | {f"Results.{name}" for name in published["$defs"]}
    assert schemas["Results"]["properties"].keys() == published["properties"].keys()
    assert "#/$defs/" not in json.dumps(schemas)  # each reference points into the document


# --- schemathesis on a live server ----------------------------------------------------------

EXAMPLES_PER_OPERATION = 25
STREAMS = re.compile(r"/video_(feed|ws)$")  # never ends: a tester reading the answer would wait


def test_generated_requests_get_no_5xx_and_answers_match_the_description(api_server):
    """Every operation but the video's, EXAMPLES_PER_OPERATION generated requests each, checked
    by schemathesis' checks (status code, content type, headers and body against the
    description; no server error)."""
    schema = schemathesis.openapi.from_url(api_server.url + "/openapi.json")
    statuses: Counter[int] = Counter()
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # an operation schemathesis cannot read
        operations.append(result.ok())
    tested = [operation for operation in operations if not STREAMS.search(operation.path)]
    assert len(tested) >= 30

    # negative: bodies that break the description (type, range, choices): each a 400. A
    # path parameter here is any string, so that only bodies can break it.
    runs = [(o, GenerationMode.POSITIVE) for o in tested]
    runs += [(o, GenerationMode.NEGATIVE) for o in tested if o.body]
    for operation, mode in runs:

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call_and_validate(timeout=10)
            statuses[response.status_code] += 1

        check()
    print(f"schemathesis: {len(runs)} runs on {len(tested)} operations, by status {dict(statuses)}")
    assert statuses and not [status for status in statuses if status >= 500]


def test_the_docs_page_shows_every_operation_from_the_server_itself(api_server, tmp_path):
    document = described(api_server)
    operations = sum(len(methods) for methods in document["paths"].values())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # the page's policy forbids the string eval of wait_for_function
        page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(api_server.url + "/docs", wait_until="load")
        page.wait_for_selector("#tag-schemas")
        assert page.locator("#api .card").count() == operations
        assert page.locator("#get_stats code").first.inner_text() == "/stats"
        page.locator("#get_stats button", has_text="Try it").click()
        page.wait_for_function(
            "document.querySelector('#get_stats .try-output').textContent.startsWith('200')"
        )
        page.screenshot(path=str(tmp_path / "docs.png"), full_page=False)
        browser.close()
    assert requested and all(url.startswith(api_server.url) for url in requested)
