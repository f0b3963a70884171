"""The Green Customs Award: the round's state machine, nominations (eligibility, the cap,
consent), conflicts of interest, hidden scores, the ranking arithmetic, results and the public
pages."""

from datetime import date, timedelta
from fractions import Fraction

import pytest
from flask import url_for
from sqlalchemy import select

from casebank.auth import permissions
from casebank.models import AwardRound, Score
from casebank.models.award import RoundStatusWriteRefused
from casebank.models.vocab import RoundStatus
from casebank.services.awards import judging, nominations, rounds
from tests.auth_actions import csrf_token
from tests.award_helpers import judging_round, nomination_data, open_round, round_data
from tests.factories import join_partner, make_case, make_partner_user, role_user

TODAY = date.today()


# The round's state machine.
def draft_round(**overrides):
    return rounds.save_round(None, round_data(**overrides), role_user("editor"))


def test_a_round_walks_draft_to_announced(db):
    editor = role_user("editor")
    award_round, nomination = judging_round()
    assert award_round.status == RoundStatus.JUDGING
    rounds.apply(award_round, "close", editor)
    rounds.set_results(award_round, {nomination.id: "winner"}, "The winners.", editor)
    rounds.apply(award_round, "announce", editor)
    assert award_round.status == RoundStatus.ANNOUNCED
    assert award_round.announced_at is not None


STATES = list(RoundStatus)


REFUSED = [(name, state) for name, t in rounds.TRANSITIONS.items() for state in STATES
           if state not in t.sources]  # fmt: skip


@pytest.mark.parametrize(("name", "state"), REFUSED)
def test_every_transition_is_refused_from_a_state_it_does_not_leave(db, name, state):
    award_round = draft_round()
    rounds.import_status(award_round, state)
    with pytest.raises(rounds.TransitionRefused):
        rounds.apply(award_round, name, role_user("editor"))
    assert award_round.status == state


@pytest.mark.parametrize("role", ["partner", "officer", "judge"])
def test_only_editors_move_a_round(db, role):
    award_round = draft_round()
    with pytest.raises(rounds.TransitionRefused):
        rounds.apply(award_round, "open_nominations", role_user(role))
    assert award_round.status == RoundStatus.DRAFT


def test_nominations_open_only_within_their_window(db):
    award_round = draft_round(nominations_open_date=TODAY + timedelta(days=1),
                              nominations_close_date=TODAY + timedelta(days=2),
                              judging_open_date=TODAY + timedelta(days=3))  # fmt: skip
    with pytest.raises(rounds.RoundInvalid) as refused:
        rounds.apply(award_round, "open_nominations", role_user("editor"))
    assert "nominations_open_date" in refused.value.errors
    rounds.apply(award_round, "open_nominations", role_user("editor"), today=TODAY + timedelta(1))
    assert award_round.status == RoundStatus.NOMINATIONS_OPEN


def test_judging_starts_only_within_its_window_and_with_nominations(db):
    award_round = open_round(judging_open_date=TODAY + timedelta(days=5))
    with pytest.raises(rounds.RoundInvalid) as refused:
        rounds.apply(award_round, "start_judging", role_user("editor"))
    assert set(refused.value.errors) == {"judging_open_date", "nominations"}


def test_announcing_needs_a_winner_and_an_announcement(db):
    editor = role_user("editor")
    award_round, _ = judging_round()
    rounds.apply(award_round, "close", editor)
    with pytest.raises(rounds.RoundInvalid) as refused:
        rounds.apply(award_round, "announce", editor)
    assert set(refused.value.errors) == {"category", "announcement"}
    assert award_round.status == RoundStatus.CLOSED


def test_nothing_but_the_table_writes_a_round_status(db):
    award_round = draft_round()
    with pytest.raises(RoundStatusWriteRefused):
        award_round.status = RoundStatus.ANNOUNCED


def test_a_round_needs_criteria_and_judges_in_order(db):
    bad = round_data(criteria="heavy | Impact", judges="officer@casebank.example.org",
                     nominations_close_date=TODAY - timedelta(days=1))  # fmt: skip
    with pytest.raises(rounds.RoundInvalid) as refused:
        rounds.save_round(None, bad, role_user("editor"))
    assert set(refused.value.errors) == {"criteria", "judges", "nominations_close_date"}
    assert db.session.scalar(select(AwardRound).filter_by(title="Test award")) is None


def test_the_round_form_keeps_what_was_typed(auth, client, db):
    auth.login("editor")
    page = client.get("/editorial/awards/new")
    form = {k: str(v) for k, v in round_data(criteria="11 | Impact | Too heavy").items()}
    form["csrf_token"] = csrf_token(page.get_data(as_text=True))
    response = client.post("/editorial/awards/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "a weight is from 1 to 10" in html and "11 | Impact | Too heavy" in html


def test_an_editor_moves_a_round_through_the_web(auth, client, db):
    award_round = draft_round()
    db.session.commit()
    auth.login("editor")
    page = client.get(f"/editorial/awards/{award_round.id}").get_data(as_text=True)
    path = f"/editorial/awards/{award_round.id}/transition"
    data = {"csrf_token": csrf_token(page), "transition": "start_judging"}
    assert client.post(path, data=data).status_code == 409  # not from a draft: nothing changed
    response = client.post(path, data={**data, "transition": "open_nominations"})
    assert response.status_code == 302
    assert db.session.get(AwardRound, award_round.id).status == RoundStatus.NOMINATIONS_OPEN


# Nominations.
def test_eligibility_published_within_the_dates_and_once(db):
    editor = role_user("editor")
    award_round = open_round(eligible_from_date=TODAY - timedelta(days=10))
    draft = make_case(status="draft")
    old = make_case(published_at="2001-01-01T00:00:00")
    fine = make_case()
    for case, word in ((draft, "published"), (old, "published between")):
        with pytest.raises(nominations.NominationInvalid) as refused:
            nominations.nominate(award_round, nomination_data(case), editor)
        assert word in " ".join(refused.value.errors["case_reference"])
    nominations.nominate(award_round, nomination_data(fine), editor)
    with pytest.raises(nominations.NominationInvalid) as refused:
        nominations.nominate(award_round, nomination_data(fine), editor)
    assert "already nominated" in refused.value.errors["case_reference"][0]


def test_a_partner_cannot_nominate_a_restricted_case_it_cannot_see(db):
    partner = join_partner("TRAFFIC")
    award_round = open_round()
    hidden = make_case(access_level="restricted", partner="WCO")
    with pytest.raises(nominations.NominationInvalid):
        nominations.nominate(award_round, nomination_data(hidden), partner)
    own = make_case(access_level="restricted", partner="TRAFFIC")
    assert nominations.nominate(award_round, nomination_data(own), partner).partner_id


def test_the_nomination_cap_per_organisation(db):
    partner = join_partner("TRAFFIC")
    colleague = make_partner_user("colleague@traffic.example.org", "TRAFFIC")
    award_round = open_round(max_nominations_per_partner=2)
    nominations.nominate(award_round, nomination_data(make_case()), partner)
    nominations.nominate(award_round, nomination_data(make_case()), colleague)
    with pytest.raises(nominations.NominationInvalid) as refused:
        nominations.nominate(award_round, nomination_data(make_case()), partner)
    assert "2 nominations" in refused.value.errors["case_reference"][0]
    other = make_partner_user("someone@wco.example.org", "WCO")
    assert nominations.nominate(award_round, nomination_data(make_case()), other)


def test_the_cap_counts_under_the_organisations_row_lock(db):
    """Two nominations at once: the second counts only after the first commits (PostgreSQL
    locks the organisation's row; SQLite has one writer and refuses the later write)."""
    from tests.query_counts import statements_run

    partner = join_partner("TRAFFIC")
    award_round = open_round(max_nominations_per_partner=2)
    case = make_case()
    ran = statements_run(
        db, lambda: nominations.nominate(award_round, nomination_data(case), partner)
    )
    locking = [s for s in ran if "FROM partners" in s]
    counting = [s for s in ran if "count(nominations.id)" in s]
    assert locking and counting and ran.index(locking[0]) < ran.index(counting[0])
    if db.session.get_bind().dialect.name == "postgresql":
        assert "FOR UPDATE" in locking[0]


def test_named_officers_need_their_recorded_consent(db):
    award_round = open_round()
    editor = role_user("editor")
    named = nomination_data(make_case(), named_officers="Officer A. Mwangi")
    with pytest.raises(nominations.NominationInvalid) as refused:
        nominations.nominate(award_round, named, editor)
    assert "officers_consent" in refused.value.errors
    nomination = nominations.nominate(award_round, {**named, "officers_consent": True}, editor)
    assert nomination.officers_consent


def test_a_partner_nominates_through_the_form(auth, client, db):
    join_partner("TRAFFIC")
    award_round = open_round()
    case = make_case()
    db.session.commit()
    auth.login("partner")
    path = f"/partner/awards/{award_round.id}/nominate"
    page = client.get(path).get_data(as_text=True)
    data = {**nomination_data(case), "officers_consent": "", "named_officers": "Agent X",
            "csrf_token": csrf_token(page)}  # fmt: skip
    response = client.post(path, data=data)
    assert response.status_code == 400 and "Agent X" in response.get_data(as_text=True)
    data["officers_consent"] = "y"
    assert client.post(path, data=data).status_code == 302
    assert len(db.session.get(AwardRound, award_round.id).nominations) == 1


def test_a_closed_round_takes_no_nomination(auth, client, db):
    award_round, _ = judging_round()
    db.session.commit()
    auth.login("partner")
    assert client.get(f"/partner/awards/{award_round.id}/nominate").status_code == 404


# Conflicts of interest.
def test_a_judge_of_the_nominating_or_the_case_organisation_is_excluded(db):
    judge = role_user("judge")
    award_round = open_round()
    traffic = join_partner("TRAFFIC")
    by_traffic = nominations.nominate(award_round, nomination_data(make_case()), traffic)
    wco_case = nominations.nominate(award_round, nomination_data(make_case(partner="WCO")),
                                    role_user("editor"))  # fmt: skip
    rounds.apply(award_round, "start_judging", role_user("editor"))
    judge.partner = traffic.partner
    db.session.flush()
    assert permissions.judging_conflict(judge, by_traffic) == permissions.NOMINATING_ORGANISATION
    with pytest.raises(judging.ScoresInvalid):
        judging.save_scores(by_traffic, judge, {c.id: ("5", "") for c in award_round.criteria})
    judge.partner = wco_case.case_study.partner
    db.session.flush()
    assert permissions.judging_conflict(judge, wco_case) == permissions.CASE_ORGANISATION
    assert permissions.judging_conflict(judge, by_traffic) is None


def test_exclusions_are_shown_not_skipped(auth, client, db):
    award_round, nomination = judging_round(cases=2)
    judge = role_user("judge")
    judging.declare_conflict(nomination, judge, "I know the unit.")
    db.session.commit()
    auth.login("judge")
    page = client.get(f"/judging/rounds/{award_round.id}").get_data(as_text=True)
    assert "Excluded: you declared a conflict of interest." in page
    assert page.count("To score") == 1
    scoring = client.get(f"/judging/rounds/{award_round.id}/nominations/{nomination.id}")
    assert "Save my scores" not in scoring.get_data(as_text=True)


# Hidden scores.
SECRET_COMMENT = "zebra-quill-4471"


def scored_round(db):
    """A judging round the test judge has scored with SECRET_COMMENT, marks 5 and 3."""
    award_round, nomination = judging_round()
    judge = role_user("judge")
    marks = dict(zip([c.id for c in award_round.criteria], ("5", "3"), strict=True))
    judging.save_scores(nomination, judge, {c: (m, SECRET_COMMENT) for c, m in marks.items()})
    db.session.commit()
    return award_round, nomination


def test_a_judge_reads_only_their_own_scores(auth, client, db):
    award_round, nomination = scored_round(db)
    path = f"/judging/rounds/{award_round.id}/nominations/{nomination.id}"
    auth.login("judge")
    assert SECRET_COMMENT in client.get(path).get_data(as_text=True)
    auth.logout()
    auth.login("editor")  # also named a judge of the round
    assert SECRET_COMMENT not in client.get(path).get_data(as_text=True)


def get_routes(app):
    return sorted({rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods})


@pytest.mark.parametrize("role", ["anonymous", "editor", "admin", "partner", "officer"])
def test_no_route_shows_another_judges_scores_or_a_total_before_close(app, auth, client, db,
                                                                       role):  # fmt: skip
    from tests.test_access_rules import example_args

    award_round, nomination = scored_round(db)
    args = example_args(db, role)
    args.update({f"editorial.{name}": {"round_id": award_round.id}
                 for name in ("award_round", "edit_award_round")})  # fmt: skip
    args["judging.round"] = {"round_id": award_round.id}
    args["judging.nomination"] = {"round_id": award_round.id, "nomination_id": nomination.id}
    auth.login(role)
    # No page may show the comment, nor the results table (its "Weighted mean" column).
    for endpoint in get_routes(app):
        if endpoint in ("security.logout", "public.set_language"):
            continue
        with app.test_request_context():
            url = url_for(endpoint, **args.get(endpoint, {}))
        response = client.get(url)
        text = response.get_data().decode("utf-8", "replace")  # thumbnails are images
        response.close()
        assert SECRET_COMMENT not in text, (endpoint, role)
        assert "Weighted mean" not in text, (endpoint, role)


def test_results_are_hidden_until_close_then_open_to_editors(db):
    award_round, _ = scored_round(db)
    editor = role_user("editor")
    with pytest.raises(judging.ResultsHidden):
        judging.results(award_round, editor)
    rounds.apply(award_round, "close", editor)
    with pytest.raises(judging.ResultsHidden):
        judging.results(award_round, role_user("judge"))
    (row,) = judging.results(award_round, editor)
    assert row.total == Fraction(9, 2) and row.rank == 1


def test_editors_see_who_has_scored_how_many_but_no_mark(auth, client, db):
    award_round, _ = scored_round(db)
    progress = {p.judge.email: p.scored for p in judging.progress(award_round)}
    assert progress["judge@casebank.example.org"] == 1
    assert progress["editor@casebank.example.org"] == 0


# The arithmetic.
def test_weighted_mean_of_criterion_means():
    means = judging.criterion_means({1: [5, 4], 2: [3, 3], 3: []})
    assert means == {1: Fraction(9, 2), 2: Fraction(3)}
    assert judging.weighted_mean(means, {1: 3, 2: 1, 3: 2}) == Fraction(9 * 3 + 6, 8)
    assert judging.weighted_mean({}, {1: 1}) is None


def test_ranking_shows_ties_as_ties():
    ranked = judging.competition_ranking(
        [("a", Fraction(4)), ("b", Fraction(9, 2)), ("c", Fraction(4)), ("d", None), ("e", 3)]
    )
    assert [(rank, tied, key) for rank, tied, key, _ in ranked] == [
        (1, False, "b"), (2, True, "a"), (2, True, "c"), (4, False, "e"), (None, False, "d"),
    ]  # fmt: skip


def test_equal_marks_tie_on_the_results_page(auth, client, db):
    award_round, first = judging_round(cases=2)
    second = award_round.nominations[1]
    judge = role_user("judge")
    for nomination in (first, second):
        judging.save_scores(nomination, judge, {c.id: ("4", "") for c in award_round.criteria})
    rounds.apply(award_round, "close", role_user("editor"))
    db.session.commit()
    auth.login("editor")
    page = client.get(f"/editorial/awards/{award_round.id}").get_data(as_text=True)
    assert page.count("(tie)") == 2 and page.count("4.00") >= 2


# The public face.
CANARY = "lanternfish-7093"


def announced_with_restricted_winner(db):
    editor = role_user("editor")
    award_round = open_round()
    secret = make_case(access_level="restricted", title=f"Seizure {CANARY}",
                       restricted_notes=f"Informant {CANARY}.")  # fmt: skip
    public = make_case(restricted_notes=f"Route {CANARY}.", title="Public ivory seizure")
    hidden = nominations.nominate(award_round, nomination_data(secret, citation="Hidden work."),
                                  editor)  # fmt: skip
    shown = nominations.nominate(award_round, nomination_data(public, citation="Open work."),
                                 editor)  # fmt: skip
    rounds.apply(award_round, "start_judging", editor)
    rounds.apply(award_round, "close", editor)
    rounds.set_results(award_round, {hidden.id: "winner", shown.id: "runner_up"}, "Well done.",
                       editor)  # fmt: skip
    rounds.apply(award_round, "announce", editor)
    db.session.commit()
    return hidden, shown


def test_public_pages_show_the_public_face_only(client, db):
    hidden, shown = announced_with_restricted_winner(db)
    pages = {
        "awards": client.get("/awards"),
        "home": client.get("/"),
        "certificate": client.get(f"/awards/certificates/{hidden.id}"),
        "feed": client.get("/feed.atom"),
        "sitemap": client.get("/sitemap.xml"),
        "public case": client.get(f"/cases/{shown.case_study.reference}"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert CANARY not in response.get_data(as_text=True), name
    awards = pages["awards"].get_data(as_text=True)
    assert "Hidden work." in awards and "Open work." in awards
    assert f"/cases/{shown.case_study.reference}" in awards
    assert f"/cases/{hidden.case_study.reference}" not in awards
    sitemap = pages["sitemap"].get_data(as_text=True)
    assert shown.case_study.reference in sitemap
    assert hidden.case_study.reference not in sitemap
    assert "Award announced" in pages["feed"].get_data(as_text=True)


def test_an_unannounced_round_is_not_public(client, db):
    award_round, nomination = judging_round()
    db.session.commit()
    assert client.get(f"/awards/certificates/{nomination.id}").status_code == 404
    assert award_round.title not in client.get("/awards").get_data(as_text=True)


def test_officers_named_only_with_consent_reach_the_certificate(client, db):
    editor = role_user("editor")
    award_round = open_round()
    data = nomination_data(make_case(), named_officers="Inspector Wanjiru", officers_consent=True)
    nomination = nominations.nominate(award_round, data, editor)
    for name in ("start_judging", "close"):
        rounds.apply(award_round, name, editor)
    rounds.set_results(award_round, {nomination.id: "winner"}, "Done.", editor)
    rounds.apply(award_round, "announce", editor)
    db.session.commit()
    assert "Inspector Wanjiru" in client.get(f"/awards/certificates/{nomination.id}").text


def test_the_feed_is_atom_with_public_case_studies(client, db):
    from defusedxml import ElementTree

    case = make_case(title="Pangolin scales feed entry")
    db.session.commit()
    response = client.get("/feed.atom")
    assert response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.data)
    titles = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert "Pangolin scales feed entry" in titles
    assert case.reference in response.get_data(as_text=True)


def test_every_page_links_the_feed(client):
    assert 'type="application/atom+xml" href="/feed.atom"' in client.get("/about").text


def test_a_public_case_page_carries_opengraph_and_escaped_json_ld(client, db):
    import json
    import re

    case = make_case(title="Tusks </script><script>alert(1)</script>")
    db.session.commit()
    html = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert '<meta property="og:title" content="Tusks &lt;/script&gt;' in html
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block
    assert json.loads(block)["headline"] == case.title


def test_restricted_case_pages_carry_no_sharing_metadata(auth, client, db):
    case = make_case(access_level="restricted", title=f"Seizure {CANARY}")
    db.session.commit()
    auth.login("officer")
    html = client.get(f"/restricted/cases/{case.reference}").get_data(as_text=True)
    assert "og:title" not in html and "application/ld+json" not in html


# Featured case studies.
def featured_section(client):
    return client.get("/").text.split('id="featured"')[1].split("</section>")[0]


def test_an_editor_features_a_case_on_the_home_page(auth, client, db):
    case = make_case(title="A featured rhino horn seizure")
    db.session.commit()
    assert "A featured rhino horn seizure" not in featured_section(client)
    auth.login("editor")
    page = client.get(f"/editorial/cases/{case.reference}").get_data(as_text=True)
    response = client.post(f"/editorial/cases/{case.reference}/featured",
                           data={"csrf_token": csrf_token(page), "featured": "1"})  # fmt: skip
    assert response.status_code == 302
    auth.logout()
    assert "A featured rhino horn seizure" in featured_section(client)


def test_a_featured_restricted_case_never_reaches_the_home_page(client, db):
    case = make_case(access_level="restricted", title=f"Seizure {CANARY}")
    case.featured = True
    db.session.commit()
    assert CANARY not in client.get("/").text


def test_the_demo_has_an_announced_and_an_open_round(client, db):
    statuses = set(db.session.scalars(select(AwardRound.status)))
    assert {RoundStatus.ANNOUNCED, RoundStatus.NOMINATIONS_OPEN} <= statuses
    assert "Green Customs Award (demo)" in client.get("/awards").text
    assert db.session.scalar(select(Score.id).limit(1))


# Bounded queries.
def announce_round_with(editor, count):
    award_round = open_round(max_nominations_per_partner=10)
    made = [nominations.nominate(award_round, nomination_data(make_case(partner="WCO")), editor)
            for _ in range(count)]  # fmt: skip
    rounds.apply(award_round, "start_judging", editor)
    for nomination in made:
        judging.save_scores(nomination, role_user("judge"),
                            {c.id: ("4", "") for c in award_round.criteria})  # fmt: skip
    rounds.apply(award_round, "close", editor)
    rounds.set_results(award_round, {n.id: "winner" for n in made}, "Done.", editor)
    return award_round


def test_award_pages_load_in_a_bounded_number_of_queries(auth, client, db):
    from tests.test_editorial_case_review import count_queries

    editor = role_user("editor")
    award_round = announce_round_with(editor, 1)
    db.session.commit()
    auth.login("editor")
    paths = ("/awards", "/", f"/editorial/awards/{award_round.id}", "/feed.atom", "/sitemap.xml")

    def counts():
        return [count_queries(db, lambda p=p: client.get(p)) for p in paths]

    counts()  # the first requests of a session also write the session registry
    db.session.expire_all()
    few = counts()
    more = announce_round_with(editor, 4)
    rounds.apply(more, "announce", editor)
    paths = (*paths[:2], f"/editorial/awards/{more.id}", *paths[3:])
    db.session.commit()
    db.session.expire_all()
    assert counts() == few


def test_a_judge_reads_a_restricted_nomination_by_its_citation_only(auth, client, db):
    editor = role_user("editor")
    award_round = open_round()
    secret = make_case(access_level="restricted", title=f"Seizure {CANARY}",
                       restricted_notes=f"Informant {CANARY}.")  # fmt: skip
    nomination = nominations.nominate(award_round, nomination_data(secret), editor)
    rounds.apply(award_round, "start_judging", editor)
    db.session.commit()
    auth.login("judge")
    page = client.get(f"/judging/rounds/{award_round.id}/nominations/{nomination.id}").text
    assert "Exemplary work." in page and CANARY not in page
    assert "judge it from its citation" in page
