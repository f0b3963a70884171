"""The API's case studies, documents and reference data: every filter, pages with Link
headers, ETags, restricted fields only with an officer's token (canaries), partner isolation
by guessing, per-field errors, content types and sizes, and a case's whole way from a
partner's draft to publication through the same services as the web pages."""

import io
import re

import pytest
from sqlalchemy import select

from casebank.models import AuditEvent, CaseStudy
from casebank.services.cases.editing import FORM_FIELDS
from tests.api_helpers import bearer, token_for
from tests.document_files import JPEG
from tests.factories import (
    canary_cases,
    case_record,
    join_partner,
    make_case,
    make_partner_user,
)

CANARY_NOTES = "canary-notes-margay-3317"
CANARY_CASE = "canary-case-saola-2290"


def token(app, role, *scopes):
    with app.test_request_context():
        return bearer(token_for(role, *scopes))


def references(response):
    assert response.status_code == 200, response.get_json()
    return {item["reference"] for item in response.get_json()["items"]}


@pytest.fixture
def canaries(db):
    cases = canary_cases(CANARY_NOTES, CANARY_CASE)
    db.session.commit()
    return cases


# Reading
FILTERS = [
    ("convention", "BASEL", {"conventions": ["BASEL"], "commodity_category": "e_waste",
                             "hs_codes": ["8549.11"], "cites_appendix": None,
                             "species_scientific_name": None}),
    ("country", "TZ", {"country": "TZ"}),
    ("year", "2003", {"seizure_date": "2003-05-06"}),
    ("detection_method", "detector_dog", {"detection_method": "detector_dog"}),
    ("prosecution_status", "convicted", {"prosecution_status": "convicted"}),
    ("hs", "0507", {"hs_codes": ["0507.90"]}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "value", "fields"), FILTERS)
def test_every_filter_keeps_only_matching_cases(client, db, name, value, fields):
    base = {"hs_codes": ["0106.20"], "country": "UG", "seizure_date": "2001-01-01",
            "detection_method": "document_check", "prosecution_status": "none"}  # fmt: skip
    matching = make_case(**{**base, **fields})
    other = make_case(**base)
    db.session.commit()
    found = references(client.get(f"/api/v1/cases?{name}={value}&per_page=100"))
    assert matching.reference in found
    assert other.reference not in found
    for item in client.get(f"/api/v1/cases?{name}={value}&per_page=100").get_json()["items"]:
        shown = item["seizure_date"][:4] if name == "year" else item.get(name)
        if name == "convention":
            assert value in item["conventions"]
        elif name == "hs":
            assert any(code.startswith(value) for code in item["hs_codes"])
        else:
            assert shown == value


def test_q_searches_the_text_next_to_the_filters(client, db, search_index):
    from casebank.search import index_cases

    case = make_case(title="Okapi skins in a reefer", country="CD")
    db.session.commit()
    index_cases([case.id])
    assert references(client.get("/api/v1/cases?q=okapi")) == {case.reference}
    assert references(client.get("/api/v1/cases?q=okapi&country=KE")) == set()


def test_a_bad_filter_is_ignored_with_a_notice(client):
    body = client.get("/api/v1/cases?country=ZZ").get_json()
    assert body["total"] > 0 and "ZZ" in body["notices"][0]


def test_pages_carry_link_headers_and_bad_paging_is_a_field_error(client):
    first = client.get("/api/v1/cases?per_page=5")
    body = first.get_json()
    assert len(body["items"]) == 5 and body["pages"] == -(-body["total"] // 5)
    links = dict(
        (rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', first.headers["Link"])
    )
    assert set(links) == {"first", "next", "last"}
    second = client.get(links["next"])
    assert references(second).isdisjoint(references(first))
    assert 'rel="prev"' in second.headers["Link"]
    bad = client.get("/api/v1/cases?per_page=1000")
    assert bad.status_code == 400 and "per_page" in bad.get_json()["errors"]


@pytest.mark.parametrize(
    "query", ["_external=1", "endpoint=x", "_anchor=x", "_scheme=https", "_method=GET"]
)
def test_a_query_parameter_never_steers_the_link_header(client, query):
    """Link URLs are the request's own URL with another page: whatever the query holds
    (names that url_for() would read as its own options) is kept as query text, not a 500."""
    response = client.get(f"/api/v1/cases?per_page=5&{query}")
    assert response.status_code == 200
    links = re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])
    assert links and all(
        url.startswith("http://localhost/api/v1/cases?") and query in url and "#" not in url
        for url, _ in links
    )


def test_an_unchanged_answer_is_not_sent_again(client):
    first = client.get("/api/v1/cases?per_page=3")
    etag = first.headers["ETag"]
    again = client.get("/api/v1/cases?per_page=3", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/api/v1/cases?per_page=4", headers={"If-None-Match": etag})
    assert other.status_code == 200


@pytest.mark.parametrize(
    "who", [None, ("partner", "read"), ("editor", "read"), ("expired_officer", "read"),
            ("officer", "read")]
)  # fmt: skip
def test_restricted_text_never_reaches_those_not_cleared(app, client, db, canaries, who):
    public, restricted = canaries
    headers = token(app, *who) if who else {}
    db.session.commit()
    answers = [
        client.get("/api/v1/cases?per_page=100", headers=headers),
        client.get(f"/api/v1/cases/{public.reference}", headers=headers),
        client.get(f"/api/v1/cases/{restricted.reference}", headers=headers),
        client.get("/api/v1/cases?q=margay", headers=headers),
        client.get("/api/v1/search?q=margay", headers=headers),
    ]
    for answer in answers:
        text = answer.get_data(as_text=True)
        assert CANARY_NOTES not in text and CANARY_CASE not in text
    assert answers[2].status_code == 404
    assert "restricted_notes" not in answers[1].get_json()


def test_an_officers_token_reads_restricted_cases_and_fields_audited(app, client, db, canaries):
    public, restricted = canaries
    headers = token(app, "officer", "read", "restricted")
    db.session.commit()
    detail = client.get(f"/api/v1/cases/{restricted.reference}", headers=headers)
    assert detail.status_code == 200
    assert CANARY_NOTES in detail.get_json()["restricted_notes"]
    assert detail.headers["Cache-Control"] == "private, no-store"
    assert CANARY_NOTES in client.get(f"/api/v1/cases/{public.reference}", headers=headers).text
    assert restricted.reference in references(client.get("/api/v1/cases?per_page=100",
                                                         headers=headers))  # fmt: skip
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"api.restricted.case.view", "api.restricted.case.list"} <= actions


def test_a_partner_guessing_another_organisations_references_finds_nothing(app, client, db):
    make_partner_user("wco@partner.example.org", "WCO")
    theirs = make_case(status="draft", partner="WCO", title="Their draft okapiquill")
    join_partner("TRAFFIC")
    headers = token(app, "partner", "read", "submit")
    db.session.commit()
    base = f"/api/v1/cases/{theirs.reference}"
    missing = client.get("/api/v1/cases/CB-1999-NOPE", headers=headers)
    attempts = [
        client.get(base, headers=headers),
        client.get(f"{base}/status", headers=headers),
        client.put(base, json={"title": "Mine", "version": 1}, headers=headers),
        client.post(f"{base}/transitions", json={"name": "withdraw", "reason": "x"},
                    headers=headers),
        client.post(f"{base}/messages", json={"body": "Hello"}, headers=headers),
        client.post(f"{base}/attachments", data={"title": "x"}, headers=headers),
    ]  # fmt: skip
    for attempt in attempts:
        assert attempt.status_code == 404
        assert attempt.get_json() == missing.get_json()
    own = client.get("/api/v1/cases?own=true&per_page=100", headers=headers)
    assert theirs.reference not in references(own)


def test_documents_conventions_and_hs_codes(client):
    documents = client.get("/api/v1/documents").get_json()
    assert documents["total"] >= 1
    first = documents["items"][0]
    assert first["access_level"] == "public"
    detail = client.get(f"/api/v1/documents/{first['id']}").get_json()
    download = client.get(detail["download_url"])
    assert download.status_code == 200 and download.headers["Content-Disposition"]
    conventions = client.get("/api/v1/conventions").get_json()["items"]
    assert "MONTREAL" in {c["code"] for c in conventions}
    by_prefix = client.get("/api/v1/hs-codes?q=2903").get_json()["items"]
    assert by_prefix and all(h["code"].startswith("2903") for h in by_prefix)
    by_word = client.get("/api/v1/hs-codes?q=ivory").get_json()["items"]
    assert by_word


def test_restricted_documents_only_with_an_officers_token(app, client, db):
    from casebank.models import Document

    risk = db.session.scalar(select(Document).filter_by(kind="risk_indicator"))
    assert client.get(f"/api/v1/documents/{risk.id}").status_code == 404
    assert client.get(f"/api/v1/documents/{risk.id}/file").status_code == 404
    headers = token(app, "officer", "read", "restricted")
    db.session.commit()
    assert client.get(f"/api/v1/documents/{risk.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/documents/{risk.id}/file", headers=headers).status_code == 200


# Writing
@pytest.fixture
def partner_headers(app, db):
    join_partner("TRAFFIC")
    headers = token(app, "partner", "read", "submit")
    db.session.commit()
    return headers


def complete_record():
    record = case_record()
    return {f: record[f] for f in FORM_FIELDS if f in record}


def test_invalid_fields_answer_one_message_each(client, partner_headers):
    response = client.post(
        "/api/v1/cases",
        json={"title": "x" * 300, "seizure_date": "2999-01-01", "country": "XX",
              "reference": "MINE-1", "colour": "red"},
        headers=partner_headers,
    )  # fmt: skip
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    errors = response.get_json()["errors"]
    assert set(errors) == {"title", "seizure_date", "country", "reference", "colour"}
    assert errors["colour"] == ["Unknown field."]
    assert all(isinstance(m, str) for messages in errors.values() for m in messages)


def test_wrong_content_types_and_bodies(client, partner_headers):
    as_form = client.post("/api/v1/cases", data={"title": "x"}, headers=partner_headers)
    assert as_form.status_code == 415
    not_object = client.post("/api/v1/cases", json=["title"], headers=partner_headers)
    assert not_object.status_code == 400
    broken = client.post("/api/v1/cases", data="{", content_type="application/json",
                         headers=partner_headers)  # fmt: skip
    assert broken.status_code == 400 and broken.content_type == "application/problem+json"


def test_an_oversized_body_is_refused_unread(app, client, partner_headers, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    response = client.post("/api/v1/cases", json={"title": "x" * 5000}, headers=partner_headers)
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"


def test_errors_under_api_are_json_never_html(client):
    for response in (client.get("/api/v1/nowhere"), client.delete("/api/v1/conventions")):
        assert response.content_type == "application/problem+json"
        assert response.get_json()["status"] == response.status_code


def test_a_partner_drafts_attaches_submits_and_an_editor_publishes(app, client, db,
                                                                   partner_headers):  # fmt: skip
    created = client.post("/api/v1/cases", json={"title": "First draft"}, headers=partner_headers)
    assert created.status_code == 201
    reference = created.get_json()["reference"]
    assert created.headers["Location"].endswith(f"/api/v1/cases/{reference}")
    incomplete = client.post(f"/api/v1/cases/{reference}/transitions", json={"name": "submit"},
                             headers=partner_headers)  # fmt: skip
    assert incomplete.status_code == 422 and "summary" in incomplete.get_json()["errors"]

    record = {**complete_record(), "version": 1, "change_note": "Filled in."}
    saved = client.put(f"/api/v1/cases/{reference}", json=record, headers=partner_headers)
    assert saved.status_code == 200, saved.get_json()
    stale = client.put(f"/api/v1/cases/{reference}", json=record, headers=partner_headers)
    assert stale.status_code == 409  # version 1 is no longer the latest

    photo = client.post(
        f"/api/v1/cases/{reference}/attachments",
        data={"file": (io.BytesIO(JPEG), "tusks.jpg"), "title": "Tusks", "kind": "image",
              "access_level": "restricted"},
        headers=partner_headers, content_type="multipart/form-data",
    )  # fmt: skip
    assert photo.status_code == 201 and photo.get_json()["media_type"] == "image/jpeg"
    not_a_file = client.post(
        f"/api/v1/cases/{reference}/attachments",
        data={"file": (io.BytesIO(b"\x00\x01binary"), "x.exe"), "title": "X", "kind": "other",
              "access_level": "public"},
        headers=partner_headers, content_type="multipart/form-data",
    )  # fmt: skip
    assert not_a_file.status_code == 422 and "file" in not_a_file.get_json()["errors"]

    submitted = client.post(
        f"/api/v1/cases/{reference}/transitions",
        json={"name": "submit", "confirmed": True},
        headers=partner_headers,
    )
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "submitted"
    assert client.put(f"/api/v1/cases/{reference}", json={**record, "version": 2},
                      headers=partner_headers).status_code == 409  # fmt: skip

    editor = token(app, "editor", "read", "review")
    db.session.commit()
    asked = client.post(f"/api/v1/cases/{reference}/transitions",
                        json={"name": "request_changes"}, headers=editor)  # fmt: skip
    assert asked.status_code == 422 and "reason" in asked.get_json()["errors"]
    asked = client.post(f"/api/v1/cases/{reference}/transitions",
                        json={"name": "request_changes", "reason": "Add the court."},
                        headers=editor)  # fmt: skip
    assert asked.get_json()["status"] == "changes_requested"
    status = client.get(f"/api/v1/cases/{reference}/status", headers=partner_headers).get_json()
    assert status["status"] == "changes_requested"
    assert "Add the court." in [m["body"] for m in status["messages"]]
    assert [r["number"] for r in status["history"]] == [2, 1]
    said = client.post(f"/api/v1/cases/{reference}/messages", json={"body": "Done."},
                       headers=partner_headers)  # fmt: skip
    assert said.status_code == 201
    again = client.post(
        f"/api/v1/cases/{reference}/transitions",
        json={"name": "submit", "confirmed": True},
        headers=partner_headers,
    )
    assert again.status_code == 200

    refused = client.post(f"/api/v1/cases/{reference}/transitions",
                          json={"name": "publish", "access_level": "public"},
                          headers=partner_headers)  # fmt: skip
    assert refused.status_code == 409  # the partner's own case, but not the partner's move
    published = client.post(f"/api/v1/cases/{reference}/transitions",
                            json={"name": "publish", "access_level": "public_with_notes"},
                            headers=editor)  # fmt: skip
    assert published.get_json()["status"] == "published"
    public = client.get(f"/api/v1/cases/{reference}")
    assert public.status_code == 200 and "status" not in public.get_json()
    case = db.session.scalar(select(CaseStudy).filter_by(reference=reference))
    assert case.partner.acronym == "TRAFFIC"


def test_an_editor_token_without_review_cannot_move_cases(app, client, db):
    case = make_case(status="submitted", partner="TRAFFIC")
    headers = token(app, "editor", "read")
    db.session.commit()
    response = client.post(
        f"/api/v1/cases/{case.reference}/transitions",
        json={"name": "reject", "reason": "No."},
        headers=headers,
    )
    assert response.status_code == 404
    assert db.session.get(CaseStudy, case.id).status == "submitted"


def test_a_transition_body_refuses_unknown_fields_and_names(client, partner_headers):
    created = client.post("/api/v1/cases", json={"title": "Draft"}, headers=partner_headers)
    reference = created.get_json()["reference"]
    response = client.post(
        f"/api/v1/cases/{reference}/transitions",
        json={"name": "destroy", "force": True},
        headers=partner_headers,
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"name", "force"}


def test_a_partner_withdraws_and_an_editor_rejects_with_reasons(app, client, db, partner_headers):
    mine = make_case(status="submitted", partner="TRAFFIC")
    other = make_case(status="in_review", partner="TRAFFIC")
    editor = token(app, "editor", "read", "review")
    db.session.commit()
    no_reason = client.post(f"/api/v1/cases/{mine.reference}/transitions",
                            json={"name": "withdraw"}, headers=partner_headers)  # fmt: skip
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    withdrawn = client.post(f"/api/v1/cases/{mine.reference}/transitions",
                            json={"name": "withdraw", "reason": "Sent twice."},
                            headers=partner_headers)  # fmt: skip
    assert withdrawn.get_json()["status"] == "withdrawn"
    seen = client.get(f"/api/v1/cases/{other.reference}", headers=editor).get_json()
    assert seen["status"] == "in_review" and "restricted_notes" in seen
    rejected = client.post(
        f"/api/v1/cases/{other.reference}/transitions",
        json={"name": "reject", "reason": "Out of scope."},
        headers=editor,
    )
    assert rejected.get_json()["status"] == "rejected"
    assert "reject" not in rejected.get_json()["transitions"]
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"case.withdraw", "case.reject"} <= actions
