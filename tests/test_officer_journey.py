"""The whole way in, as issue 3 describes it: an admin created on the command line approves a
request, the invited officer sets a password, enrols two-factor authentication with an
authenticator app and reads restricted case studies; a partner and the public cannot; the
audit log shows it all."""

import re

import pyotp
from sqlalchemy import select

from casebank.mail import outbox_messages
from casebank.models import AuditEvent, CaseStudy
from tests.auth_actions import AuthActions, authenticator_key, csrf_token

ADMIN = "head.of.secretariat@casebank.example.org"
OFFICER = "j.mwangi@kra.example.org"
ADMIN_PASSWORD = "Baobab-Lantern-Harbour-71"
OFFICER_PASSWORD = "Cedar-Compass-Monsoon-38"


def enrol_authenticator(actions):
    """Choose the authenticator app, read the key as a person would, answer with a code."""
    page = actions.post_form("/account/tf-setup", {"setup": "authenticator"})
    html = page.get_data(as_text=True)
    key = authenticator_key(html)
    code = pyotp.TOTP(key.replace("-", "")).now()
    actions.client.post("/account/tf-validate", data={"csrf_token": csrf_token(html), "code": code})
    return key


def test_from_command_line_admin_to_officer_reading_restricted_cases(app, runner, db):
    created = runner.invoke(
        args=["casebank", "user", "create", ADMIN, "--role", "admin", "--password-stdin"],
        input=ADMIN_PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.output

    public_visitor = app.test_client()
    visitor = AuthActions(app, public_visitor)
    visitor.post_form(
        "/account/request-access",
        {"name": "Joseph Mwangi", "organisation": "Kenya Revenue Authority", "email": OFFICER,
         "country": "KE", "role_wanted": "officer",
         "justification": "Risk profiling of export containers at the Port of Mombasa.",
         "supervisor_contact": "Head of Enforcement, enforcement@kra.example.org"},
    )  # fmt: skip

    admin_client = app.test_client()
    admin = AuthActions(app, admin_client)
    admin.post_form("/account/login", {"email": ADMIN, "password": ADMIN_PASSWORD})
    enrol_authenticator(admin)  # an admin must enrol before anything else
    queue = admin_client.get("/admin/access-requests").get_data(as_text=True)
    request_id = re.search(r'/admin/access-requests/(\d+)">Joseph Mwangi', queue).group(1)
    admin.post_form(f"/admin/access-requests/{request_id}", {"approve": "y"})

    invitation = outbox_messages()[-1].read_text()
    assert OFFICER in invitation
    link = re.search(r"http://localhost(/account/reset/\S+)", invitation).group(1)
    officer_client = app.test_client()
    officer = AuthActions(app, officer_client)
    officer.post_form(link, {"password": OFFICER_PASSWORD, "password_confirm": OFFICER_PASSWORD})
    officer.post_form("/account/login", {"email": OFFICER, "password": OFFICER_PASSWORD})
    assert officer_client.get("/restricted/").status_code != 200  # not before 2FA
    enrol_authenticator(officer)

    restricted = db.session.scalar(select(CaseStudy).filter_by(access_level="restricted"))
    page = officer_client.get(f"/restricted/cases/{restricted.reference}")
    assert page.status_code == 200
    assert restricted.title in page.get_data(as_text=True)
    assert public_visitor.get(f"/restricted/cases/{restricted.reference}").status_code == 302
    assert public_visitor.get(f"/cases/{restricted.reference}").status_code == 404
    partner = app.test_client()
    AuthActions(app, partner).login("partner")
    assert partner.get(f"/restricted/cases/{restricted.reference}").status_code == 404

    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    for expected in ("account.created", "access_request.approved", "tf.enrolled",
                     "login.success", "restricted.case.view"):  # fmt: skip
        assert expected in actions, (expected, sorted(set(actions)))
    log = admin_client.get("/admin/audit?action=restricted.case.view").get_data(as_text=True)
    assert OFFICER in log
