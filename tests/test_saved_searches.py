"""Saved searches and their alerts: saving, listing, renaming, deleting as a member does; alerts
with new matches only, judged at sending (vetting lapse), restricted hits without any of their
text, and the signed one-click unsubscribe."""

import re
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import LargeBinary, func, select, type_coerce, update

from casebank.mail import outbox_messages
from casebank.models import SavedSearch
from casebank.models.case_study import utc_now
from casebank.search import index_cases
from casebank.services import accounts, saved_searches
from tests.auth_actions import ROLE_USERS, csrf_token
from tests.factories import make_case


def user(role):
    return accounts.find_user(ROLE_USERS[role][0])


def mails_since(before):
    return [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in outbox_messages()[before:]
    ]


def body(mail):
    return mail.get_body(("plain",)).get_content()


def saved_for(role, text="okapi", facets=None, frequency="daily"):
    saved = saved_searches.save_search(user(role), f"{role} search", text, facets or {}, frequency)
    # Saved after the demo data was published (the suite loads it minutes ago): none of it is new.
    saved.alerted_until = utc_now()
    return saved


def new_case(**fields):
    case = make_case(**fields)
    index_cases([case.id])
    return case


def send(app):
    with app.test_request_context(base_url="https://casebank.example.org"):
        return saved_searches.send_alerts()


# Saving, listing, renaming, deleting: through the pages, as a member does.
def test_an_officer_saves_a_search_from_the_search_page(client, auth, db):
    auth.login("officer")
    page = client.get("/search?q=ivory&convention=CITES&page=2").get_data(as_text=True)
    link = re.search(r'href="(/saved-searches/new\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "page=" not in link
    form = client.get(link).get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="(q|facets)"[^>]*value="([^"]*)"', form))
    response = client.post("/saved-searches/", data={
        "csrf_token": csrf_token(form), "name": "Ivory under CITES", "frequency": "weekly",
        "q": fields["q"], "facets": fields["facets"].replace("&#34;", '"'),
    })  # fmt: skip
    assert response.status_code == 302
    saved = db.session.scalar(select(SavedSearch).filter_by(user_id=user("officer").id))
    assert (saved.name, saved.text, saved.facets, saved.frequency) == (
        "Ivory under CITES",
        "ivory",
        {"convention": "CITES"},
        "weekly",
    )
    listing = client.get("/saved-searches/").get_data(as_text=True)
    assert "Ivory under CITES" in listing and "Weekly e-mail" in listing


def test_a_nameless_search_is_refused_and_what_was_typed_is_kept(client, auth, db):
    auth.login("partner")
    form = client.get("/saved-searches/new?q=pangolin+scales").get_data(as_text=True)
    response = client.post("/saved-searches/", data={
        "csrf_token": csrf_token(form), "name": "  ", "frequency": "sometimes",
        "q": "pangolin scales", "facets": "{not json",
    })  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Give the search a name." in page
    assert 'value="pangolin scales"' in page
    assert db.session.scalar(select(SavedSearch)) is None


def test_members_rename_change_and_delete_their_own_searches_only(client, auth, db):
    mine = saved_for("partner")
    theirs = saved_for("officer")
    db.session.commit()
    auth.login("partner")
    form = client.get(f"/saved-searches/{mine.id}").get_data(as_text=True)
    token = csrf_token(form)
    post = client.post(
        f"/saved-searches/{mine.id}",
        data={"csrf_token": token, "name": "Tusks", "frequency": "none"},
    )
    assert post.status_code == 302
    assert (mine.name, mine.frequency) == ("Tusks", "none")
    refused = client.post(
        f"/saved-searches/{mine.id}",
        data={"csrf_token": token, "name": "x" * 101, "frequency": "daily"},
    )
    assert refused.status_code == 400 and "x" * 101 in refused.get_data(as_text=True)
    assert client.get(f"/saved-searches/{theirs.id}").status_code == 404
    assert (
        client.post(f"/saved-searches/{theirs.id}/delete", data={"csrf_token": token}).status_code
        == 404
    )
    assert (
        client.post(f"/saved-searches/{mine.id}/delete", data={"csrf_token": token}).status_code
        == 302
    )
    assert db.session.get(SavedSearch, mine.id) is None
    assert db.session.get(SavedSearch, theirs.id) is not None


def test_the_words_of_a_saved_search_are_encrypted_at_rest(db):
    saved = saved_for("officer", text="container MSCU1234567")
    db.session.flush()
    column = SavedSearch.__table__.c.text
    raw = db.session.execute(
        select(type_coerce(column, LargeBinary)).where(SavedSearch.__table__.c.id == saved.id)
    ).scalar()
    assert b"MSCU1234567" not in bytes(raw)


# Alerts
def test_an_alert_holds_new_matches_only_and_names_its_search(app, db):
    saved_for("partner")
    fresh = new_case(title="Okapi skins in a courier parcel")
    new_case(title="Pangolin scales in a reefer")
    before = len(outbox_messages())
    assert send(app) == 1
    [mail] = mails_since(before)
    text = body(mail)
    assert mail["To"] == ROLE_USERS["partner"][0]
    assert "partner search" in mail["Subject"] and "partner search" in text
    assert "Okapi skins in a courier parcel" in text
    assert f"https://casebank.example.org/cases/{fresh.reference}" in text
    assert "Pangolin" not in text
    assert text.count("/cases/") == 1
    assert send(app) == 0  # nothing new since, and a daily alert is not due again yet


def test_a_restricted_hit_is_a_line_without_its_text(app, db):
    saved_for("officer")
    case = new_case(
        access_level="restricted",
        title="Canary okapi title 4417",
        summary="Canary summary 4417",
        restricted_notes="Canary notes 4417",
    )
    before = len(outbox_messages())
    assert send(app) == 1
    text = body(mails_since(before)[0])
    assert "4417" not in text and "4417" not in mails_since(before)[0]["Subject"]
    assert "A new restricted case study matches: log in to read it." in text
    assert f"/restricted/cases/{case.reference}" in text


@pytest.mark.parametrize("role", ["expired_officer", "partner"])
def test_who_may_not_read_restricted_cases_never_hears_of_one(app, db, role):
    saved_for(role)
    new_case(access_level="restricted", title="Restricted okapi 5150")
    before = len(outbox_messages())
    assert send(app) == 0
    assert mails_since(before) == []


def test_vetting_that_lapses_before_the_alert_drops_the_restricted_hits(app, db):
    saved_for("officer")
    new_case(access_level="restricted", title="Restricted okapi 6160")
    public = new_case(title="Public okapi 6161")
    user("officer").restricted_access_until = date.today() - timedelta(days=1)
    before = len(outbox_messages())
    assert send(app) == 1
    text = body(mails_since(before)[0])
    assert "restricted" not in text.lower()
    assert public.reference in text


def test_unpublished_cases_and_other_searches_words_are_not_news(app, db):
    saved_for("officer")
    new_case(status="draft", title="Draft okapi 7170")
    before = len(outbox_messages())
    assert send(app) == 0
    assert mails_since(before) == []


def test_a_weekly_alert_waits_a_week(app, db):
    saved = saved_for("partner", frequency="weekly")
    saved.last_sent_at = utc_now() - timedelta(days=2)
    new_case(title="Okapi chopsticks")
    assert send(app) == 0
    saved.last_sent_at = utc_now() - timedelta(days=7)
    assert send(app) == 1


def test_alerts_are_off_until_chosen(app, db):
    saved_for("partner", frequency="none")
    new_case(title="Okapi carvings")
    assert send(app) == 0


def test_each_mail_is_in_its_recipients_language(app, db):
    saved_for("partner")
    user("partner").language = "fr"
    new_case(title="Okapi in a suitcase")
    before = len(outbox_messages())
    send(app)
    mail = mails_since(before)[0]
    assert "Nouveaux résultats" in mail["Subject"]
    assert "Okapi in a suitcase" in body(mail)


# Unsubscribe
def alert_unsubscribe_link(app):
    before = len(outbox_messages())
    send(app)
    mail = mails_since(before)[0]
    header = mail["List-Unsubscribe"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = header.strip("<>")
    assert link in body(mail)
    return link.replace("https://casebank.example.org", "")


def test_the_unsubscribe_link_asks_first_then_stops_the_alerts_without_login(app, client, db):
    saved = saved_for("partner")
    new_case(title="Okapi hides again")
    path = alert_unsubscribe_link(app)
    page = client.get(path)
    assert page.status_code == 200 and "Stop these e-mails" in page.get_data(as_text=True)
    assert saved.frequency == "daily"  # a link scanner's GET changes nothing
    done = client.post(path)  # what a mail client's one-click sends (RFC 8058): no CSRF token
    assert done.status_code == 200
    assert saved.frequency == "none"
    assert db.session.get(SavedSearch, saved.id) is not None  # the search itself is kept


def test_a_forged_or_stale_unsubscribe_link_changes_nothing(app, client, db):
    saved = saved_for("partner")
    other = saved_for("officer")
    token = saved_searches.unsubscribe_token(other)
    db.session.commit()  # a refused request rolls back what is not committed (a savepoint here)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, "not-a-token", saved_searches.serializer().dumps([other.id, 999])):
        assert client.post(f"/saved-searches/unsubscribe/{bad}").status_code == 400
    assert (saved.frequency, other.frequency) == ("daily", "daily")
    db.session.delete(other)
    db.session.flush()
    assert client.get(f"/saved-searches/unsubscribe/{token}").status_code == 400


def test_the_cli_sends_the_alerts(app, runner, db):
    saved_for("partner")
    new_case(title="Okapi figurines")
    before = len(outbox_messages())
    result = runner.invoke(args=["casebank", "send-alerts", "--site-url", "https://cb.example"])
    assert result.exit_code == 0, result.output
    assert "1 alert mail(s) sent." in result.output
    assert "https://cb.example/cases/" in body(mails_since(before)[0])


def test_the_demo_officers_saved_search_has_news_for_the_first_alert_run(app, db):
    from casebank.services import demo_accounts

    demo_accounts.create_demo_accounts()
    demo_accounts.create_demo_accounts()  # run again: the demo search is kept, not doubled
    assert db.session.scalar(select(func.count()).select_from(SavedSearch)) == 1
    before = len(outbox_messages())
    assert send(app) == 1
    mail = mails_since(before)[0]
    assert "Ozone-depleting substances (demo)" in mail["Subject"]
    assert "/cases/" in body(mail)


def test_a_case_published_but_not_yet_in_this_hosts_index_is_announced_not_lost(app, db):
    # Published on another host (or its index write failed after the commit): it waits in the
    # change feed. The alert run reads this host's index, so it must catch up first, or the
    # search moves past the case and it is never announced.
    saved_for("partner")
    case = make_case(title="Okapi belts from another host")
    before = len(outbox_messages())
    assert send(app) == 1
    assert case.reference in body(mails_since(before)[0])


def test_an_officers_words_are_not_offered_as_the_searchs_name(client, auth, db):
    # The words are encrypted at rest because an officer may type restricted details; the name
    # is stored in clear and goes in every alert's subject, so it is not filled in from them.
    auth.login("officer")
    form = client.get("/saved-searches/new?q=container+MSCU1234567").get_data(as_text=True)
    name = re.search(r'<input[^>]*name="name"[^>]*>', form).group(0)
    assert "MSCU1234567" not in name
    assert re.search(r'<input[^>]*name="q"[^>]*value="container MSCU1234567"', form)


def test_a_partners_words_are_offered_as_the_searchs_name(client, auth, db):
    auth.login("partner")
    form = client.get("/saved-searches/new?q=pangolin+scales").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="name"[^>]*value="pangolin scales"', form)


def test_an_unsubscribe_link_of_a_deleted_search_never_stops_a_later_one(app, client, db):
    # SQLite gives a new row the id of the last one deleted: the link of a deleted search must
    # not name the search saved after it.
    old = saved_for("partner")
    token = saved_searches.unsubscribe_token(old)
    db.session.delete(old)
    db.session.flush()
    later = saved_searches.save_search(user("partner"), "Later", "tusks", {}, "daily")
    later.created_at = old.created_at + timedelta(seconds=5)
    db.session.commit()
    client.post(f"/saved-searches/unsubscribe/{token}")
    assert later.frequency == "daily"


def test_a_public_case_found_only_by_its_restricted_notes_is_a_line_without_its_title(app, db):
    # The officer's search runs on the restricted index, notes included: a public case's title
    # beside the search would tell the mail's reader what its restricted notes say.
    saved_for("officer", text="okapi")
    case = new_case(title="Plain public title 8181", restricted_notes="An okapi in the notes.")
    shown = new_case(title="Okapi in the open 8282")
    before = len(outbox_messages())
    assert send(app) == 1
    text = body(mails_since(before)[0])
    assert "8181" not in text
    assert "A new restricted case study matches: log in to read it." in text
    assert f"/restricted/cases/{case.reference}" in text
    assert "Okapi in the open 8282" in text and f"/cases/{shown.reference}" in text


def test_an_alert_run_first_catches_up_with_cases_another_host_saved(app, db):
    """A case saved through another host is in the change feed, not yet in this host's index:
    the run would move every search past it, and its alert would never be sent."""
    saved_for("partner")
    make_case(title="Okapi hides in a bonded warehouse")  # queued in the feed, not applied here
    before = len(outbox_messages())
    assert send(app) == 1
    assert "Okapi hides in a bonded warehouse" in body(mails_since(before)[0])


def test_two_runs_at_once_mail_a_search_once(app, db, monkeypatch):
    """The other run (cron on another host) moves the search on while this one reads it."""
    saved = saved_for("partner")
    new_case(title="Okapi skins in a courier parcel")
    find = saved_searches.new_matches

    def found_while_another_run_claims(search, now):
        cases = find(search, now)
        other = db.session.get(SavedSearch, saved.id)
        db.session.execute(
            update(SavedSearch).where(SavedSearch.id == other.id).values(alerted_until=now)
        )
        return cases

    monkeypatch.setattr(saved_searches, "new_matches", found_while_another_run_claims)
    before = len(outbox_messages())
    assert send(app) == 0
    assert mails_since(before) == []


def test_a_run_that_fails_halfway_keeps_the_searches_it_mailed(app, db, monkeypatch):
    first = saved_for("partner", text="okapi")
    second = saved_for("officer", text="okapi")
    new_case(title="Okapi skins in a courier parcel")
    mail = saved_searches.send_alert

    def fail_on_the_second(saved, cases):
        if saved.id == second.id:
            raise RuntimeError("the mail queue's disk is full")
        mail(saved, cases)

    monkeypatch.setattr(saved_searches, "send_alert", fail_on_the_second)
    before = len(outbox_messages())
    with pytest.raises(RuntimeError):
        send(app)
    db.session.rollback()  # as `flask casebank send-alerts` does when the run fails
    assert len(mails_since(before)) == 1
    monkeypatch.setattr(saved_searches, "send_alert", mail)
    assert send(app) == 0  # the first is not mailed again
    assert len(mails_since(before)) == 1
    assert db.session.get(SavedSearch, first.id).last_sent_at is not None
