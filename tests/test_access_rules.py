"""The access matrix: every route of the app, for every role, answers as declared.

A route without a declared rule in auth/permissions.py fails test_every_route_declares_a_rule;
a route with arguments needs an example in EXAMPLE_ARGS, or test_matrix fails.
Denied: 404 (or, for an anonymous visitor on a members' page, a redirect to the login page).
Allowed: anything else; a POST without a CSRF token then answers 400, proving it got past the
access rule.
"""

import pytest
from flask import url_for
from sqlalchemy import select

from casebank.auth import permissions
from casebank.auth.permissions import ENDPOINT_RULES, LOGIN_FIRST
from casebank.models import AccessRequest, AwardRound, CaseStudy, Document, Nomination, User
from casebank.services import accounts, documents, feedback, saved_searches
from casebank.services.cases import attachments
from tests.auth_actions import ROLE_USERS, ROLES
from tests.document_files import real_png
from tests.factories import join_partner, make_case


def routes(app):
    return sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    )


def example_args(db, role="partner"):
    restricted = db.session.scalar(select(CaseStudy).filter_by(access_level="restricted"))
    public = db.session.scalar(select(CaseStudy).filter_by(access_level="public"))
    request = accounts.request_access(
        {
            "name": "A. Applicant",
            "organisation": "Customs",
            "email": "applicant@customs.example.org",
            "country": "KE",
            "role_wanted": "officer",
            "justification": "x" * 40,
            "supervisor_contact": "The chief",
        }  # fmt: skip
    )
    partner = db.session.scalar(select(User).filter_by(email=ROLE_USERS["partner"][0]))
    risk = db.session.scalar(select(Document).filter_by(kind="risk_indicator"))
    public_document = documents.create_document(
        {"title": "Guide", "kind": "guidance", "access_level": "public", "status": "published"},
        b"A public guide.\n",
        "guide.txt",
    )
    on_risk = {"document_id": risk.id}
    picture = documents.create_document(  # a real image: its version 1 has a thumbnail
        {"title": "Poster", "kind": "image", "access_level": "public", "status": "published"},
        real_png(),
        "poster.png",
    )
    on_version = {"document_id": picture.id, "number": 1}
    comment = feedback.submit(
        {"rating": 4, "comment": "Useful.", "consent_to_publish": True}, picture, None
    )
    on_feedback = {"feedback_id": comment.id}
    join_partner("TRAFFIC")  # the test partner's own organisation's draft
    own_case = make_case(status="draft", partner="TRAFFIC")
    on_case = {"reference": own_case.reference}
    photo = attachments.attach(
        own_case, partner, b"A note.\n", "note.txt", "Note", "other", "restricted"
    )
    partner_case_pages = ("case_page", "edit_case", "transition", "post_message", "compare")
    editorial_case_pages = ("case_review", "save_case", "case_transition", "case_message",
                            "assign_case", "compare_revisions")  # fmt: skip
    # A saved search is its owner's alone: each role's sweep reaches its own (anonymous: any).
    owner = accounts.find_user(ROLE_USERS[role][0]) if role in ROLE_USERS else partner
    saved = saved_searches.save_search(owner, "Ivory", "ivory", {})
    award = award_examples(db)
    db.session.commit()  # a refused request rolls back what is not committed (a savepoint here)
    return {
        **award,
        "static": {"filename": "css/site.css"},
        "security.static": {"filename": "js/base64.js"},
        "public.case_detail": {"reference": public.reference},
        "restricted.case_detail": {"reference": restricted.reference},
        "security.reset_password": {"token": "not-a-token"},
        "security.two_factor_setup_validate": {"token": "not-a-token"},
        "admin.access_request": {"request_id": request.id},
        "admin.decide_access_request": {"request_id": request.id},
        "admin.user": {"user_id": partner.id},
        "admin.update_user": {"user_id": partner.id},
        "admin.end_user_sessions": {"user_id": partner.id},
        "admin.set_user_active": {"user_id": partner.id},
        "account.end_session": {"handle": "not-a-session-handle"},
        "account.revoke_token": {"token_id": 999_999},
        "admin.set_user_partner": {"user_id": partner.id},
        "public.document_detail": {"document_id": public_document.id},
        "public.document_download": {"document_id": public_document.id},
        "public.set_language": {"code": "fr"},
        "restricted.risk_indicator_detail": on_risk,
        "restricted.document_detail": on_risk,
        "restricted.document_download": on_risk,
        "restricted.version_download": on_version,
        **{
            f"editorial.{name}": on_risk
            for name in ("edit_document", "update_document", "publication", "download")
        },
        **{f"partner.{name}": on_case for name in partner_case_pages},
        **{f"editorial.{name}": on_case for name in editorial_case_pages},
        "editorial.restore_revision": {**on_case, "number": 1},
        "partner.attach_file": on_case,
        "partner.download_attachment": {**on_case, "document_id": photo.id},
        "api.case_detail": {"reference": public.reference},
        **{f"api.{name}": on_case for name in API_CASE_CHECKS},
        "api.document_detail": {"document_id": public_document.id},
        "api.document_file": {"document_id": public_document.id},
        # Insight (issue 15)
        "public.case_list_export": {"fmt": "csv"},
        "public.search_export": {"fmt": "json"},
        "restricted.case_list_export": {"fmt": "csv"},
        **{
            f"saved_searches.{name}": {"search_id": saved.id}
            for name in ("edit", "update", "delete")
        },
        "saved_searches.unsubscribe": {"token": "not-a-token"},
        **{f"{side}.statistics_chart": {"name": "year"} for side in ("public", "restricted")},
        **{f"{side}.statistics_csv": {"name": "fines"} for side in ("public", "restricted")},
        # Document versions and feedback (issue 13)
        "public.document_feedback": {"document_id": picture.id},
        "public.version_download": on_version,
        "public.version_preview": on_version,
        "editorial.new_version": on_risk,
        "editorial.version_download": on_version,
        "editorial.version_preview": on_version,
        "editorial.reply_to_feedback": on_feedback,
        "editorial.mark_addressed": on_feedback,
        "editorial.document_feedback": on_risk,
        "editorial.feedback_chart": on_risk,
        "editorial.feedback_csv": on_risk,
    }


def award_examples(db):
    """A round judging now (the test judge, editor and admin named), the demo's open round
    (partners nominate in it) and an honoured nomination of the demo's announced round."""
    from tests.award_helpers import judging_round

    judging, nomination = judging_round()
    open_round = db.session.scalar(select(AwardRound).filter_by(status="nominations_open"))
    honoured = db.session.scalar(select(Nomination).where(Nomination.category.is_not(None)))
    on_round = {"round_id": judging.id}
    on_nomination = {**on_round, "nomination_id": nomination.id}
    return {
        **{f"editorial.{name}": on_round for name in ("award_round", "edit_award_round",
                                                     "award_transition", "award_results")},
        "editorial.nominate": {"round_id": open_round.id},
        "editorial.feature_case": {"reference": nomination.case_study.reference},
        "judging.round": on_round,
        "judging.nomination": on_nomination,
        "judging.declare_conflict": on_nomination,
        "partner.nominate": {"round_id": open_round.id},
        "public.certificate": {"nomination_id": honoured.id},
    }  # fmt: skip


# The API's per-case checks, after the endpoint rule (the example case is a partner's draft).
API_CASE_CHECKS = {
    "case_status": permissions.can_discuss_case,
    "update_case": permissions.can_edit_case,
    "case_transition": permissions.can_discuss_case,
    "post_message": permissions.can_discuss_case,
    "attach_file": permissions.can_revise_submission,
}


def test_every_route_declares_a_rule(app):
    undeclared = {endpoint for endpoint, _ in routes(app)} - set(ENDPOINT_RULES)
    assert not undeclared, f"routes without an access rule: {sorted(undeclared)}"


def test_no_rule_is_declared_for_a_route_that_does_not_exist(app):
    assert set(ENDPOINT_RULES) <= {endpoint for endpoint, _ in routes(app)}


def allowed(endpoint, role, app):
    """The declared answer: does the rule let this role through? (From the test client's
    address: some rules, such as /metrics', depend on where a request comes from.)"""
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        if role == "anonymous":
            user = permissions.current_user()
        else:
            user = accounts.find_user(ROLE_USERS[role][0])
        return ENDPOINT_RULES[endpoint](user)


@pytest.mark.parametrize("role", ROLES)
def test_matrix(app, client, auth, db, role):
    args = example_args(db, role)
    auth.login(role)
    checked = 0
    for endpoint, method in routes(app):
        if endpoint == "security.logout":
            continue  # logging out mid-sweep would turn the rest into anonymous requests
        if endpoint.startswith("api.") and method != "GET":
            # A cookie never writes through the API (which takes no CSRF token), whoever it is.
            with app.test_request_context():
                url = url_for(endpoint, **args.get(endpoint, {}))
            assert client.open(url, method=method).status_code == 401, (endpoint, role)
            checked += 1
            continue
        if endpoint in ("api.case_status",):
            checked += 1  # by token below (test_api_matrix); its case check is the case's
            continue
        with app.test_request_context():
            url = url_for(endpoint, **args.get(endpoint, {}))
        response = client.open(url, method=method)
        response.close()
        status, location = response.status_code, response.location or ""
        where = (endpoint, method, role, status)
        if allowed(endpoint, role, app):
            assert status != 404, where
            if not endpoint.startswith("security."):  # its views steer their own flows
                assert "/account/login" not in location, where
            if method == "POST":
                assert status == 400, where  # no CSRF token: past the rule, stopped by CSRF
        elif role == "anonymous" and method == "GET" and ENDPOINT_RULES[endpoint] in LOGIN_FIRST:
            assert status == 302 and "/account/login" in location, where
        else:
            assert status == 404, where
        checked += 1
    assert checked == len(routes(app)) - 1


def test_undeclared_endpoint_is_denied(client, monkeypatch):
    monkeypatch.delitem(permissions.ENDPOINT_RULES, "public.about")
    assert client.get("/about").status_code == 404


def test_expired_officer_loses_the_restricted_area_but_keeps_an_account(auth, client):
    auth.login("expired_officer")
    assert client.get("/restricted/").status_code == 404
    assert client.get("/account/").status_code == 200


def test_officer_reads_restricted_cases(auth, client, db):
    restricted = db.session.scalar(select(CaseStudy).filter_by(access_level="restricted"))
    auth.login("officer")
    response = client.get(f"/restricted/cases/{restricted.reference}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert restricted.title in response.get_data(as_text=True)


def test_a_pending_request_is_visible_only_in_administration(auth, client, db):
    args = example_args(db)
    auth.login("admin")
    page = client.get(f"/admin/access-requests/{args['admin.access_request']['request_id']}")
    assert "A. Applicant" in page.get_data(as_text=True)
    assert db.session.get(AccessRequest, args["admin.access_request"]["request_id"])


def test_a_denied_request_is_logged_without_its_query_string(auth, client, caplog):
    auth.login("partner")
    with caplog.at_level("WARNING", logger="casebank.auth.permissions"):
        response = client.get("/restricted/cases?q=secret-words")
    assert response.status_code == 404
    partner = accounts.find_user(ROLE_USERS["partner"][0])
    assert f"denied GET /restricted/cases to user {partner.id} (is_officer)" in caplog.text
    assert "secret-words" not in caplog.text


def api_routes(app):
    return [(e, m) for e, m in routes(app) if e.startswith("api.")]


@pytest.mark.parametrize("role", ROLES)
def test_api_matrix(app, client, db, role):
    """Every API route with a token of every role holding every scope the role allows: the
    endpoint rule and the case's own check decide; denied answers 404 like a missing case;
    allowed writes without a body stop at the body (415), past every access check."""
    from casebank.auth import tokens
    from tests.api_helpers import bearer, token_for

    args = example_args(db)
    reference = args["api.case_status"]["reference"]
    case = db.session.scalar(select(CaseStudy).filter_by(reference=reference))
    headers = {}
    if role != "anonymous":
        user = accounts.find_user(ROLE_USERS[role][0])
        with app.test_request_context():
            secret = token_for(user, *tokens.scopes_allowed(user))
        db.session.commit()
        headers = bearer(secret)
    for endpoint, method in api_routes(app):
        with app.test_request_context(method=method, headers=headers):
            url = url_for(endpoint, **args.get(endpoint, {}))
            principal = tokens.principal_for(secret, writing=method != "GET") if headers else None
            user = principal or permissions.current_user()
            expected = ENDPOINT_RULES[endpoint](user)
            check = API_CASE_CHECKS.get(endpoint.removeprefix("api."))
            if expected and check is not None:
                expected = check(user, case)
        response = client.open(url, method=method, headers=headers)
        status = response.status_code
        where = (endpoint, method, role, status)
        if method == "GET":
            assert status == (200 if expected else 404), where
        elif not headers:
            assert status == 401, where
        else:
            assert status == (415 if expected else 404), where
