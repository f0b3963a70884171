"""The OpenAPI 3.1 description of /api/v1 (apispec, its schemas generated from the marshmallow
schemas by the marshmallow plugin) and a reference page rendered from it on the server (no
script, no CDN: it works under the strict CSP)."""

import json
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify, render_template

from casebank.api import bp
from casebank.schemas import api as schemas

PROBLEM = "application/problem+json"
ERRORS = {
    400: "A bad query or body.",
    401: "A token is needed, or the one sent opens nothing.",
    404: "No such resource, or not one you may see.",
    409: "Not possible in the resource's current state, or saved by someone else meanwhile.",
    413: "The body is larger than the upload limit.",
    415: "The body's content type is not the one this operation takes.",
    422: "Fields are invalid; errors holds each one's messages.",
    429: "Too many requests from this token or address; wait and retry.",
    503: "Busy; retry after Retry-After seconds.",
}
READ_ERRORS = (400, 401, 404, 429, 503)
WRITE_ERRORS = (400, 401, 404, 409, 413, 415, 422, 429, 503)
ANYONE = [{}, {"token": []}]
TOKEN = [{"token": []}]


def query(name, description, schema=None):
    return {"in": "query", "name": name, "description": description, "required": False,
            "schema": schema or {"type": "string"}}  # fmt: skip


PAGING = [
    query("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "maximum": 100000}),
    query("per_page", "Items per page (at most 100).",
          {"type": "integer", "minimum": 1, "maximum": 100}),
]  # fmt: skip
CASE_FILTERS = [
    query("q", "Words searched in the case studies' text (the site's search)."),
    query("convention", "A convention code, e.g. MONTREAL."),
    query("country", "The seizing country, ISO 3166-1 alpha-2."),
    query("year", "The year of the seizure."),
    query("detection_method", "A detection method's value."),
    query("prosecution_status", "A prosecution status's value."),
    query("hs", "An HS code or its start, e.g. 2903."),
    query("own", "true: your organisation's case studies in every status (a partner's token)."),
]
REFERENCE = {"in": "path", "name": "reference", "required": True, "schema": {"type": "string"}}
DOCUMENT_ID = {"in": "path", "name": "document_id", "required": True,
               "schema": {"type": "integer", "minimum": 0}}  # fmt: skip
# Which field set a case comes in depends on the reader (permissions.case_audience).
CASE_ANY = {"anyOf": ["CaseWorkflow", "CaseRestricted", "CasePublic"]}

# (path, method, summary, security, parameters, request body schema and media type,
#  success status, success response schema or media type, errors)
OPERATIONS = [
    ("/cases", "get", "Case studies you may read, filtered, a page at a time.", ANYONE,
     CASE_FILTERS + PAGING, None, 200, "CasePage", READ_ERRORS),
    ("/cases", "post", "Create a draft for your organisation (scope submit).", TOKEN,
     [], ("CaseWrite", "application/json"), 201, CASE_ANY, WRITE_ERRORS),
    ("/cases/{reference}", "get", "One case study, in the fields you may see.", ANYONE,
     [REFERENCE], None, 200, CASE_ANY, READ_ERRORS),
    ("/cases/{reference}", "put", "Save the whole record of a draft (with its version).", TOKEN,
     [REFERENCE], ("CaseWrite", "application/json"), 200, CASE_ANY, WRITE_ERRORS),
    ("/cases/{reference}/status", "get", "Status, allowed transitions, history, conversation.",
     TOKEN, [REFERENCE], None, 200, "Status", READ_ERRORS),
    ("/cases/{reference}/transitions", "post",
     "Move the case: submit, withdraw (submit); request_changes, publish, reject... (review).",
     TOKEN, [REFERENCE], ("Transition", "application/json"), 200, "Status", WRITE_ERRORS),
    ("/cases/{reference}/messages", "post", "Write in the case's conversation.", TOKEN,
     [REFERENCE], ("MessageWrite", "application/json"), 201, "Message", WRITE_ERRORS),
    ("/cases/{reference}/attachments", "post", "Attach a file to a draft (scope submit).", TOKEN,
     [REFERENCE], ("AttachmentWrite", "multipart/form-data"), 201, "Document", WRITE_ERRORS),
    ("/documents", "get", "Published documents you may read.", ANYONE,
     [query("q", "Words of the title."), query("kind", "A document kind."),
      query("convention", "A convention code, e.g. BASEL."),
      query("language", "en, fr or es."), query("year", "The year of publication."),
      query("access_level", "public or restricted."),
      query("sort", "date (newest first, the default) or title."),
      *PAGING], None, 200, "DocumentPage", READ_ERRORS),
    ("/documents/{document_id}", "get", "A document's metadata and download link.", ANYONE,
     [DOCUMENT_ID], None, 200, "Document", READ_ERRORS),
    ("/documents/{document_id}/file", "get", "A document's file.", ANYONE,
     [DOCUMENT_ID], None, 200, "*/*", READ_ERRORS),
    ("/conventions", "get", "The conventions, with their public case-study counts.", ANYONE,
     [], None, 200, "ConventionList", READ_ERRORS),
    ("/hs-codes", "get", "HS codes by code prefix or words of the description.", ANYONE,
     [query("q", "A code prefix (2903, 2903.7) or words."), *PAGING], None, 200, "HSCodePage",
     READ_ERRORS),
    ("/search", "get", "The site's search (case studies and documents).", ANYONE,
     [query("q", "Words to search."), query("kind", "case or a document kind."),
      query("sort", "relevance, newest or oldest."),
      query("page", "Page number.", {"type": "integer", "minimum": 1, "maximum": 100000})],
     None, 200, "SearchResults", READ_ERRORS),
]  # fmt: skip

COMPONENTS = {
    "CasePublic": schemas.CasePublic,
    "CaseRestricted": schemas.CaseRestricted,
    "CaseWorkflow": schemas.CaseWorkflow,
    # partial: a draft may lack any field (submitting checks that it is complete).
    "CaseWrite": schemas.CaseWrite(
        only=(*schemas.WRITABLE_CASE_FIELDS, "version", "change_note"), partial=True
    ),
    "Transition": schemas.Transition,
    "MessageWrite": schemas.MessageWrite,
    "Message": schemas.Message,
    "Status": schemas.Status,
    "Document": schemas.DocumentOut,
    "AttachmentWrite": schemas.AttachmentWrite,
    "Convention": schemas.ConventionOut,
    "HSCode": schemas.HSCodeOut,
    "Problem": schemas.ProblemOut,
}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def page_schema(item):
    return {
        "type": "object",
        "properties": {
            "page": {"type": "integer"}, "per_page": {"type": "integer"},
            "total": {"type": "integer"}, "pages": {"type": "integer"},
            "notices": {"type": "array", "items": {"type": "string"}},
            "items": {"type": "array", "items": item},
        },
        "required": ["page", "per_page", "total", "pages", "items"],
    }  # fmt: skip


def extra_schemas():
    any_case = {"anyOf": [ref("CaseWorkflow"), ref("CaseRestricted"), ref("CasePublic")]}
    return {
        "CasePage": page_schema(any_case),
        "DocumentPage": page_schema(ref("Document")),
        "HSCodePage": page_schema(ref("HSCode")),
        "ConventionList": {"type": "object", "properties": {
            "items": {"type": "array", "items": ref("Convention")}}},
        "SearchResults": {"type": "object", "properties": {
            "query": {"type": "string"}, "total": {"type": "integer"},
            "page": {"type": "integer"}, "pages": {"type": "integer"},
            "hits": {"type": "array", "items": {"type": "object"}}}},
    }  # fmt: skip


def success(status, body):
    if isinstance(body, dict):  # any of the case field sets
        content = {"application/json": {"schema": {"anyOf": [ref(n) for n in body["anyOf"]]}}}
    elif "/" in body:
        content = {body: {"schema": {"type": "string", "format": "binary"}}}
    else:
        content = {"application/json": {"schema": ref(body)}}
    headers = {"ETag": {"schema": {"type": "string"}}} if status == 200 else {}
    if body in ("CasePage", "DocumentPage", "HSCodePage"):
        headers["Link"] = {"description": "first, prev, next, last pages (RFC 8288).",
                           "schema": {"type": "string"}}  # fmt: skip
    answer = {"description": "Done." if status == 201 else "OK.", "content": content}
    if headers:
        answer["headers"] = headers
    return answer


def operation(summary, security, parameters, body, status, result, errors):
    spec = {
        "summary": summary,
        "security": security,
        "parameters": parameters,
        "responses": {
            str(status): success(status, result),
            **({"304": {"description": "Not modified (If-None-Match)."}} if status == 200 else {}),
            **{str(code): {"description": ERRORS[code],
                           "content": {PROBLEM: {"schema": ref("Problem")}}}
               for code in errors},
        },
    }  # fmt: skip
    if body:
        name, media_type = body
        spec["requestBody"] = {"required": True, "content": {media_type: {"schema": ref(name)}}}
    return spec


@cache
def description():
    spec = APISpec(
        title="casebank API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": "Case studies, documents and reference data of casebank. "
                             "Send a personal access token as 'Authorization: Bearer ...'."},
        servers=[{"url": "/api/v1"}],
    )  # fmt: skip
    spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema=schema)
    for name, schema in extra_schemas().items():
        spec.components.schema(name, schema)
    paths = {}
    for path, method, *details in OPERATIONS:
        paths.setdefault(path, {})[method] = operation(*details)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    # Plain JSON: the schemas' bounds may be Decimals (the largest amount).
    return json.loads(json.dumps(spec.to_dict(), default=plain_number))


def plain_number(value):
    return int(value) if value == int(value) else float(value)


@bp.get("/openapi.json")
def openapi():
    return jsonify(description())


@bp.get("/reference")
def reference():
    spec = description()
    return render_template("api/reference.html", spec=spec, schemas=spec["components"]["schemas"])
