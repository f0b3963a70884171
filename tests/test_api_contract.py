"""The API's contract: an OpenAPI 3.1 description generated from the schemas that covers every
API route, a reference page that works under the strict CSP, and the case schema's field
sets as the single source of what each audience reads."""

import re

import pytest
from werkzeug.datastructures import MultiDict

from casebank.schemas import api as schemas
from casebank.schemas.case_study import PUBLIC_CASE_FIELDS, RESTRICTED_ONLY_FIELDS
from casebank.services.catalogue import CaseFilters
from casebank.services.documents import DocumentFilters

NOT_DESCRIBED = {"api.openapi", "api.reference"}  # the description and its page themselves


def test_every_api_route_is_described(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    described = {
        (re.sub(r"\{(\w+)\}", r"<\1>", path), method.upper())
        for path, operations in spec["paths"].items()
        for method in operations
    }
    routes = {
        (rule.rule.removeprefix("/api/v1").replace("<int:", "<"), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint not in NOT_DESCRIBED
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == described


def test_the_described_bodies_come_from_the_marshmallow_schemas(client):
    components = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    write = components["CaseWrite"]["properties"]
    assert write["title"]["maxLength"] == 200  # CaseStudySchema's own rule
    assert "reference" not in write and "status" not in write
    assert set(components["CasePublic"]["properties"]) == {*PUBLIC_CASE_FIELDS, "url"}
    assert "restricted_notes" in components["CaseRestricted"]["properties"]
    assert components["Transition"]["additionalProperties"] is False


def test_the_public_field_set_holds_nothing_restricted():
    assert not set(RESTRICTED_ONLY_FIELDS) & set(schemas.CASE_FIELD_SETS["public"])


def test_the_reference_page_needs_no_script_or_inline_style(client):
    response = client.get("/api/v1/reference")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "POST /api/v1/cases" in page
    assert "<script" not in page and "style=" not in page and "<style" not in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


class ArgsRead(MultiDict):
    """Query arguments that note which names were read."""

    def __init__(self):
        super().__init__()
        self.read = set()

    def get(self, key, *args, **kwargs):
        self.read.add(key)
        return super().get(key, *args, **kwargs)

    def getlist(self, key, *args, **kwargs):
        self.read.add(key)
        return super().getlist(key, *args, **kwargs)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


@pytest.mark.parametrize(
    ("path", "filters"),
    [("/cases", CaseFilters), ("/documents", DocumentFilters)],
)
def test_every_filter_a_list_reads_is_described(app, client, path, filters):
    spec = client.get("/api/v1/openapi.json").get_json()
    described = {p["name"] for p in spec["paths"][path]["get"]["parameters"]}
    args = ArgsRead()
    with app.test_request_context():
        filters.from_args(args)
    assert args.read and args.read <= described
