"""The indexes follow the database after each commit, survive a failed index write, and can be
checked, repaired and rebuilt beside the live index."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casebank.extensions import db
from casebank.models import CaseStudy, Convention, Document, IndexOutbox, IndexPosition
from casebank.models.case_study import utc_now
from casebank.search import check_index, feed, index_cases, outbox, rebuild
from casebank.search.engine import PUBLIC, RESTRICTED, SearchIndexes
from casebank.search.entries import case_key
from casebank.services.reference_data import load_reference
from tests.factories import make_case, move_case
from tests.search_helpers import Officer, references, search

WORD = "zanzibarquill"


def found(word, user=None):
    return references(search(word, user=user))


def queued():
    """Feed rows this host's index has not applied."""
    return feed.backlog(db.session, feed.host_id())


def queued_cases():
    position = feed.position_of(db.session, feed.host_id())
    return set(
        db.session.scalars(select(IndexOutbox.case_study_id).where(IndexOutbox.position > position))
    )


def test_a_new_case_is_searchable_after_commit():
    case = make_case(narrative=f"Seized {WORD} in a container.")
    assert found(WORD) == []  # flushed, not committed: the index waits for the commit
    db.session.commit()
    assert found(WORD) == [case.reference]
    assert queued() == 0


def test_an_update_replaces_the_old_text():
    case = make_case(title=f"Old {WORD} title")
    db.session.commit()
    case.title = "Completely different heading"
    db.session.commit()
    assert found(WORD) == []
    assert found("completely different heading") == [case.reference]


def test_a_deleted_case_leaves_both_indexes():
    case = make_case(narrative=f"The {WORD} case.")
    db.session.commit()
    db.session.delete(case)
    db.session.commit()
    assert found(WORD) == [] and found(WORD, Officer()) == []


def test_unpublish_publish_and_restrict():
    case = make_case(narrative=f"The {WORD} case.")
    db.session.commit()
    move_case(case, "unpublish")
    db.session.commit()
    assert found(WORD) == [] and found(WORD, Officer()) == []
    move_case(case, "reopen", "publish")
    db.session.commit()
    assert found(WORD) == [case.reference] == found(WORD, Officer())
    case.access_level = "restricted"
    db.session.commit()
    assert found(WORD) == [] and found(WORD, Officer()) == [case.reference]


def test_a_draft_is_in_neither_index():
    make_case(narrative=f"The {WORD} draft.", status="draft")
    db.session.commit()
    assert found(WORD) == [] and found(WORD, Officer()) == []


def test_a_rolled_back_change_queues_nothing():
    make_case(narrative=f"The {WORD} case.")
    db.session.rollback()
    assert queued() == 0 and found(WORD) == []


def test_a_failed_index_write_keeps_the_database_write_and_is_repaired(monkeypatch):
    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(SearchIndexes, "writers", broken)
    case = make_case(narrative=f"The {WORD} case.")
    db.session.commit()  # does not raise: the database write stands
    assert db.session.get(CaseStudy, case.id) is not None
    assert queued_cases() == {case.id} and found(WORD) == []
    monkeypatch.undo()
    other = make_case(title="The next save")
    db.session.commit()  # the next commit applies what was left queued
    assert found(WORD) == [case.reference] and found("next save")[0] == other.reference
    assert queued() == 0


def test_check_index_reports_and_repairs_drift(search_index):
    case = db.session.scalar(select(CaseStudy).filter_by(reference="CB-2019-001"))
    with search_index.writers() as writers:
        writers[PUBLIC].delete_by_term("key", case_key(case.id))
        writers[RESTRICTED].delete_by_term("key", case_key(case.id))
    assert "CB-2019-001" not in found("pangolin")
    report = check_index(repair=False)
    assert report[PUBLIC]["missing"] == 1 and report[RESTRICTED]["missing"] == 1
    assert check_index()["repaired"] == 1
    assert found("pangolin")[0] == "CB-2019-001"
    assert check_index(repair=False)[PUBLIC] == {"missing": 0, "extra": 0, "stale": 0}


def test_check_index_without_repair_changes_nothing(search_index, runner):
    """--no-repair reports: queued changes stay queued, drift stays, a missing index stays."""
    case = db.session.scalar(select(CaseStudy).filter_by(reference="CB-2019-001"))
    with search_index.writers() as writers:
        writers[PUBLIC].delete_by_term("key", case_key(case.id))
    db.session.add(IndexOutbox(case_study_id=case.id))
    db.session.flush()
    report = check_index(repair=False)
    assert report["queued"] >= 1 and not report["applied"]
    assert report[PUBLIC]["missing"] == 1
    assert queued() >= 1 and "CB-2019-001" not in found("pangolin")
    result = runner.invoke(args=["casebank", "check-index", "--no-repair"])
    assert "waiting (not applied)" in result.output and queued() >= 1
    check_index()  # the suite's index outlives this test's transaction: put the case back
    assert found("pangolin")[0] == "CB-2019-001"


def test_index_cases_brings_one_case_in_line_now():
    case = make_case(narrative=f"The {WORD} case.")
    db.session.flush()
    index_cases([case.id])  # e.g. a repair script: no commit needed to index what it reads
    assert found(WORD) == [case.reference]


def test_rebuild_builds_beside_the_live_index_and_swaps(search_index):
    before = search_index.current_generation()
    searcher = search_index.searcher(PUBLIC)  # a search in progress during the rebuild
    result = rebuild()
    assert search_index.current_generation() != before
    assert result["entries"][RESTRICTED] == (
        db.session.scalar(select(func.count(CaseStudy.id)).filter_by(status="published"))
        + db.session.scalar(select(func.count(Document.id)).filter_by(status="published"))
    )
    assert searcher.doc_count() > 0  # the old generation still answers
    assert found("pangolin")[0] == "CB-2019-001"
    rebuild()
    rebuild()
    assert len(list(search_index.index_dir.glob("gen-*"))) == 2  # the live one and the previous


def test_without_fork_a_rebuild_writes_both_indexes_in_this_process(search_index, monkeypatch):
    monkeypatch.setattr(outbox.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setattr(outbox, "BATCH", 7)  # several batches, each to both writers
    report = rebuild()
    for audience in (PUBLIC, RESTRICTED):
        assert report["caught_up"][audience] == {"missing": 0, "extra": 0, "stale": 0}
    assert report["entries"][PUBLIC] < report["entries"][RESTRICTED]
    assert found("pangolin")[0] == "CB-2019-001"


def test_reindex_and_check_index_commands(runner, search_index):
    result = runner.invoke(args=["casebank", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Search index rebuilt" in result.output
    result = runner.invoke(args=["casebank", "reindex", "--if-missing"])
    assert "not rebuilt" in result.output
    result = runner.invoke(args=["casebank", "check-index"])
    assert result.exit_code == 0 and "public: 0 missing, 0 extra, 0 out of date" in result.output


def test_reindex_if_missing_builds_a_missing_index(runner, search_index):
    (search_index.index_dir / "current").unlink()
    assert search_index.status() == {"status": "missing"}
    result = runner.invoke(args=["casebank", "reindex", "--if-missing"])
    assert result.exit_code == 0 and search_index.status()["status"] == "ok"


def test_without_an_index_the_search_page_says_so(client, search_index):
    (search_index.index_dir / "current").unlink()
    response = client.get("/search?q=pangolin")
    assert response.status_code == 200 and "not available" in response.get_data(as_text=True)
    assert client.get("/healthz").get_json()["index"] == {"status": "missing"}


def test_healthz_reports_both_indexes(client):
    index = client.get("/healthz").get_json()["index"]
    assert index["status"] == "ok" and index["entries"][PUBLIC] < index["entries"][RESTRICTED]


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "<b>bold</b> & co"])
def test_snippets_escape_everything_but_the_marks(client, text):
    make_case(narrative=f"{WORD} {text} {WORD}.")
    db.session.commit()
    page = client.get(f"/search?q={WORD}").get_data(as_text=True)
    assert f"<mark>{WORD}</mark>" in page
    assert text not in page and "&lt;" in page


def test_an_index_that_cannot_be_opened_is_rebuilt_by_check_index(runner, search_index):
    public = search_index.current_generation() / "public"
    for toc in public.glob("*.toc"):
        toc.write_bytes(b"garbage")
    assert search_index.status()["status"] == "error"
    result = runner.invoke(args=["casebank", "check-index"])
    assert result.exit_code == 0 and "rebuilding" in result.output
    assert search_index.status()["status"] == "ok"
    assert found("pangolin")[0] == "CB-2019-001"


def test_renaming_a_convention_reindexes_the_entries_that_carry_it():
    montreal = db.session.scalar(select(Convention).filter_by(code="MONTREAL"))
    assert search("Quadrilateralprotocol").total == 0
    montreal.name = "Quadrilateralprotocol on substances that deplete the ozone layer"
    db.session.commit()
    results = search("quadrilateralprotocol", kind="case")
    assert results.total == dict(search("convention:montreal").facets["kind"])["case"] > 0
    assert queued() == 0


def test_loading_unchanged_reference_data_queues_nothing():
    load_reference()
    db.session.flush()
    assert queued() == 0


def test_a_change_committed_while_a_rebuild_runs_reaches_the_new_generation(monkeypatch):
    """The change leaves updated_at alone (a risk indicator's items), so only the feed can
    carry it over: the rebuild catches up from the feed's head as it was before it read."""
    risk = db.session.scalar(select(Document).filter_by(kind="risk_indicator"))
    build = outbox.write_generation

    def edit_meanwhile(indexes, generation, batches):
        read = list(batches)  # the database was read; the new index is not written yet
        risk.risk_indicator.indicators = [{"category": "routing", "indicator": f"Via {WORD}."}]
        db.session.commit()
        assert found(WORD, Officer()) != [] and queued() == 0  # the live index has it
        return build(indexes, generation, iter(read))

    monkeypatch.setattr(outbox, "write_generation", edit_meanwhile)
    rebuild()
    assert search(WORD, user=Officer()).total == 1 and queued() == 0


def test_a_commit_that_queues_everything_applies_a_bounded_part_and_leaves_the_rest(monkeypatch):
    monkeypatch.setattr(outbox, "BATCH", 5)  # two rounds of five after the commit
    montreal = db.session.scalar(select(Convention).filter_by(code="MONTREAL"))
    montreal.name = "Quadrilateralprotocol on substances that deplete the ozone layer"
    db.session.commit()
    left = queued()
    assert (
        left
        == db.session.scalar(select(func.count(CaseStudy.id)))
        + db.session.scalar(select(func.count(Document.id)))
        - 2 * 5
    )
    assert check_index(repair=True)["queued"] == left and queued() == 0


def test_a_worker_whose_apply_a_rebuild_overtook_leaves_the_rebuilds_position(monkeypatch):
    """A worker applies rows into the live generation; meanwhile a rebuild swaps in a new one
    read before those rows and sets this host back to its start. The worker's late position
    must not carry the host past rows the new generation never received."""
    risk = db.session.scalar(select(Document).filter_by(kind="risk_indicator"))
    host = feed.host_id()
    start = feed.position_of(db.session, host)
    write = outbox.write_entries

    def overtaken(session, writers, *args, **kwargs):
        # What this worker writes lands in the generation the rebuild retires...
        writers = {}
        write(session, writers, *args, **kwargs)
        # ...and the rebuild sets the host back to the head it read before.
        feed.set_position(session, host, start)
        session.commit()

    monkeypatch.setattr(outbox, "write_entries", overtaken)
    risk.risk_indicator.indicators = [{"category": "routing", "indicator": f"Via {WORD}."}]
    db.session.commit()
    monkeypatch.setattr(outbox, "write_entries", write)
    assert feed.position_of(db.session, host) == start
    outbox.apply_outbox()
    assert search(WORD, user=Officer()).total == 1


@pytest.fixture
def a_pruned_feed_this_host_missed(app, monkeypatch):
    """A public case made restricted while this host was away (its feed row pruned unseen):
    the host's index still holds it as public. Searches catch up with the feed, as in
    production."""
    case = make_case(title=f"The {WORD} smuggling route")
    db.session.commit()
    monkeypatch.setattr(outbox, "apply_outbox_quietly", lambda: None)
    case.access_level = "restricted"
    db.session.commit()
    feed.stamp(db.session)
    feed.set_position(db.session, feed.PRUNED, feed.head(db.session))
    db.session.execute(IndexOutbox.__table__.delete())
    db.session.commit()
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "FEED_POLL_SECONDS", 0.001)
    indexes = outbox.search_indexes()
    monkeypatch.setattr(indexes, "feed_poll", feed.Poll(0), raising=False)
    monkeypatch.setattr(indexes, "fell_behind", False, raising=False)  # reset after the test
    return case


def test_a_host_that_fell_behind_the_feed_does_not_serve_its_stale_index(
    client, a_pruned_feed_this_host_missed
):
    page = client.get(f"/search?q={WORD}").get_data(as_text=True)
    assert "smuggling route" not in page
    assert "Search is not available right now" in page


def test_a_host_that_fell_behind_the_feed_is_not_ready(client, a_pruned_feed_this_host_missed):
    response = client.get("/readyz")
    assert response.status_code == 503 and "behind" in response.json["reason"]


def test_a_rebuild_ends_the_refusal(client, a_pruned_feed_this_host_missed):
    assert "Search is not available right now" in client.get(f"/search?q={WORD}").text
    rebuild()
    page = client.get(f"/search?q={WORD}").text
    assert "Search is not available right now" not in page and "smuggling route" not in page
    assert client.get("/readyz").status_code == 200


def test_a_host_caught_up_through_a_quiet_week_still_holds_back_the_next_change(app):
    """A host records when it last applied; with nothing to apply for longer than
    FEED_HOST_TIMEOUT it must still count as seen, or the first change after a quiet spell is
    pruned before it reads it and it rebuilds its whole index (searches unavailable)."""
    host = feed.host_id()
    outbox.apply_outbox()
    row = db.session.get(IndexPosition, host)
    row.applied_at = utc_now() - timedelta(days=8)
    db.session.commit()
    outbox.apply_outbox()  # a search's catch-up: nothing new
    db.session.add(IndexOutbox(case_study_id=1, queued_at=utc_now()))
    feed.stamp(db.session)
    db.session.flush()
    feed.set_position(db.session, "another-host", feed.head(db.session))  # applied it already
    assert feed.prune(db.session, app.config["FEED_HOST_TIMEOUT"]) == 0
    assert not feed.fell_behind(db.session, host)
