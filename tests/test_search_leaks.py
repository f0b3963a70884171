"""Restricted text cannot leak through search: not as a hit, a count, a facet, a snippet, a
suggestion or a score, on any page, for anonymous visitors; officers do find it. And no
restricted text lies on disk in clear."""

from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

import pytest
from markupsafe import escape
from sqlalchemy import select
from whoosh.writing import PostingPool

from casebank.extensions import db
from casebank.models import AuditEvent
from casebank.search import outbox, rebuild
from casebank.search.analysis import FoldingStemmer
from casebank.search.engine import PUBLIC, RESTRICTED
from casebank.services import accounts
from tests.auth_actions import ROLE_USERS
from tests.factories import make_case
from tests.search_helpers import Officer, as_officer, references, search

CANARY = "quetzalfluorine"
MISSPELLINGS = ["quetzalfluorin", "quetzalfluorime", "qetzalfluorine", "quetzalflourine"]
PUBLIC_WORD = "plainvisiblemarker"


@pytest.fixture
def canaries():
    """A public case whose restricted notes hold the canary, and a restricted case whose
    narrative does; committed, so the outbox has brought both into the indexes."""
    public = make_case(
        title=f"Public case with a secret note and {PUBLIC_WORD}",
        narrative=f"An ordinary public narrative about sawn timber and {PUBLIC_WORD}.",
        restricted_notes=f"Informant says the {CANARY} route runs through Mombasa.",
        country="TZ",
    )
    restricted = make_case(
        title="Restricted case",
        narrative=f"Officers traced the {CANARY} consignment to a bonded warehouse.",
        access_level="restricted",
        country="MW",
        conventions=["BASEL"],
    )
    db.session.commit()
    return public, restricted


ANONYMOUS_QUERIES = [CANARY, *MISSPELLINGS, f"{CANARY[:6]}*", f"title:{CANARY}", f'"{CANARY}"']
# Two words: nothing holds both, so the search falls back to either (and must find neither).
ANONYMOUS_QUERIES += [f"{CANARY} {MISSPELLINGS[0]}", f"{MISSPELLINGS[1]} {MISSPELLINGS[2]}"]


@pytest.mark.parametrize("query", ANONYMOUS_QUERIES)
def test_anonymous_search_finds_no_trace_of_the_canary(canaries, query):
    results = search(query)
    assert results.total == 0 and results.hits == []
    assert all(counts == [] for counts in results.facets.values())
    assert results.suggestion is None or CANARY not in results.suggestion


@pytest.mark.parametrize("query", ["", "timber", "Mombasa", "informant"])
def test_anonymous_facets_and_snippets_hold_nothing_restricted(canaries, query):
    public, restricted = canaries
    results = search(query, kind="case")
    assert restricted.reference not in references(results)
    assert all(CANARY not in str(h.snippet) + str(h.title) for h in results.hits)
    assert "MW" not in dict(results.facets["country"])  # only the restricted case is in MW
    if query == "":
        assert results.total == search("", kind="case").total


def test_anonymous_pages_show_nothing_of_the_canary(client, canaries):
    public, restricted = canaries
    urls = [f"/search?q={q}" for q in ANONYMOUS_QUERIES]
    urls += [
        f"/search?q={CANARY}&page=2",
        f"/search?q={CANARY}&sort=newest",
        "/search?q=informant&country=TZ",
        "/search?q=Mombasa",
        "/search?q=&kind=case&country=MW",
        f"/cases/{public.reference}",
    ]
    for url in urls:
        page = client.get(url).get_data(as_text=True)
        # The page repeats what the visitor typed; anything else would come from the index.
        typed = parse_qs(urlsplit(url).query).get("q", [""])[0]
        for echo in (typed, str(escape(typed)), quote_plus(typed), quote(typed)):
            page = page.replace(echo, "") if echo else page
        assert CANARY[:8] not in page, url
        assert restricted.reference not in page, url
    assert "0 results" in client.get(f"/search?q={CANARY}").get_data(as_text=True)
    assert client.get(f"/cases/{restricted.reference}").status_code == 404


def test_officers_find_the_canary_in_notes_and_restricted_cases(canaries):
    public, restricted = canaries
    results = search(CANARY, user=Officer())
    assert set(references(results)) == {public.reference, restricted.reference}
    assert any(f"<mark>{CANARY}</mark>" in h.snippet for h in results.hits)
    assert search(MISSPELLINGS[0], user=Officer()).suggestion == CANARY
    assert dict(search("", user=Officer(), country="MW").facets["country"]) == {"MW": 1}


def test_officer_search_page_is_audited_and_not_cached(auth, client, canaries, db):
    auth.login("officer")
    response = client.get(f"/search?q={CANARY}&country=MW")
    assert f"<mark>{CANARY}</mark>" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    event = db.session.scalars(
        select(AuditEvent).filter_by(action="restricted.search").order_by(AuditEvent.id.desc())
    ).first()
    assert event.actor_label == ROLE_USERS["officer"][0]
    assert event.details["facets"] == {"country": "MW"}
    assert len(event.details["query_fingerprint"]) == 64
    assert CANARY not in str(event.details)  # the words an officer typed are not kept in clear


def test_anonymous_search_is_not_audited(client, canaries, db):
    before = db.session.query(AuditEvent).filter_by(action="restricted.search").count()
    client.get(f"/search?q={CANARY}")
    assert db.session.query(AuditEvent).filter_by(action="restricted.search").count() == before


def test_officers_restricted_hits_link_into_the_restricted_area_only(client, canaries, monkeypatch):
    public, restricted = canaries
    as_officer(monkeypatch)
    page = client.get(f"/search?q={CANARY}").get_data(as_text=True)
    assert f'href="/cases/{public.reference}"' in page
    assert f'href="/restricted/cases/{restricted.reference}"' in page
    assert f'href="/cases/{restricted.reference}"' not in page


def test_no_restricted_text_lies_on_disk_in_clear(canaries, search_index):
    files = [p for p in search_index.index_dir.rglob("*") if p.is_file()]
    contents = b"".join(p.read_bytes() for p in files)
    stems = [t.text for t in FoldingStemmer("en")(CANARY)]
    assert CANARY.encode() not in contents
    assert all(stem.encode() not in contents for stem in stems)
    assert b"Informant" not in contents
    # The grep can see text: the public index's words are there in clear.
    assert PUBLIC_WORD.encode() in contents
    restricted = search_index.current_generation() / "restricted"
    assert restricted.is_dir() and PUBLIC_WORD.encode() not in b"".join(
        p.read_bytes() for p in restricted.iterdir() if p.is_file()
    )


def test_a_rebuild_that_spills_keeps_restricted_text_out_of_the_public_index(
    canaries, search_index, monkeypatch, tmp_path
):
    """A rebuild streams each audience's entries to its own index and spills sorted runs of
    postings past its memory bound: no run, and no file of the new generation, holds the
    restricted text in clear, and neither index needed a repair afterwards."""
    seen = tmp_path / "runs"
    remove_run = PostingPool._remove_run

    def look_then_remove(pool, path):  # in both processes: the child appends to the same file
        data = Path(pool.tempstore._fpath(path)).read_bytes()
        audience = PUBLIC if f"/{PUBLIC}/" in pool.tempstore.folder else RESTRICTED
        with open(seen, "a") as log:  # noqa: PTH123
            log.write(f"{audience} {int(CANARY.encode() in data or b'Informant' in data)}\n")
        remove_run(pool, path)

    monkeypatch.setattr(PostingPool, "_remove_run", look_then_remove)
    monkeypatch.setattr(outbox, "BUILD_MEMORY_MB", 0.02)  # 20 KB: runs spill in both indexes
    report = rebuild()
    runs = [line.split() for line in seen.read_text().splitlines()]
    assert {audience for audience, _ in runs} == {PUBLIC, RESTRICTED}
    assert all(leak == "0" for _, leak in runs)
    for audience in (PUBLIC, RESTRICTED):
        assert report["caught_up"][audience] == {"missing": 0, "extra": 0, "stale": 0}
    files = [p for p in search_index.current_generation().rglob("*") if p.is_file()]
    assert CANARY.encode() not in b"".join(p.read_bytes() for p in files)
    assert [p.name for p in search_index.current_generation().rglob("*.tmp")] == []
    assert references(search(CANARY)) == []
    assert set(references(search(CANARY, user=Officer()))) == {c.reference for c in canaries}


@pytest.mark.parametrize("query", [CANARY, MISSPELLINGS[0], "informant", ""])
def test_the_api_shows_anonymous_users_nothing_restricted(client, canaries, query):
    response = client.get("/api/v1/search", query_string={"q": query, "kind": "case"})
    assert response.status_code == 200
    body = (
        response.get_data(as_text=True).replace(query, "")
        if query
        else response.get_data(as_text=True)
    )
    assert CANARY[:8] not in body and canaries[1].reference not in body
    assert "MW" not in response.get_json()["facets"]["country"]


def test_the_api_gives_officers_restricted_hits(client, canaries, monkeypatch):
    as_officer(monkeypatch)
    body = client.get("/api/v1/search", query_string={"q": CANARY}).get_json()
    assert {h["reference"] for h in body["hits"]} == {c.reference for c in canaries}
    restricted_hit = next(h for h in body["hits"] if h["reference"] == canaries[1].reference)
    assert restricted_hit["restricted"] is True
    assert restricted_hit["url"] == f"/restricted/cases/{canaries[1].reference}"


# Phrases, prefixes and NOT run through search/ranking.py's own matching: none of them may let
# restricted text through, to anonymous visitors or to partners (who search the public index).
PHRASES = [f'"{CANARY} route"', f'"the {CANARY} route runs"', f'"{CANARY} consignment"',
           f'"{MISSPELLINGS[0]} route"', f'"{MISSPELLINGS[3]} consignment"']  # fmt: skip
PREFIXES = [
    f"{CANARY[:9]}*",
    f"{MISSPELLINGS[2][:8]}*",
    f"{CANARY[:-2]}?e",
    f"{CANARY[:10]}* {MISSPELLINGS[0][:9]}*",
]
NEGATIONS = [f"{CANARY} NOT timber", f"{MISSPELLINGS[1]} NOT timber", f"{CANARY[:7]}* NOT port",
             f'"{CANARY} route" NOT timber']  # fmt: skip


def partner_or_anonymous(who):
    return accounts.find_user(ROLE_USERS["partner"][0]) if who == "partner" else None


@pytest.mark.parametrize("who", ["anonymous", "partner"])
@pytest.mark.parametrize("query", PHRASES + PREFIXES + NEGATIONS)
def test_phrases_prefixes_and_not_find_no_trace_of_the_canary(canaries, who, query):
    results = search(query, user=partner_or_anonymous(who))
    assert results.total == 0 and results.hits == []
    assert all(counts == [] for counts in results.facets.values())
    suggested = set((results.suggestion or "").split()) - set(query.split())
    assert not any(CANARY[:8] in word for word in suggested)  # (it may repeat what was typed)


@pytest.mark.parametrize("who", ["anonymous", "partner"])
@pytest.mark.parametrize("negated", [CANARY, f"{CANARY[:7]}*", f'"{CANARY} route"'])
def test_not_does_not_reveal_restricted_notes_by_leaving_a_case_out(canaries, who, negated):
    """The public case's restricted notes hold the canary: excluding the canary must not
    exclude the case for those who cannot read the notes."""
    public, restricted = canaries
    user = partner_or_anonymous(who)
    results = search(f"{PUBLIC_WORD} NOT {negated}", user=user)
    assert references(results) == [public.reference]
    everything = search("", user=user)
    assert search(f"NOT {negated}", user=user).total == everything.total > 1


def test_officers_match_the_canary_in_phrases_prefixes_and_not(canaries):
    public, restricted = canaries
    officer = Officer()
    assert references(search(f'"{CANARY} route"', user=officer)) == [public.reference]
    assert set(references(search(f"{CANARY[:9]}*", user=officer))) == {
        public.reference,
        restricted.reference,
    }
    assert search(f"{PUBLIC_WORD} NOT {CANARY}", user=officer).total == 0
