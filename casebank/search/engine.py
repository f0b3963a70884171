"""The two Whoosh indexes, their schema and analysers, and how they are opened and written.

Layout under INDEX_DIR: one directory per build ("generation"), each holding a `public` and a
`restricted` index, and a `current` symlink naming the live generation. A rebuild fills a new
generation beside the live one and swaps the symlink, so search stays available meanwhile.
The public index holds only public text; the restricted one is sealed on disk (storage.py).
"""

import logging
import os
import secrets
import shutil
import threading
import time
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.reading import SegmentReader
from whoosh.util.filelock import FileLock
from whoosh.writing import NO_MERGE

from casebank.crypto import Keyring
from casebank.search.analysis import LANGUAGES, FoldingStemmer, SpellingWords, body_field
from casebank.search.storage import BLOCK_CACHE, PlainStorage, SealedStorage

log = logging.getLogger(__name__)

PUBLIC, RESTRICTED = "public", "restricted"
AUDIENCES = (PUBLIC, RESTRICTED)
CURRENT = "current"
# Bumped whenever the schema or the analysers change: a generation built by older code then
# counts as missing, and `flask casebank reindex --if-missing` (run by `make run`) rebuilds it.
SCHEMA_VERSION = "5"
VERSION_FILE = "SCHEMA_VERSION"
WRITE_LOCK = "MAIN_WRITELOCK"  # the lock Whoosh's SegmentWriter takes ("<indexname>_WRITELOCK")
WRITER_TIMEOUT = 10.0  # seconds to wait for another process's writer before giving up
# A save commits a small segment of its own, without merging (fast). Every write and every new
# searcher opens every segment, so they must not pile up: once an index has
# SEGMENTS_BEFORE_MERGE, a thread merges the small ones into one (merge_small_segments) when
# saves have paused for MERGE_DELAY seconds, so that a burst of saves does not wait for merges
# (they hold the write lock). Past SEGMENTS_MERGE_NOW (a long burst, or writers that plan no
# merge, such as the CLI), the commit itself merges them.
SEGMENTS_BEFORE_MERGE = 6
SEGMENTS_MERGE_NOW = 24
MERGE_DELAY = 2.0


class SearchUnavailable(Exception):
    """The index is missing or cannot be opened; the page says so instead of failing."""


def build_schema():
    """One field to match words in (`body`, per language), small fields for what users may
    name (title:, species:, country:, ...), and stored fields to show results from."""
    english = FoldingStemmer("en")
    body_fields = {body_field(lang): TEXT(analyzer=FoldingStemmer(lang)) for lang in LANGUAGES}
    return Schema(
        key=ID(stored=True, unique=True),
        kind=ID(stored=True, sortable=True),
        reference=ID(stored=True),
        title=TEXT(analyzer=english, stored=True),
        **body_fields,
        summary=STORED(),  # a case's summary, a document's description
        text=STORED(),  # a case's narrative, the start of a document's text: for snippets
        restricted_notes=STORED(),
        language=ID(stored=True),
        species=TEXT(analyzer=english, stored=True),
        spell=TEXT(analyzer=SpellingWords(), phrase=False, spelling=True),
        country=KEYWORD(lowercase=False),
        hs=KEYWORD(lowercase=False),
        convention=KEYWORD(stored=True, lowercase=False),
        seizing_country=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        date=ID(stored=True, sortable=True),  # a case's seizure date, a document's publication
        transport_mode=ID(stored=True, sortable=True),
        detection_method=ID(stored=True, sortable=True),
        prosecution_status=ID(stored=True, sortable=True),
        commodity=ID(stored=True, sortable=True),
        # A case's features for "more like this" (entries.profile); stored, as the query is
        # built from the case's own.
        profile=KEYWORD(stored=True, lowercase=False),
        updated_at=STORED(),
        access=STORED(),  # stored, never indexed: it cannot be queried
    )


SCHEMA = build_schema()


class SearchIndexes:
    """The live generation's two indexes: opening, writing with retries, cached searchers."""

    def __init__(self, index_dir, keyring_text, sealed_cache_bytes=None):
        self.index_dir = Path(index_dir)
        if sealed_cache_bytes is not None:  # the cache of decrypted blocks is per process
            BLOCK_CACHE.limit = sealed_cache_bytes
        self.keyring_text = keyring_text
        self.keyring = Keyring.from_text(keyring_text)
        self._local = threading.local()
        self._searchers = set()  # every thread's cached searchers, so close() can close them
        self._searchers_lock = threading.Lock()
        self._merge_timer = None
        self._merge_lock = threading.Lock()
        self.segments = 0  # the most segments an index had after this process's last commits

    # -- generations ---------------------------------------------------------------------
    def current_generation(self):
        link = self.index_dir / CURRENT
        if not link.is_symlink():
            return None
        target = self.index_dir / os.readlink(link)
        try:
            version = (target / VERSION_FILE).read_text().strip()
        except OSError:
            return None
        return target if version == SCHEMA_VERSION else None

    def storage(self, generation, audience):
        path = Path(generation) / audience
        if audience == RESTRICTED:
            return SealedStorage(path, self.keyring)
        return PlainStorage(path)

    def new_generation(self):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")  # sorts by age
        generation = self.index_dir / f"gen-{stamp}-{secrets.token_hex(3)}"
        for audience in AUDIENCES:
            (generation / audience).mkdir(parents=True)
            self.storage(generation, audience).create_index(SCHEMA)
        (generation / VERSION_FILE).write_text(SCHEMA_VERSION)
        return generation

    @contextmanager
    def rebuilding(self):
        """Hold the rebuild lock (a second `reindex` waits for the first to finish)."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.index_dir / "REBUILD_LOCK"))
        lock.acquire(blocking=True)
        try:
            yield
        finally:
            lock.release()

    def rebuild_running(self):
        """Whether a rebuild, in this process or another, holds the rebuild lock."""
        self.index_dir.mkdir(parents=True, exist_ok=True)  # deleted under us: nobody holds it
        lock = FileLock(str(self.index_dir / "REBUILD_LOCK"))
        if lock.acquire(blocking=False):
            lock.release()
            return False
        return True

    def swap(self, generation):
        """Make generation live, atomically (readers see the old or the new, never neither)."""
        temporary = self.index_dir / f"{CURRENT}.{secrets.token_hex(4)}"
        os.symlink(Path(generation).name, temporary)
        os.replace(temporary, self.index_dir / CURRENT)
        log.info("search index generation %s is live", Path(generation).name)

    def remove_old_generations(self, keep=2):
        """Delete all but the newest `keep` generations (the previous one serves late readers)."""
        live = self.current_generation()
        generations = sorted(p for p in self.index_dir.glob("gen-*") if p.is_dir())
        for old in generations[:-keep]:
            if live is None or old.resolve() != live.resolve():
                shutil.rmtree(old, ignore_errors=True)

    def open(self, generation, audience):
        return opened_despite_commits(
            lambda: self.storage(generation, audience).open_index(schema=SCHEMA)
        )

    # -- writing -------------------------------------------------------------------------
    @contextmanager
    def writers(self, generation=None, timeout=WRITER_TIMEOUT, merge=False, **options):
        """Writers on both indexes of a generation (the live one by default), locked in a fixed
        order; commits both on success, cancels both on error. Raises LockError on timeout.
        merge: whether the commit merges small segments."""
        deadline = time.monotonic() + timeout
        while True:
            live = generation or self.current_generation()
            if live is None:
                raise SearchUnavailable("no search index; run `flask casebank reindex`")
            with ExitStack() as stack:
                opened = {}
                for audience in AUDIENCES:
                    remaining = max(deadline - time.monotonic(), 0.0)
                    writer = self.open(live, audience).writer(
                        timeout=remaining, delay=0.02, **options
                    )
                    stack.callback(cancel_quietly, writer)
                    opened[audience] = writer
                # A rebuild may have swapped generations while we waited for the locks.
                if generation is None and self.current_generation() != live:
                    continue
                yield opened
                for audience in AUDIENCES:
                    writer = opened[audience]
                    count = len(writer.segments) + 1
                    self.segments = max(self.segments, count)
                    now = merge or count >= SEGMENTS_MERGE_NOW
                    writer.commit(mergetype=merge_small_segments if now else NO_MERGE)
                stack.pop_all()
                return

    def merge_later(self, delay=MERGE_DELAY):
        """Plan a merge of small segments if they have piled up (see SEGMENTS_BEFORE_MERGE);
        each save postpones it. Returns the timer thread, or None."""
        if self.segments < SEGMENTS_BEFORE_MERGE:
            return None
        with self._merge_lock:
            if self._merge_timer:
                self._merge_timer.cancel()
            self._merge_timer = threading.Timer(delay, self._merge)
            self._merge_timer.daemon = True
            self._merge_timer.start()
            return self._merge_timer

    def _merge(self):
        try:
            with self.writers(merge=True, timeout=60.0):
                pass
            self.segments = 0  # the next save's commit counts what the merge left
        except Exception:  # noqa: BLE001 - the next save plans another; check-index merges too
            log.warning("merging search index segments failed", exc_info=True)

    @contextmanager
    def locked(self, generation):
        """Hold both write locks of a generation (so nobody writes into it while it is retired)."""
        locks = [self.storage(generation, a).lock(WRITE_LOCK) for a in AUDIENCES]
        acquired = []
        try:
            for lock in locks:
                if not lock.acquire(blocking=True):
                    raise LockError("could not lock the search index")
                acquired.append(lock)
            yield
        finally:
            for lock in acquired:
                lock.release()

    # -- reading -------------------------------------------------------------------------
    def searcher(self, audience):
        """This thread's searcher on the live index, reopened only when the index changed."""
        generation = self.current_generation()
        if generation is None:
            raise SearchUnavailable("the search index has not been built yet")
        cache = self._local.__dict__.setdefault("searchers", {})
        cached = cache.get(audience)
        try:
            if cached and cached[0] == generation and cached[1].up_to_date():
                return cached[1]
            # Not Searcher.refresh(): it reuses segment readers and so misses new deletions
            # in a segment it reuses. Opening afresh is cheap without mmap.
            searcher = opened_despite_commits(lambda: self.open(generation, audience).searcher())
        except Exception as error:
            raise SearchUnavailable(f"the search index cannot be opened: {error!r}") from error
        if cached:
            with self._searchers_lock:
                self._searchers.discard(cached[1])
            cached[1].close()
        with self._searchers_lock:
            self._searchers.add(searcher)
        searcher.index_id = str(Path(generation) / audience)  # for the caches of its segments
        cache[audience] = (generation, searcher)
        return searcher

    def close(self):
        """Close every cached searcher (their files stay open until then)."""
        with self._searchers_lock:
            searchers, self._searchers = self._searchers, set()
        for searcher in searchers:
            searcher.close()
        self._local = threading.local()

    def status(self):
        generation = self.current_generation()
        if generation is None:
            return {"status": "missing"}
        try:
            counts = {a: self.open(generation, a).doc_count() for a in AUDIENCES}
        except Exception as error:  # noqa: BLE001 - any failure to open is what we report
            return {"status": "error", "error": type(error).__name__}
        return {"status": "ok", "generation": generation.name, "entries": counts}


def merge_small_segments(writer, segments):
    """A merge policy (Whoosh's mergetype): every segment under a tenth of the largest merges
    into one; when fewer than two are that small, all but the largest do. Whoosh's own
    MERGE_SMALL merges a few at a time and left a dozen small segments after a burst of saves.
    """
    if len(segments) < 2:
        return segments
    largest = max(segments, key=lambda s: s.doc_count_all())
    others = [s for s in segments if s is not largest]
    small = [s for s in others if s.doc_count_all() * 10 < largest.doc_count_all()]
    merging = small if len(small) >= 2 else others
    for segment in merging:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [s for s in segments if s not in merging]


def opened_despite_commits(open_, attempts=5):
    """open_(), again if another process's commit removed a file between Whoosh listing the
    index's files and opening them (its old table of contents, or segments it merged away)."""
    for attempt in range(1, attempts):
        try:
            return open_()
        except FileNotFoundError:
            time.sleep(0.01 * attempt)
    return open_()


def cancel_quietly(writer):
    try:
        writer.cancel()
    except Exception:  # noqa: BLE001 - cancelling after a failure must not hide the failure
        log.warning("could not cancel a search index writer", exc_info=True)
