"""What the audit log records of people's actions, and the admin's view and export of it."""

import json

from sqlalchemy import select

from casebank.models import AuditEvent, CaseStudy
from casebank.services import accounts, audit
from tests.auth_actions import PASSWORD, ROLE_USERS
from tests.factories import make_case


def events(db, action):
    return list(db.session.scalars(select(AuditEvent).filter_by(action=action)))


def test_logins_failures_and_logouts_are_recorded(auth, db):
    auth.login("partner", password="Wrong-Password-123")
    auth.login(email="nobody@casebank.example.org")
    auth.login("officer")
    auth.logout()
    failures = events(db, "login.failure")
    assert {f.actor_label for f in failures} >= {ROLE_USERS["partner"][0], "anonymous"}
    assert any(f.details.get("identity") == "nobody@casebank.example.org" for f in failures)
    assert events(db, "login.success")[-1].actor_label == ROLE_USERS["officer"][0]
    assert events(db, "tf.confirmed")
    assert events(db, "logout")[-1].actor_label == ROLE_USERS["officer"][0]


def test_no_password_reaches_the_log(auth, db):
    auth.login("partner", password="Wrong-Password-123")
    auth.login("partner")
    stored = json.dumps([e.details for e in db.session.scalars(select(AuditEvent))])
    assert PASSWORD not in stored and "Wrong-Password-123" not in stored


def test_restricted_views_are_recorded(auth, client, db):
    case = db.session.scalar(select(CaseStudy).filter_by(access_level="restricted"))
    auth.login("officer")
    client.get(f"/restricted/cases/{case.reference}")
    client.get("/restricted/cases?country=KE")
    view = events(db, "restricted.case.view")[-1]
    assert (view.target_type, view.target_id) == ("case_studies", str(case.id))
    assert view.actor_label == ROLE_USERS["officer"][0]
    assert events(db, "restricted.case.list")[-1].details["filters"] == {"country": "KE"}


def test_role_changes_are_recorded_with_before_and_after(auth, db):
    partner = accounts.find_user(ROLE_USERS["partner"][0])
    auth.login("admin")
    auth.post_form(
        f"/admin/users/{partner.id}", {"roles": ["partner", "editor"], "save_roles": "y"}
    )
    change = events(db, "account.roles_changed")[-1]
    assert change.actor_label == ROLE_USERS["admin"][0]
    assert change.details == {"before": ["partner"], "after": ["editor", "partner"]}


def test_admin_filters_the_log_and_others_cannot_see_it(auth, client, db):
    auth.login("partner", password="Wrong-Password-123")
    auth.login("admin")
    html = client.get("/admin/audit?action=login.failure").get_data(as_text=True)
    assert "login.failure" in html and "login.success</th>" not in html
    auth.logout()
    auth.login("officer")
    assert client.get("/admin/audit").status_code == 404


def test_export_needs_a_fresh_password_and_is_itself_recorded(auth, client, db):
    auth.login("admin")
    fresh = client.get("/admin/audit.csv?action=login.success")
    assert fresh.status_code == 200 and fresh.mimetype == "text/csv"
    assert "login.success" in fresh.get_data(as_text=True)
    assert events(db, "audit.exported")
    with client.session_transaction() as session:
        session["fs_paa"] -= 3600
    stale = client.get("/admin/audit.csv")
    assert stale.status_code == 302 and "/account/verify" in stale.location


def test_the_chain_stays_intact_through_real_use(auth, client, db):
    auth.login("officer")
    client.get("/restricted/cases")
    assert audit.verify_chain().intact


def test_publishing_through_import_is_recorded(db):
    case = make_case(status="draft")

    def published():
        return [e.actor_label for e in events(db, "case.published") if e.target_id == str(case.id)]

    assert published() == []
    make_case(reference=case.reference, status="published")
    assert published() == ["system"]
    make_case(reference=case.reference, status="published", title="Edited title")
    assert published() == ["system"]  # an edit of a published case is not a new publication


def test_the_audit_pages_export_link_takes_no_argument_url_for_reads_itself(auth, client):
    auth.login("admin")
    response = client.get("/admin/audit?action=login.failure&endpoint=x&_anchor=y")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'href="/admin/audit.csv?action=login.failure"' in html
