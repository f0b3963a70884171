"""Public feedback: the happy path, every refusal (and what it keeps), comments shown inert,
moderation and its effect on public pages, averages, replies, the reply address never shown
publicly, the CSV export, "addressed in a later version", the chart and the digest."""

import csv
import io
import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from casebank.extensions import db
from casebank.mail import outbox_messages
from casebank.models import Feedback
from casebank.models.case_study import utc_now
from casebank.services import document_versions, documents
from casebank.services import feedback as feedback_service
from tests.auth_actions import csrf_token
from tests.search_helpers import search

CANARY_NAME = "Zebulon Quartermaine"
ADDRESS = "reply-canary@visitor.example.org"


def public_guide(text=b"A guide to green customs.\n", title="Green guide"):
    document = documents.create_document(
        {"title": title, "kind": "guidance", "access_level": "public", "status": "published"},
        text,
        "guide.txt",
    )
    db.session.commit()
    return document


@pytest.fixture
def later(monkeypatch):
    """Time passes between showing the form and sending it (the minimum fill time), without
    the test waiting: the service's clock is moved a minute ahead."""
    monkeypatch.setattr(feedback_service, "utc_now", lambda: utc_now() + timedelta(minutes=1))


def hidden(html, name):
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    return unescape(match.group(1)) if match else ""


def form_fields(page_html, **typed):
    fields = {
        "csrf_token": csrf_token(page_html),
        "started": hidden(page_html, "started"),
        "version": hidden(page_html, "version"),
        "rating": "4",
        "comment": "Clear and useful.",
        "name": "",
        "organisation": "",
        "country": "",
        "reply_email": "",
        "website": "",
        "consent_to_publish": "y",
    }
    fields.update(typed)
    return {k: v for k, v in fields.items() if v is not None}


def send(client, document=None, **typed):
    page_path = f"/documents/{document.id}" if document else "/feedback"
    post_path = f"/documents/{document.id}/feedback" if document else "/feedback"
    page = client.get(page_path).get_data(as_text=True)
    return client.post(post_path, data=form_fields(page, **typed))


def stored():
    return list(db.session.scalars(select(Feedback).order_by(Feedback.id)))


def page_of(client, document=None):
    return client.get(f"/documents/{document.id}" if document else "/feedback").get_data(
        as_text=True
    )


def approve_all(editor_user=None):
    from casebank.services.accounts import find_user
    from tests.auth_actions import ROLE_USERS

    editor = editor_user or find_user(ROLE_USERS["editor"][0])
    feedback_service.moderate([f.id for f in stored()], "approve", editor)
    db.session.commit()


# The happy path
def test_a_visitor_leaves_feedback_that_waits_for_moderation(client, later):
    guide = public_guide()
    before = len(stored())
    response = send(client, guide, comment="Very clear.", name=CANARY_NAME, reply_email=ADDRESS)
    assert response.status_code == 302 and response.location.endswith("#feedback")
    (item,) = stored()[before:]
    assert (item.status, item.rating, item.comment) == ("pending", 4, "Very clear.")
    assert item.document_id == guide.id and item.version.number == 1
    assert item.reply_email == ADDRESS
    page = page_of(client, guide)
    assert "Very clear." not in page and CANARY_NAME not in page  # pending: not public
    assert "No approved feedback yet." in page


def test_feedback_on_the_site_as_a_whole(client, later):
    assert send(client, comment="Nice site for case studies.").status_code == 302
    item = stored()[-1]
    assert item.document_id is None and item.version_id is None
    approve_all()
    assert "Nice site for case studies." in page_of(client)


def test_feedback_belongs_to_the_version_the_visitor_read(client, later, auth):
    guide = public_guide()
    page = page_of(client, guide)  # the visitor reads version 1...
    document_versions.add_version(
        guide, {"label": "2", "version_date": utc_now().date()}, b"Second text.\n", "g.txt", None
    )
    db.session.commit()  # ...while an editor publishes version 2
    client.post(f"/documents/{guide.id}/feedback", data=form_fields(page))
    assert stored()[-1].version.number == 1
    assert send(client, guide).status_code == 302  # read from the page now showing version 2
    assert stored()[-1].version.number == 2


# Every refusal: a clear message, what was typed kept, nothing stored
REFUSALS = {
    "honeypot": ({"website": "http://spam.example"}, "could not be accepted"),
    "forged start time": ({"started": "not-a-signed-time"}, "could not be accepted"),
    "too long": ({"comment": "x" * 2001}, "At most 2000 characters"),
    "too many links": (
        {"comment": "See http://a.example http://b.example and www.c.example now"},
        "At most 2 links",
    ),
    "bad rating": ({"rating": "7"}, "Not a valid choice"),
    "no rating": ({"rating": None}, "Choose a rating from 1 to 5."),
    "no comment": ({"comment": ""}, "This field is required."),
    "bad e-mail": ({"reply_email": "not an address"}, "Invalid email address."),
    "missing CSRF": ({"csrf_token": None}, "The CSRF token is missing."),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_refused_submission_says_why_and_keeps_what_was_typed(client, later, case):
    guide = public_guide()
    fields, message = REFUSALS[case]
    before = len(stored())
    typed = {"name": "Kept Name", "organisation": "Kept Organisation", **fields}
    if "comment" not in fields:
        typed["comment"] = "Kept comment words"
    response = send(client, guide, **typed)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert message in html
    assert "Kept Name" in html and "Kept Organisation" in html
    if "comment" not in fields:
        assert "Kept comment words" in html
    assert len(stored()) == before


def test_a_form_sent_too_fast_is_refused_and_kept(client):
    guide = public_guide()  # no `later`: sent in the same second the form was shown
    response = send(client, guide, comment="Written by a robot")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "could not be accepted" in html and "Written by a robot" in html
    assert not [f for f in stored() if f.comment == "Written by a robot"]


def test_the_honeypot_is_hidden_from_people(client):
    html = page_of(client, public_guide())
    assert re.search(r'<div class="trap" aria-hidden="true">.*?name="website"', html, re.S)


def test_too_many_submissions_from_one_address_are_refused_and_kept(client, later):
    guide = public_guide()
    for n in range(5):
        assert send(client, guide, comment=f"Comment {n}").status_code == 302
    response = send(client, guide, comment="One too many")
    assert response.status_code == 429
    assert "One too many" in response.get_data(as_text=True)
    assert not [f for f in stored() if f.comment == "One too many"]


# Comments are text
XSS = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    '<a href="http://evil.example">click</a>',
    "javascript:alert(1)",
]


def test_html_and_script_in_feedback_are_shown_never_run(client, later):
    guide = public_guide()
    for payload in XSS:
        assert send(client, guide, comment=payload, name=payload).status_code == 302
    approve_all()
    html = page_of(client, guide)
    for payload in XSS:
        if "<" in payload:
            assert payload not in html  # never as markup...
        assert payload in unescape(html)  # ...but shown as text
    assert 'href="http://evil.example"' not in html and 'href="javascript:' not in html


# Moderation and what the public sees
def test_each_moderation_action_and_its_effect_on_the_public_page(client, later, auth):
    guide = public_guide()
    for word in ("alpha", "bravo", "charlie", "delta"):
        send(client, guide, comment=f"Comment {word}", name=f"Writer {word}")
    items = {f.comment: f for f in stored() if f.document_id == guide.id}
    auth.login("editor")
    queue = client.get("/editorial/feedback").get_data(as_text=True)
    assert all(f"Comment {w}" in queue for w in ("alpha", "bravo", "charlie", "delta"))
    token = csrf_token(queue)
    for action, words in (("approve", ["alpha", "bravo"]), ("reject", ["charlie"]),
                          ("spam", ["delta"])):  # fmt: skip
        ids = [str(items[f"Comment {w}"].id) for w in words]
        response = client.post(
            "/editorial/feedback/moderation",
            data={"csrf_token": token, "action": action, "ids": ids, "status": "any"},
        )
        assert response.status_code == 302
    assert {f.comment: f.status for f in items.values()} == {
        "Comment alpha": "approved",
        "Comment bravo": "approved",
        "Comment charlie": "rejected",
        "Comment delta": "spam",
    }
    auth.logout()
    html = page_of(client, guide)
    assert "Comment alpha" in html and "Comment bravo" in html
    assert "Writer charlie" not in html and "Comment charlie" not in html
    assert "Writer delta" not in html and "Comment delta" not in html


def test_moderation_without_a_csrf_token_or_with_an_unknown_action_is_refused(client, auth):
    auth.login("editor")
    token = csrf_token(client.get("/editorial/feedback").get_data(as_text=True))
    assert (
        client.post("/editorial/feedback/moderation", data={"action": "approve"}).status_code == 400
    )
    response = client.post(
        "/editorial/feedback/moderation", data={"csrf_token": token, "action": "delete"}
    )
    assert response.status_code == 400


def test_averages_count_approved_feedback_only(client, later):
    guide = public_guide()
    for rating in ("5", "4", "2"):
        send(client, guide, rating=rating)
    send(client, guide, rating="1", comment="Stays pending")
    pending = stored()[-1]
    approved = [f.id for f in stored() if f.document_id == guide.id and f.id != pending.id]
    from casebank.services.accounts import find_user
    from tests.auth_actions import ROLE_USERS

    feedback_service.moderate(approved, "approve", find_user(ROLE_USERS["editor"][0]))
    db.session.commit()
    summary = feedback_service.summary(guide.id)
    assert (summary.count, summary.average) == (3, 3.7)
    assert "Average rating 3.7 out of 5, from 3 approved reviews" in page_of(client, guide)


def test_without_consent_the_rating_counts_but_nothing_is_published(client, later):
    guide = public_guide()
    send(client, guide, comment="Private remark", name=CANARY_NAME, consent_to_publish=None)
    approve_all()
    html = page_of(client, guide)
    assert "Private remark" not in html and CANARY_NAME not in html
    assert "1 more rating was given without a comment to publish." in html


def test_a_public_reply_shows_beneath_approved_feedback(client, later, auth):
    guide = public_guide()
    send(client, guide, comment="Where is the annex?")
    item = stored()[-1]
    auth.login("editor")
    token = csrf_token(client.get("/editorial/feedback").get_data(as_text=True))
    response = client.post(
        f"/editorial/feedback/{item.id}/reply",
        data={"csrf_token": token, "reply": "Annex two is <b>at the end</b>."},
    )
    assert response.status_code == 302
    assert "Annex two" not in page_of(client, guide)  # pending: neither is shown
    approve_all()
    html = page_of(client, guide)
    assert "Reply from the secretariat" in html
    assert "Annex two is &lt;b&gt;at the end&lt;/b&gt;." in html


# The reply address
def test_the_reply_address_is_never_shown_to_the_public_nor_to_editors(client, later, auth):
    guide = public_guide()
    send(client, guide, reply_email=ADDRESS)
    send(client, reply_email=ADDRESS)
    approve_all()
    for path in (
        f"/documents/{guide.id}",
        "/feedback",
        "/api/v1/documents",
        f"/api/v1/documents/{guide.id}",
    ):
        assert ADDRESS not in client.get(path).get_data(as_text=True), path
    auth.login("editor")
    for path in ("/editorial/feedback?status=any", f"/editorial/documents/{guide.id}/feedback",
                 f"/editorial/documents/{guide.id}/feedback.csv"):  # fmt: skip
        body = client.get(path).get_data(as_text=True)
        assert ADDRESS not in body, path
    assert "left an address for a reply" in client.get("/editorial/feedback?status=any").get_data(
        as_text=True
    )


def test_admins_see_the_reply_address(client, later, auth):
    guide = public_guide()
    send(client, guide, reply_email=ADDRESS)
    auth.login("admin")
    assert ADDRESS in client.get("/editorial/feedback").get_data(as_text=True)


def test_the_reply_address_is_sealed_at_rest(client, later):
    from sqlalchemy import text

    send(client, public_guide(), reply_email=ADDRESS)
    raw = db.session.execute(
        text("SELECT reply_email FROM feedback WHERE id = :id"), {"id": stored()[-1].id}
    ).scalar_one()
    assert ADDRESS.encode() not in bytes(raw)


# Per document: export, chart, addressed
def test_the_csv_export_neutralises_formulas_and_leaves_out_the_address(client, later, auth):
    guide = public_guide()
    send(client, guide, comment="=HYPERLINK(\"http://evil.example\")", name="@SUM(A1)",
         reply_email=ADDRESS)  # fmt: skip
    auth.login("editor")
    response = client.get(f"/editorial/documents/{guide.id}/feedback.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(feedback_service.CSV_HEADER)
    assert "reply_email" not in rows[0] and ADDRESS not in response.get_data(as_text=True)
    (row,) = rows[1:]
    record = dict(zip(rows[0], row, strict=True))
    assert record["comment"] == '\'=HYPERLINK("http://evil.example")'
    assert record["name"] == "'@SUM(A1)"
    assert record["version"] == "1" and record["status"] == "pending"


def test_editors_see_ratings_over_time_and_per_version(client, later, auth):
    guide = public_guide()
    send(client, guide, rating="3")
    send(client, guide, rating="5")
    approve_all()
    auth.login("editor")
    html = client.get(f"/editorial/documents/{guide.id}/feedback").get_data(as_text=True)
    month = f"{utc_now():%Y-%m}"
    assert re.search(rf"<td>{month}</td><td>2</td><td>4</td>", html)
    chart = client.get(f"/editorial/documents/{guide.id}/feedback/chart.svg")
    assert chart.mimetype == "image/svg+xml"
    assert "script-src" not in chart.headers["Content-Security-Policy"]
    assert b"<script" not in chart.data and month.encode() in chart.data


def test_a_later_version_addressing_feedback_is_said_on_the_public_page(client, later, auth):
    guide = public_guide()
    send(client, guide, comment="Add a checklist.")
    item = stored()[-1]
    approve_all()
    document_versions.add_version(
        guide,
        {"label": "2", "version_date": utc_now().date()},
        b"With a checklist.\n",
        "g.txt",
        None,
    )
    db.session.commit()
    auth.login("editor")
    page = client.get(f"/editorial/documents/{guide.id}/feedback").get_data(as_text=True)
    response = client.post(
        f"/editorial/feedback/{item.id}/addressed",
        data={"csrf_token": csrf_token(page), "version": "2"},
    )
    assert response.status_code == 302
    assert item.addressed_in.number == 2
    assert "Addressed in version 2." in page_of(client, guide)


def test_only_a_later_version_can_address_feedback(later, client):
    guide = public_guide()
    send(client, guide)
    item = stored()[-1]
    with pytest.raises(feedback_service.FeedbackRefused):
        feedback_service.mark_addressed(item, guide.versions[0], None)


# Nothing about pending or rejected feedback reaches the public
def test_pending_and_rejected_feedback_stay_out_of_public_pages_and_search(client, later):
    guide = public_guide()
    send(client, guide, name=CANARY_NAME, comment=f"Comment by {CANARY_NAME}")
    send(client, guide, name=CANARY_NAME)
    from casebank.services.accounts import find_user
    from tests.auth_actions import ROLE_USERS

    feedback_service.moderate([stored()[-1].id], "reject", find_user(ROLE_USERS["editor"][0]))
    db.session.commit()
    for path in (f"/documents/{guide.id}", "/feedback", f"/api/v1/documents/{guide.id}",
                 "/documents"):  # fmt: skip
        assert "Quartermaine" not in client.get(path).get_data(as_text=True), path
    assert search("Quartermaine").total == 0


# The digest
def test_the_daily_digest_goes_to_editors_in_their_language(app, client, later, runner):
    from casebank.services.accounts import find_user
    from tests.auth_actions import ROLE_USERS

    editor = find_user(ROLE_USERS["editor"][0])
    editor.language = "fr"
    db.session.commit()
    send(client, public_guide(title="Guide vert"), name=CANARY_NAME, reply_email=ADDRESS)
    before = set(outbox_messages())
    result = runner.invoke(args=["casebank", "send-feedback-digest"])
    assert result.exit_code == 0, result.output
    new = [p.read_text() for p in set(outbox_messages()) - before]
    to_editor = [m for m in new if ROLE_USERS["editor"][0] in m]
    assert len(to_editor) == 1
    assert "Guide vert" in to_editor[0]
    assert app.config["SITE_URL"] + "/editorial/feedback" in to_editor[0]  # a link, not a path
    assert "Nouveaux avis des dernières 24 heures" in to_editor[0]
    assert CANARY_NAME not in to_editor[0] and ADDRESS not in to_editor[0]


def test_no_digest_when_nothing_arrived():
    assert feedback_service.send_digest(utc_now() + timedelta(days=3)) == []


def test_the_chart_library_leaves_the_import_system_as_it_was():
    import sys

    import casebank.charts  # noqa: F401 - imported for its effect on sys.meta_path

    assert all(hasattr(finder, "find_spec") for finder in sys.meta_path)
