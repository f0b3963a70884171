"""A reindex that fails part way (the database while read, the child that writes the public
index, the restricted writer) stops both processes, leaves the live generation live and
holds no lock: the next rebuild runs."""

import multiprocessing
import os
import signal
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from casebank.search import outbox, rebuild
from casebank.search.engine import PUBLIC, RESTRICTED

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="the child is forked"
)


class WentAway(Exception):
    """The database, gone while the rebuild reads it."""


class Hung(BaseException):
    """A rebuild still running when it should have failed (not an Exception: nothing
    catches it on the way out)."""


@contextmanager
def at_most(seconds):
    """Fail instead of hanging the suite; kill a child left behind."""

    def hung(*_):
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        left = multiprocessing.active_children()
        for child in left:
            child.kill()
            child.join()
        assert left == [], "a child of the rebuild was left running"


def failing_after(batches, count, error):
    def entries(progress):
        for number, found in enumerate(batches(progress)):
            if number == count:
                raise error
            yield found

    return entries


def assert_fails_unharmed(indexes, monkeypatch, expected, match=None):
    """rebuild() raises expected within a minute; with the fault undone, the live generation
    is the one before, no rebuild holds the lock, and the next rebuild runs and swaps."""
    live = indexes.current_generation()
    with at_most(60), pytest.raises(expected, match=match):
        rebuild()
    monkeypatch.undo()
    assert indexes.current_generation() == live
    assert not indexes.rebuild_running()
    assert rebuild()["entries"][PUBLIC] > 0


def test_a_database_failure_while_reading_stops_the_child(search_index, monkeypatch):
    monkeypatch.setattr(outbox, "entry_batches", failing_after(outbox.entry_batches, 1, WentAway()))
    assert_fails_unharmed(search_index, monkeypatch, WentAway)


def test_an_interrupted_rebuild_stops_the_child(search_index, monkeypatch):
    monkeypatch.setattr(
        outbox, "entry_batches", failing_after(outbox.entry_batches, 0, KeyboardInterrupt())
    )
    assert_fails_unharmed(search_index, monkeypatch, KeyboardInterrupt)


def test_a_failing_restricted_writer_stops_the_child(search_index, monkeypatch):
    add_all = outbox.add_all

    def full_disk(writer, entries, counts, audience):
        if audience == RESTRICTED and counts[RESTRICTED]:
            raise OSError(28, "No space left on device")
        add_all(writer, entries, counts, audience)

    monkeypatch.setattr(outbox, "add_all", full_disk)
    monkeypatch.setattr(outbox, "BATCH", 5)
    assert_fails_unharmed(search_index, monkeypatch, OSError, match="No space")


def test_a_child_that_fails_fails_the_rebuild(search_index, monkeypatch):

    def crash(indexes, generation, receiving, sending):
        sending.close()
        receiving.recv()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outbox, "write_received", crash)
    monkeypatch.setattr(outbox, "BATCH", 5)
    assert_fails_unharmed(search_index, monkeypatch, RuntimeError, match="public index failed")


def test_a_parent_killed_mid_build_leaves_no_child_behind(search_index, tmp_path):
    """The rebuild's process killed (the OOM killer, a recycled worker whose healing thread
    was building): its child must stop, not wait forever holding the rebuild lock's file."""
    generation = search_index.new_generation()
    noted = tmp_path / "child"

    def batches():
        yield {PUBLIC: [], RESTRICTED: []}
        noted.write_text(" ".join(str(c.pid) for c in multiprocessing.active_children()))
        os.kill(os.getpid(), signal.SIGKILL)
        yield {PUBLIC: [], RESTRICTED: []}

    parent = multiprocessing.get_context("fork").Process(
        target=outbox.write_generation, args=(search_index, generation, batches())
    )
    parent.start()
    parent.join()
    [child] = [int(pid) for pid in noted.read_text().split()]
    try:
        assert stopped_within(child, 30)
    finally:
        with suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def stopped_within(pid, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":  # exited; its new parent has yet to reap it
            return True
        time.sleep(0.1)
    return False
