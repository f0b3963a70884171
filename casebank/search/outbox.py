"""Keeping the search indexes in step with the database, through the index_outbox table.

Every flush that creates, changes or deletes a case study adds outbox rows in the same
transaction. After the commit, the rows are applied: under both index write locks, the cases'
current state is read and written to the indexes, then the rows are deleted. Reading the state
under the lock makes the last writer write the newest state; a failure (a lock held too long,
a full disk) leaves the rows for the next commit or `flask casebank check-index`.
"""

import logging
import multiprocessing
from itertools import islice

from flask import current_app, has_app_context
from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.orm import Session, joinedload, selectinload

from casebank.extensions import db
from casebank.models import CaseStudy, IndexOutbox
from casebank.models.case_study import utc_now
from casebank.models.vocab import AccessLevel, WorkflowStatus
from casebank.search.documents import ReferenceNames, case_document, key_of
from casebank.search.engine import AUDIENCES, PUBLIC, RESTRICTED, SearchIndexes

log = logging.getLogger(__name__)
PENDING = "casebank.search.outbox_pending"
BATCH = 200


class NothingToWrite(Exception):
    """Another process applied the rows first."""


def search_indexes(app=None):
    app = app or current_app
    indexes = app.extensions.get("casebank.search")
    if indexes is None:
        indexes = SearchIndexes(app.config["INDEX_DIR"], app.config["ENCRYPTION_KEY"])
        app.extensions["casebank.search"] = indexes
    return indexes


def search_session():
    """A session of its own, on the same bind as db.session (a savepoint inside the tests')."""
    return Session(bind=db.session.get_bind(), join_transaction_mode="create_savepoint")


@event.listens_for(Session, "after_flush")
def queue_changed_cases(session, flush_context):
    changed = [*session.new, *session.dirty, *session.deleted]
    ids = sorted({o.id for o in changed if isinstance(o, CaseStudy) and o.id is not None})
    if ids:
        now = utc_now()
        rows = [{"case_study_id": i, "queued_at": now} for i in ids]
        session.connection().execute(insert(IndexOutbox), rows)
        session.info[PENDING] = True


@event.listens_for(Session, "after_commit")
def apply_after_commit(session):
    if session.info.pop(PENDING, False) and has_app_context():
        apply_outbox_quietly()


@event.listens_for(Session, "after_rollback")
def forget_after_rollback(session):
    session.info.pop(PENDING, None)


def apply_outbox_quietly():
    """Apply the outbox; never raise: the database write stands whatever the index does."""
    try:
        return apply_outbox()
    except Exception:  # noqa: BLE001 - logged; the rows stay queued and are retried
        log.warning("search index not updated; the changes stay queued", exc_info=True)
        return None


def apply_outbox(max_rounds=50):
    """Apply queued changes to both indexes; returns how many outbox rows were applied."""
    indexes = search_indexes()
    if not indexes.exists():
        return 0
    applied = 0
    with search_session() as session:
        for _ in range(max_rounds):
            if not session.scalar(select(func.count()).select_from(IndexOutbox)):
                break
            try:
                with indexes.writers() as writers:
                    session.rollback()  # read what was committed before we held the locks
                    rows = session.execute(
                        select(IndexOutbox.id, IndexOutbox.case_study_id)
                        .order_by(IndexOutbox.id)
                        .limit(BATCH)
                    ).all()
                    if not rows:
                        raise NothingToWrite
                    write_cases(session, writers, sorted({r.case_study_id for r in rows}))
            except NothingToWrite:
                break
            # The index is committed; now the rows may go (if this fails they are re-applied).
            session.execute(delete(IndexOutbox).where(IndexOutbox.id.in_([r.id for r in rows])))
            session.commit()
            applied += len(rows)
    indexes.merge_later()
    return applied


def batched(items, size):
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def load_cases(session, ids):
    query = (
        select(CaseStudy)
        .where(CaseStudy.id.in_(ids))
        .options(
            selectinload(CaseStudy.conventions),
            selectinload(CaseStudy.hs_codes),
            joinedload(CaseStudy.partner),
        )
    )
    return {case.id: case for case in session.scalars(query)}


def write_cases(session, writers, ids, names=None, fresh=False):
    """Bring both indexes in line with the current state of the case studies ids."""
    names = names or ReferenceNames.load(session)
    cases = load_cases(session, ids)
    for case_id in ids:
        case = cases.get(case_id)
        for audience, writer in writers.items():
            document = case_document(case, audience, names) if case else None
            if document and fresh:
                writer.add_document(**document)
            elif document:
                writer.update_document(**document)
            elif not fresh:
                writer.delete_by_term("key", key_of(case_id))


def rebuild(progress=lambda items, label=None: items):
    """Build both indexes from the database beside the live ones, then swap them in."""
    indexes = search_indexes()
    with indexes.rebuilding():  # one rebuild at a time: each prunes older generations
        return rebuild_generation(indexes, progress)


def rebuild_generation(indexes, progress):
    generation = indexes.new_generation()
    documents = {audience: [] for audience in AUDIENCES}
    with search_session() as session:
        names = ReferenceNames.load(session)
        ids = session.scalars(select(CaseStudy.id).order_by(CaseStudy.id)).all()
        for batch in batched(progress(ids, "Reading case studies"), BATCH):
            for case in load_cases(session, batch).values():
                for audience in AUDIENCES:
                    document = case_document(case, audience, names)
                    if document:
                        documents[audience].append(document)
            session.expunge_all()
    write_generation(indexes, generation, documents, progress)
    live = indexes.current_generation()
    if live is None:
        indexes.swap(generation)
    else:
        with indexes.locked(live):  # nobody writes into the old generation while we swap
            indexes.swap(generation)
    report = check_index(repair=True)  # changes committed while we were building
    indexes.remove_old_generations()
    return {"documents": len(ids), "generation": generation.name, "caught_up": report}


def write_generation(indexes, generation, documents, progress):
    """Write the public index in a forked process while this one writes the restricted index:
    Whoosh indexing is CPU-bound Python, so two cores build both in the time of one."""
    if "fork" not in multiprocessing.get_all_start_methods():
        for audience in AUDIENCES:
            write_index(indexes, generation, audience, documents[audience])
        return
    child = multiprocessing.get_context("fork").Process(
        target=write_index, args=(indexes, generation, PUBLIC, documents[PUBLIC])
    )
    child.start()
    try:
        write_index(indexes, generation, RESTRICTED, documents[RESTRICTED], progress)
    finally:
        child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"building the public index failed (exit code {child.exitcode})")


def write_index(indexes, generation, audience, documents, progress=None):
    writer = indexes.open(generation, audience).writer(limitmb=256)
    try:
        items = progress(documents, f"Indexing ({audience})") if progress else documents
        for document in items:
            writer.add_document(**document)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def expected_state(session, audience):
    query = select(CaseStudy.id, CaseStudy.updated_at).where(
        CaseStudy.status == WorkflowStatus.PUBLISHED
    )
    if audience == PUBLIC:
        query = query.where(CaseStudy.access_level == AccessLevel.PUBLIC)
    return {key_of(i): updated.isoformat() for i, updated in session.execute(query)}


def indexed_state(indexes, audience):
    generation = indexes.current_generation()
    with indexes.open(generation, audience).searcher() as searcher:
        return {f["key"]: f.get("updated_at") for f in searcher.all_stored_fields()}


def check_index(repair=True):
    """Compare both indexes with the database; with repair, fix what differs."""
    indexes = search_indexes()
    report = {"queued": apply_outbox()}
    drifted = set()
    with search_session() as session:
        for audience in (PUBLIC, RESTRICTED):
            expected, actual = expected_state(session, audience), indexed_state(indexes, audience)
            missing = expected.keys() - actual.keys()
            extra = actual.keys() - expected.keys()
            stale = {k for k in expected.keys() & actual.keys() if expected[k] != actual[k]}
            report[audience] = {"missing": len(missing), "extra": len(extra), "stale": len(stale)}
            drifted |= missing | extra | stale
        ids = sorted(int(key.split(":", 1)[1]) for key in drifted)
        if repair:  # also merges the small segments that saves leave behind
            with indexes.writers(merge=True) as writers:
                write_cases(session, writers, ids)
    report["repaired"] = len(ids) if repair else 0
    return report
