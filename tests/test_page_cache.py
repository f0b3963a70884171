"""Pages kept rendered for anonymous visitors (casebank/page_cache.py): served again without
their view, renewed by every change of what they show, never served to a member, in another
language or on another host, and never holding anything but what an anonymous visitor sees."""

import re

import pytest
from flask import make_response
from flask_wtf.csrf import generate_csrf
from sqlalchemy import delete as db_delete
from sqlalchemy import event
from sqlalchemy import text as sql_text

from casebank.models import CaseStudy, case_study_conventions
from casebank.models.content_generation import QUIET_TABLES, current_token
from casebank.page_cache import keep_page, keepable, new_store
from casebank.search import apply_outbox, outbox
from casebank.services import audit
from tests.auth_actions import AuthActions
from tests.factories import make_case
from tests.query_counts import statements_run

CACHED_PAGES = (
    "/", "/cases", "/cases?convention=CITES", "/search?q=ivory", "/documents", "/conventions",
    "/hs-codes", "/about", "/statistics", "/awards",
)  # fmt: skip


@pytest.fixture
def cache_on(app):
    app.config["PAGE_CACHE"] = True
    app.extensions.pop("casebank.pages", None)
    yield app.extensions
    app.config["PAGE_CACHE"] = False
    app.extensions.pop("casebank.pages", None)


def queries(db, fetch):
    """The statements a request ran, without the test's savepoints."""
    return [s for s in statements_run(db, fetch) if "SAVEPOINT" not in s]


def text_of(response):
    """The page's text, without its tags (a search hit's title has its words marked)."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def public_case(**fields):
    return make_case(access_level="public", seizure_date="1999-01-05", **fields)


def test_a_page_asked_again_is_served_without_its_view(cache_on, client, db):
    public_case(reference="CB-1999-901", title="Quokka pelts in a piano")
    db.session.commit()
    first = len(queries(db, lambda: client.get("/cases?year=1999")))
    again = client.get("/cases?year=1999")
    [token] = queries(db, lambda: client.get("/cases?year=1999"))
    assert "FROM content_generation" in token
    assert first > 1
    assert "Quokka pelts in a piano" in again.get_data(as_text=True)
    assert again.headers["Content-Security-Policy"]  # the request's own hooks still run


@pytest.mark.parametrize("page", CACHED_PAGES)
def test_every_cached_page_is_kept(cache_on, client, db, page):
    client.get(page)
    assert len(queries(db, lambda: client.get(page))) == 1


def test_a_change_to_a_case_renews_its_pages(cache_on, client, db):
    case = public_case(reference="CB-1999-902", title="Quokka pelts in a piano")
    db.session.commit()
    for page in ("/cases?year=1999", "/cases/CB-1999-902", "/search?q=quokka"):
        assert "Quokka pelts in a piano" in text_of(client.get(page))
    case.title = "Wombat hides in a cello"
    db.session.commit()
    for page in ("/cases?year=1999", "/cases/CB-1999-902", "/search?q=wombat"):
        assert "Wombat hides in a cello" in text_of(client.get(page)), page
    assert "Quokka pelts" not in text_of(client.get("/search?q=quokka"))


def test_a_change_outside_the_index_renews_the_pages(cache_on, client, db):
    """A partner's new name changes no search entry: the content token alone renews."""
    case = public_case(reference="CB-1999-905", partner="WCO")
    db.session.commit()
    assert "Submitted by" in text_of(client.get("/cases/CB-1999-905"))
    case.partner.name = "Wombat Customs Observatory"
    db.session.commit()
    assert "Wombat Customs Observatory" in text_of(client.get("/cases/CB-1999-905"))


def test_a_search_page_follows_this_hosts_index(cache_on, client, db, monkeypatch):
    """On several hosts the content token changes before this host's index has applied the
    change: a page kept meanwhile must not outlive the index it was read from."""
    case = public_case(reference="CB-1999-906", title="Quokka pelts in a piano")
    db.session.commit()
    monkeypatch.setattr(outbox, "apply_outbox_quietly", lambda: None)  # the index lags
    case.title = "Wombat hides in a cello"
    db.session.commit()
    assert "Wombat hides" not in text_of(client.get("/search?q=wombat"))
    monkeypatch.undo()
    apply_outbox()  # this host catches up
    assert "Wombat hides in a cello" in text_of(client.get("/search?q=wombat"))


def test_a_case_made_restricted_leaves_every_kept_page(cache_on, client, db):
    case = public_case(reference="CB-1999-903", title="Quokka pelts in a piano")
    db.session.commit()
    pages = ("/cases?year=1999", "/search?q=quokka", "/")
    for page in pages:
        client.get(page)
    assert client.get("/cases/CB-1999-903").status_code == 200
    case.access_level = "restricted"
    db.session.commit()
    for page in pages:
        assert "Quokka pelts" not in text_of(client.get(page)), page
    assert client.get("/cases/CB-1999-903").status_code == 404


def test_a_member_never_gets_a_kept_page_nor_leaves_one(cache_on, app, client, db):
    client.get("/cases")  # kept for anonymous visitors
    officer = app.test_client()
    AuthActions(app, officer).login("officer")
    page = officer.get("/cases").get_data(as_text=True)
    assert "Log out" in page
    assert len(queries(db, lambda: officer.get("/cases"))) > 1  # rendered for the member
    assert "Log out" not in client.get("/cases").get_data(as_text=True)


def test_a_visitor_with_a_session_gets_the_page_rendered(cache_on, app, client, db):
    client.get("/cases")
    visitor = app.test_client()
    visitor.set_cookie("casebank_session", "anything")
    assert len(queries(db, lambda: visitor.get("/cases"))) > 1


def test_each_language_has_its_own_page(cache_on, client):
    english = client.get("/cases").get_data(as_text=True)
    french = client.get("/cases", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'lang="en"' in english
    assert 'lang="fr"' in french
    client.set_cookie("casebank_language", "es")
    assert 'lang="es"' in client.get("/cases").get_data(as_text=True)


def test_each_host_name_has_its_own_page(cache_on, client, db):
    public_case(reference="CB-1999-904")
    db.session.commit()
    client.get("/cases/CB-1999-904", headers={"Host": "evil.example"})
    page = client.get("/cases/CB-1999-904").get_data(as_text=True)
    assert "evil.example" not in page  # OpenGraph's absolute address is this site's


def test_a_page_that_used_a_session_or_set_a_cookie_is_not_kept(app):
    with app.test_request_context("/cases"):
        assert keepable(make_response("<p>page</p>"))
        generate_csrf()  # a form's token: it belongs to one visitor's session
        assert not keepable(make_response("<p>page</p>"))
    with app.test_request_context("/cases"):
        response = make_response("<p>page</p>")
        response.set_cookie("x", "y")
        assert not keepable(response)
        assert not keepable(make_response("<p>gone</p>", 404))


def test_quiet_writes_keep_the_token_and_content_writes_renew_it(app, db):
    before = current_token(db.session)
    audit.record("test.quiet")
    db.session.commit()
    assert current_token(db.session) == before
    db.session.scalar(db.select(CaseStudy).limit(1)).featured = True
    db.session.commit()
    assert current_token(db.session) != before


def test_a_bulk_update_renews_the_token(app, db):
    before = current_token(db.session)
    db.session.execute(db.update(CaseStudy).values(featured=False))
    db.session.commit()
    assert current_token(db.session) != before


def test_a_rolled_back_change_leaves_the_token(app, db):
    before = current_token(db.session)
    db.session.scalar(db.select(CaseStudy).limit(1)).featured = True
    db.session.flush()
    db.session.rollback()
    assert current_token(db.session) == before


@pytest.mark.parametrize("page", CACHED_PAGES + ("/cases/CB-2015-007",))
def test_no_cached_page_reads_a_quiet_table(client, db, page):
    """A write to a quiet table keeps the token: so no kept page may show what one holds."""
    read = set()

    def note(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            read.update(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)', statement, re.IGNORECASE))

    engine = db.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get(page).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert not read & QUIET_TABLES, page


def test_the_store_is_bounded_in_bytes():
    pages = new_store(max_bytes=800)
    for n in range(10):
        keep_page(pages, n, (200, b"x" * 90, []))
    assert pages.held <= 800
    assert pages.get(0) is None and pages.get(9) is not None
    keep_page(pages, "huge", (200, b"x" * 500, []))  # over an eighth of the store: not kept
    assert pages.get("huge") is None


def test_the_store_counts_the_bytes_of_its_keys():
    """A key holds what the visitor sent (the Host header, the query): kilobytes each."""
    pages = new_store(max_bytes=8000)
    for n in range(10):
        keep_page(pages, ("h" * 500, f"/hs-codes?q={n}"), (200, b"x" * 100, []))
    assert pages.held > 10 * 500
    assert pages.get(("h" * 500, "/hs-codes?q=9")) == (200, b"x" * 100, [])


UNAVAILABLE = "Search is not available right now"


def test_a_page_that_met_an_unreadable_index_is_not_kept(cache_on, client, db, monkeypatch):
    """The index opened (the key has its state) but failed while read: the page says search is
    unavailable, or leaves out similar cases; the next visitor gets the page rendered again."""
    public_case(reference="CB-1999-907", title="Quokka pelts in a piano")
    public_case(reference="CB-1999-908", title="Quokka pelts in a cello")
    db.session.commit()

    def fails(*args, **kwargs):
        raise OSError("a read error")

    for name in ("run_search", "more_like"):
        monkeypatch.setattr(f"casebank.search.{name}", fails)
    assert UNAVAILABLE in text_of(client.get("/search?q=quokka"))
    assert "Quokka pelts in a cello" not in text_of(client.get("/cases/CB-1999-907"))
    monkeypatch.undo()
    assert "Quokka pelts in a piano" in text_of(client.get("/search?q=quokka"))
    assert "Quokka pelts in a cello" in text_of(client.get("/cases/CB-1999-907"))


def test_a_page_marked_not_to_be_stored_is_not_kept(app):
    with app.test_request_context("/search"):
        response = make_response("<p>page</p>")
        response.headers["Cache-Control"] = "no-store"
        assert not keepable(response)
        response.headers["Cache-Control"] = "private"
        assert not keepable(response)


@pytest.mark.parametrize(
    "statement",
    [
        lambda: db_delete(case_study_conventions),  # an association table, changed directly
        lambda: CaseStudy.__table__.update().values(featured=False),  # a Core statement
        lambda: sql_text("UPDATE case_studies SET featured = featured"),  # raw SQL
    ],
    ids=["association-table", "core-table", "text"],
)
def test_a_core_or_raw_write_through_the_session_renews_the_token(app, db, statement):
    before = current_token(db.session)
    db.session.execute(statement())
    db.session.commit()
    assert current_token(db.session) != before


def test_a_raw_read_through_the_session_keeps_the_token(app, db):
    before = current_token(db.session)
    db.session.execute(sql_text("SELECT 1"))
    db.session.commit()
    assert current_token(db.session) == before
