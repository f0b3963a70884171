"""Several processes writing the indexes at once lose nothing and see no LockError; a process
killed in the middle of a commit leaves indexes that open, with everything committed kept."""

import multiprocessing
import os
import signal

import pytest

from casebank.crypto import new_master_key
from casebank.search import engine
from casebank.search.engine import AUDIENCES, SEGMENTS_BEFORE_MERGE, SearchIndexes
from casebank.search.storage import PlainStorage, SealedStorage

pytestmark = pytest.mark.no_db
# spawn, not fork: a forked child would share the parent's database connections and threads.
SPAWN = multiprocessing.get_context("spawn")


def document(writer, number):
    return {
        "key": f"case:{writer}-{number}",
        "kind": "case",
        "reference": f"W{writer}-{number}",
        "title": f"writer {writer} document {number}",
        "summary": "a summary",
        "body": f"writer {writer} document {number} concurrent writers sample narrative",
    }


def write_documents(index_dir, key, writer, count):
    indexes = SearchIndexes(index_dir, key)
    for number in range(count):
        with indexes.writers() as writers:
            for w in writers.values():
                w.update_document(**document(writer, number))


def crash_while_committing(index_dir, key, storage_name):
    """Write one document, and die (SIGKILL) in the middle of writing the index files."""
    storage = {"public": PlainStorage, "restricted": SealedStorage}[storage_name]
    original = storage.create_file
    calls = []

    def dying(self, name, *args, **kwargs):
        calls.append(name)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, name, *args, **kwargs)

    storage.create_file = dying
    write_documents(index_dir, key, "crash", 1)


@pytest.fixture
def indexes(tmp_path):
    key = new_master_key()
    indexes = SearchIndexes(tmp_path, key)
    indexes.swap(indexes.new_generation())
    yield indexes
    indexes.close()


def run(target, *args):
    process = SPAWN.Process(target=target, args=args)
    process.start()
    return process


def stored_references(indexes, audience):
    with indexes.open(indexes.current_generation(), audience).searcher() as searcher:
        return sorted(f["reference"] for f in searcher.all_stored_fields())


def test_concurrent_writers_lose_no_update(indexes):
    key = indexes.keyring_text
    processes = [run(write_documents, str(indexes.index_dir), key, w, 12) for w in range(4)]
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]  # no LockError escaped
    expected = sorted(f"W{w}-{n}" for w in range(4) for n in range(12))
    for audience in AUDIENCES:
        assert stored_references(indexes, audience) == expected


@pytest.mark.parametrize("storage_name", ["public", "restricted"])
def test_a_writer_killed_mid_commit_leaves_indexes_that_open(indexes, storage_name):
    key = indexes.keyring_text
    write_documents(str(indexes.index_dir), key, "before", 3)
    process = run(crash_while_committing, str(indexes.index_dir), key, storage_name)
    process.join(60)
    assert process.exitcode == -signal.SIGKILL
    for audience in AUDIENCES:  # both open, with what was committed before the crash
        assert {"Wbefore-0", "Wbefore-1", "Wbefore-2"} <= set(stored_references(indexes, audience))
    assert "Wcrash-0" not in stored_references(indexes, "restricted")
    # The lock died with the process: the next writer gets it and commits.
    write_documents(str(indexes.index_dir), key, "after", 1)
    for audience in AUDIENCES:
        assert "Wafter-0" in stored_references(indexes, audience)
        assert indexes.searcher(audience).doc_count() >= 4


def test_a_large_restricted_build_spills_sealed_scratch_files(indexes):
    """Whoosh spills sorted runs of postings to scratch files past limitmb; they hold terms,
    so the sealed storage seals them too, and the build still reads them back."""
    generation = indexes.current_generation()
    writer = indexes.open(generation, "restricted").writer(limitmb=1)
    words = " ".join(f"spillword{n}" for n in range(3000))
    for n in range(60):
        writer.add_document(**{**document("spill", n), "body": words})
    writer.commit()
    with indexes.open(generation, "restricted").searcher() as searcher:
        assert searcher.doc_count() == 60
        assert ("body", "spillword2999") in searcher.reader()
    on_disk = b"".join(
        p.read_bytes() for p in (generation / "restricted").rglob("*") if p.is_file()
    )
    assert b"spillword" not in on_disk


def segment_count(indexes, audience):
    with indexes.open(indexes.current_generation(), audience).reader() as reader:
        return len(reader.leaf_readers())


def test_segments_piled_up_by_saves_are_merged_in_a_thread_once_saves_pause(indexes):
    assert indexes.merge_later() is None  # nothing piled up yet
    for number in range(SEGMENTS_BEFORE_MERGE):
        with indexes.writers() as writers:  # one save: one small segment per index, no merge
            for w in writers.values():
                w.add_document(**document("pile", number))
    assert segment_count(indexes, "public") == SEGMENTS_BEFORE_MERGE
    postponed = indexes.merge_later(delay=60)
    merge = indexes.merge_later(delay=0)  # a later save postpones the planned merge
    merge.join(timeout=30)
    assert postponed.finished.is_set()  # cancelled: a 60 s timer cannot have run by now
    for audience in ("public", "restricted"):
        assert segment_count(indexes, audience) < SEGMENTS_BEFORE_MERGE
        assert len(stored_references(indexes, audience)) == SEGMENTS_BEFORE_MERGE
    assert indexes.merge_later() is None


def test_a_commit_merges_by_itself_past_the_limit_when_no_merge_was_planned(indexes, monkeypatch):
    monkeypatch.setattr(engine, "SEGMENTS_MERGE_NOW", 4)
    for number in range(8):  # a writer that never plans a merge (the CLI, a long burst)
        with indexes.writers() as writers:
            for w in writers.values():
                w.add_document(**document("cli", number))
    for audience in ("public", "restricted"):
        assert segment_count(indexes, audience) < 4
        assert len(stored_references(indexes, audience)) == 8


def test_opening_tries_again_when_a_commit_removed_what_it_had_listed(indexes, monkeypatch):
    write_documents(str(indexes.index_dir), indexes.keyring_text, "listed", 2)
    real_open = PlainStorage.open_file
    vanished = []

    def commit_in_between(storage, name, **kwargs):  # another process commits right then
        if name.endswith(".toc") and not vanished:
            vanished.append(name)
            raise FileNotFoundError(name)
        return real_open(storage, name, **kwargs)

    monkeypatch.setattr(PlainStorage, "open_file", commit_in_between)
    assert indexes.searcher("public").doc_count() == 2
    assert vanished
