"""Keeping this host's search indexes in step with the database, through the change feed
(the index_outbox table; search/feed.py).

Every flush that creates, changes or deletes a case study or a document (or a document's risk
indicators) adds feed rows in the same transaction. After the commit, and before a search at
most every FEED_POLL_SECONDS, the rows past this host's position are applied: under both index
write locks, the current state of what they name is read and written to the indexes, then the
host's position moves on. Reading the state under the lock makes the last writer write the
newest state; a failure (a lock held too long, a full disk) leaves the position where it was,
for the next commit, search or `flask casebank check-index`.
"""

import logging
import multiprocessing
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from itertools import islice

from flask import current_app, g, has_app_context
from sqlalchemy import event, insert, literal, select
from sqlalchemy.orm import Session, joinedload, selectinload

from casebank.extensions import db
from casebank.models import (
    CaseStudy,
    Convention,
    Document,
    HSCode,
    IndexOutbox,
    IndexPosition,
    RiskIndicator,
)
from casebank.models.case_study import utc_now
from casebank.search import feed
from casebank.search.engine import (
    AUDIENCES,
    PUBLIC,
    RESTRICTED,
    SearchIndexes,
    SearchUnavailable,
    cancel_quietly,
)
from casebank.search.entries import (
    ReferenceNames,
    case_entry,
    case_key,
    document_entry,
    document_key,
    ids_by_kind,
)
from casebank.services import catalogue
from casebank.services import documents as documents_service

log = logging.getLogger(__name__)
PENDING = "casebank.search.outbox_pending"
BATCH = 200
# A host caught up with nothing to apply still says it is alive this often: pruning skips
# hosts not seen within FEED_HOST_TIMEOUT, and would prune the next change before it reads it.
SEEN_EVERY = timedelta(minutes=10)


class NothingToWrite(Exception):
    """Another process applied the rows first."""


def search_indexes(app=None):
    app = app or current_app
    indexes = app.extensions.get("casebank.search")
    if indexes is None:
        indexes = SearchIndexes(
            app.config["INDEX_DIR"],
            app.config["ENCRYPTION_KEY"],
            sealed_cache_bytes=app.config["SEARCH_SEALED_CACHE_BYTES"],
        )
        app.extensions["casebank.search"] = indexes
    return indexes


def search_session():
    """A session of its own, on the same bind as db.session (a savepoint inside the tests')."""
    return Session(bind=db.session.get_bind(), join_transaction_mode="create_savepoint")


@event.listens_for(Session, "after_flush")
def queue_changed_entries(session, flush_context):
    changed = [*session.new, *session.dirty, *session.deleted]
    cases = {o.id for o in changed if isinstance(o, CaseStudy) and o.id is not None}
    # A risk indicator's id is its document's id; a case's attachments follow its visibility.
    documents = {o.id for o in changed if isinstance(o, Document | RiskIndicator) and o.id}
    if cases:
        attached = select(Document.id).where(Document.case_study_id.in_(cases))
        documents.update(session.connection().scalars(attached))
    now = utc_now()
    # One executemany: every row names both columns.
    rows = [{"case_study_id": i, "document_id": None, "queued_at": now} for i in sorted(cases)]
    rows += [{"case_study_id": None, "document_id": i, "queued_at": now} for i in sorted(documents)]
    if rows:
        session.connection().execute(insert(IndexOutbox), rows)
    renamed = [o for o in session.dirty if isinstance(o, Convention | HSCode)]
    if any(session.is_modified(o) for o in renamed):
        queue_everything(session, now)  # their names are words of the entries that carry them
    if rows or renamed:
        session.info[PENDING] = True


def queue_everything(session, now):
    for column, model in (("case_study_id", CaseStudy), ("document_id", Document)):
        ids = select(model.id, literal(now))
        session.connection().execute(insert(IndexOutbox).from_select([column, "queued_at"], ids))


@event.listens_for(Session, "after_commit")
def apply_after_commit(session):
    if session.info.pop(PENDING, False) and has_app_context():
        apply_outbox_quietly()


@event.listens_for(Session, "after_rollback")
def forget_after_rollback(session):
    session.info.pop(PENDING, None)


# A request applies at most this many batches after its commit, so a change that queues every
# entry (a renamed convention) does not hold it for minutes: later commits, searches (which
# catch up with the feed), the CLI or `flask casebank check-index` do the rest.
ROUNDS_AFTER_COMMIT = 2


def apply_outbox_quietly():
    """Apply the feed; never raise: the database write stands whatever the index does."""
    try:
        return apply_outbox(max_rounds=ROUNDS_AFTER_COMMIT)
    except feed.FellBehind as behind:
        from casebank.search.healing import heal

        search_indexes().fell_behind = True  # searches refuse the stale index until rebuilt
        heal(str(behind))
        return None
    except Exception:  # noqa: BLE001 - logged; the rows stay in the feed and are retried
        log.warning("search index not updated; the changes stay in the feed", exc_info=True)
        return None


def apply_outbox(max_rounds=50):
    """Apply the feed's rows after this host's position to its indexes; returns how many.

    Raises feed.FellBehind when rows this host needed were pruned (its index must be rebuilt).
    Rows stay in the feed for the other hosts; pruning removes them once all have passed."""
    indexes = search_indexes()
    if indexes.current_generation() is None:  # not built yet: `reindex` will read everything
        return 0
    host, applied = feed.host_id(), 0
    with search_session() as session:
        feed.stamp(session)
        session.commit()
        for _ in range(max_rounds):
            try:
                with indexes.writers() as writers:
                    session.rollback()  # read what was committed before we held the locks
                    seen = feed.mark(session, host)
                    rows = feed.rows_after(session, seen[0] if seen else 0, BATCH)
                    if not rows:
                        raise NothingToWrite
                    cases = sorted({r.case_study_id for r in rows} - {None})
                    documents = sorted({r.document_id for r in rows} - {None})
                    write_entries(session, writers, cases, documents)
            except NothingToWrite:
                if seen and seen[1] < utc_now() - SEEN_EVERY:
                    feed.advance(session, host, seen, seen[0])  # caught up, and alive
                    session.commit()
                break
            # The index is committed; a worker that reads the old position meanwhile writes the
            # same current state again, which is harmless. A rebuild may have swapped in a new
            # generation and set the position back meanwhile: then its position stands.
            moved = feed.advance(session, host, seen, rows[-1].position)
            session.commit()
            if not moved:
                break
            applied += len(rows)
        prune_now_and_then(session)
    indexes.fell_behind = False  # the feed held every row this host needed
    indexes.merge_later()
    return applied


def prune_now_and_then(session):
    indexes = search_indexes()
    poll = getattr(indexes, "prune_poll", None) or feed.Poll(current_app.config["FEED_PRUNE_EVERY"])
    indexes.prune_poll = poll
    if poll.due():
        feed.prune(session, current_app.config["FEED_HOST_TIMEOUT"])
        session.commit()


def catch_up_if_due():
    """Before a search: apply what other hosts committed, at most every FEED_POLL_SECONDS per
    process (a change saved on another host is searchable here within that time)."""
    interval = current_app.config["FEED_POLL_SECONDS"]
    if not interval or g.get("holds_sqlite_write_lock"):
        return  # SQLite: this request holds the write lock that applying the feed would wait on
    indexes = search_indexes()
    poll = getattr(indexes, "feed_poll", None) or feed.Poll(interval)
    indexes.feed_poll = poll
    if poll.due():
        apply_outbox_quietly()


def refuse_if_behind():
    """SearchUnavailable when this process found this host's index behind a pruned feed: it
    misses changes (a case made restricted, say) that no row brings any more, so it is not
    read until the rebuild that healing started has caught up."""
    if getattr(search_indexes(), "fell_behind", False):
        raise SearchUnavailable("this host's search index fell behind the change feed")


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


def load_documents(session, ids):
    query = (
        select(Document)
        .where(Document.id.in_(ids))
        .options(
            joinedload(Document.risk_indicator).selectinload(RiskIndicator.conventions),
            joinedload(Document.risk_indicator).selectinload(RiskIndicator.hs_codes),
        )
    )
    return {document.id: document for document in session.scalars(query)}


# What each kind of row names: how to load it, build its entry and key it.
KINDS = (
    (load_cases, case_entry, case_key),
    (load_documents, document_entry, document_key),
)


def write_entries(session, writers, case_ids=(), document_ids=(), names=None):
    """Bring both indexes in line with the current state of these case studies and documents
    (each entry is written, rewritten or removed as the database says)."""
    names = names or ReferenceNames.load(session)
    for (load, entry_of, key_of), ids in zip(KINDS, (case_ids, document_ids), strict=True):
        found = load(session, ids) if ids else {}
        for item_id in ids:
            item = found.get(item_id)
            for audience, writer in writers.items():
                entry = entry_of(item, audience, names) if item else None
                if entry:
                    writer.update_document(**entry)
                else:
                    writer.delete_by_term("key", key_of(item_id))


def rebuild(progress=lambda items, label=None: items):
    """Build both indexes from the database beside the live ones, then swap them in."""
    indexes = search_indexes()
    with indexes.rebuilding():  # one rebuild at a time: each prunes older generations
        return rebuild_generation(indexes, progress)


def rebuild_generation(indexes, progress):
    generation = indexes.new_generation()
    host = feed.host_id()
    with search_session() as session:  # the feed's head before reading: catch up from there
        feed.stamp(session)
        start = feed.head(session)
        feed.set_position(session, feed.rebuilding(host), start)  # prune keeps these rows
        session.commit()
    counts = write_generation(indexes, generation, entry_batches(progress))
    live = indexes.current_generation()
    if live is None:
        indexes.swap(generation)
    else:
        with indexes.locked(live):  # nobody writes into the old generation while we swap
            indexes.swap(generation)
    # Changes committed while we were building: from the head read before, whatever this
    # host's other workers applied to the old generation meanwhile.
    with search_session() as session:
        feed.set_position(session, host, start)
        session.delete(session.get(IndexPosition, feed.rebuilding(host)))
        session.commit()
    report = check_index(repair=True)
    indexes.remove_old_generations()
    return {"entries": counts, "generation": generation.name,
            "caught_up": report}  # fmt: skip


def entry_batches(progress):
    """{audience: entries} for each batch of BATCH case studies or documents, read as needed
    (a build never holds the whole corpus: at 100,000 case studies, about 2 GB of entries),
    each in a short transaction of its own (the feed carries what changes meanwhile)."""
    models = (CaseStudy, Document)  # in the order of KINDS
    with search_session() as session:
        names = ReferenceNames.load(session)
        ids = [session.scalars(select(m.id).order_by(m.id)).all() for m in models]
    for (load, entry_of, _key), model, kind_ids in zip(KINDS, models, ids, strict=True):
        label = f"Indexing {model.__tablename__.replace('_', ' ')}"
        for batch in batched(progress(kind_ids, label), BATCH):
            found = {audience: [] for audience in AUDIENCES}
            with search_session() as session:
                for item in load(session, batch).values():
                    for audience in AUDIENCES:
                        entry = entry_of(item, audience, names)
                        if entry:
                            found[audience].append(entry)
            yield found


def write_generation(indexes, generation, batches):
    """Write the public index in a forked process while this one writes the restricted index:
    Whoosh indexing is CPU-bound Python, so two cores build both in the time of one. This
    process reads the database (the child must not touch this process's connections) and hands
    the child its entries through a pipe, a batch at a time. Returns {audience: entries}."""
    counts = dict.fromkeys(AUDIENCES, 0)
    if "fork" not in multiprocessing.get_all_start_methods():
        with ExitStack() as stack:
            writers = {a: stack.enter_context(building(indexes, generation, a)) for a in AUDIENCES}
            for found in batches:
                for audience, entries in found.items():
                    add_all(writers[audience], entries, counts, audience)
        return counts
    receiving, sending = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=write_received, args=(indexes, generation, receiving, sending)
    )
    child.start()
    receiving.close()
    try:
        with building(indexes, generation, RESTRICTED) as writer:
            for found in batches:
                sending.send(found[PUBLIC])
                counts[PUBLIC] += len(found[PUBLIC])
                add_all(writer, found[RESTRICTED], counts, RESTRICTED)
            sending.send(None)  # the end: the child commits
    except BrokenPipeError:
        pass  # the child stopped: its exit code says so below
    finally:
        sending.close()  # a child still reading then stops, cancelling its build
        child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"building the public index failed (exit code {child.exitcode})")
    return counts


def write_received(indexes, generation, receiving, sending):
    """In the child: the public index from the entries the parent sends, until None."""
    # The fork copied the pipe's sending end: while the child holds it, its recv() waits
    # forever for a parent that stopped (and the parent, joining it, waits too).
    sending.close()
    with building(indexes, generation, PUBLIC) as writer:
        while (entries := receiving.recv()) is not None:  # EOFError if the parent stopped
            for entry in entries:
                writer.add_document(**entry)


def add_all(writer, entries, counts, audience):
    for entry in entries:
        writer.add_document(**entry)
    counts[audience] += len(entries)


# Memory for the postings of one index build, per index (Whoosh's estimate; past it the sorted
# postings are spilled to disk, sealed for the restricted index, and merged at the end). 20,000
# case studies: with 1024 MB, 175 s and 2.1 + 1.4 GB at peak (build and child); with 256 MB,
# 190 s and 0.7 + 0.45 GB. The pool is then bounded whatever the corpus; the restricted index's
# files are still each assembled in memory before they are sealed (SealOnClose), so its build
# grows with the index (100,000: 1.7 GB, against 0.9 GB for the public one).
BUILD_MEMORY_MB = 256


@contextmanager
def building(indexes, generation, audience):
    """A writer for a new index: committed when the block ends, cancelled on any error."""
    writer = indexes.open(generation, audience).writer(limitmb=BUILD_MEMORY_MB)
    try:
        yield writer
        writer.commit()
    except BaseException:
        cancel_quietly(writer)
        raise


def expected_state(session, audience):
    """{key: updated_at} of every entry the index of audience should hold."""
    # The rules the pages apply: what the public, or an officer, may read.
    cases = catalogue.visible_cases(officer=audience == RESTRICTED).subquery()
    readers = documents_service.PUBLIC if audience == PUBLIC else documents_service.OFFICER
    documents = documents_service.visible_documents(readers).subquery()
    state = {}
    for table, key_of in ((cases, case_key), (documents, document_key)):
        rows = session.execute(select(table.c.id, table.c.updated_at))
        state.update((key_of(i), updated.isoformat()) for i, updated in rows)
    return state


def indexed_state(indexes, audience):
    generation = indexes.current_generation()
    with indexes.open(generation, audience).searcher() as searcher:
        return {f["key"]: f.get("updated_at") for f in searcher.all_stored_fields()}


def check_index(repair=True):
    """Compare both indexes with the database; with repair, apply the queued changes first and
    fix what differs; without, change nothing (queued: rows waiting, not applied)."""
    indexes = search_indexes()
    if repair:
        report = {"queued": apply_outbox(), "applied": True}
    else:
        with search_session() as session:
            waiting = feed.backlog(session, feed.host_id())
        report = {"queued": waiting, "applied": False}
    drifted = set()
    with search_session() as session:
        for audience in (PUBLIC, RESTRICTED):
            expected, actual = expected_state(session, audience), indexed_state(indexes, audience)
            missing = expected.keys() - actual.keys()
            extra = actual.keys() - expected.keys()
            stale = {k for k in expected.keys() & actual.keys() if expected[k] != actual[k]}
            report[audience] = {"missing": len(missing), "extra": len(extra), "stale": len(stale)}
            drifted |= missing | extra | stale
        cases, documents = ids_by_kind(drifted)
        if repair:  # also merges the small segments that saves leave behind
            with indexes.writers(merge=True) as writers:
                write_entries(session, writers, cases, documents)
    report["repaired"] = len(drifted) if repair else 0
    return report
