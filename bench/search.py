"""Search benchmark: N synthetic case studies, full reindex, query latency, save-to-visible,
and the same queries on SQLite FTS5 over the same corpus, in one run.

    .venv/bin/python bench/search.py --docs 10000 [--queries 200] [--keep DIR]

Prints figures; it is a script, not a test. The corpus is drawn word by word from the demo case
studies' own vocabulary and word frequencies, so terms are distributed like real narratives.
"""

import argparse
import os
import random
import re
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_login import AnonymousUserMixin  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from whoosh import query as wq  # noqa: E402

from casebank import create_app  # noqa: E402
from casebank.extensions import db  # noqa: E402
from casebank.models import CaseStudy  # noqa: E402
from casebank.models import case_study_conventions as convention_links  # noqa: E402
from casebank.models import case_study_hs_codes as hs_links  # noqa: E402
from casebank.models.reference import Convention, HSCode  # noqa: E402
from casebank.models.vocab import CommodityCategory, DetectionMethod, TransportMode  # noqa: E402
from casebank.search import (  # noqa: E402
    check_index,
    ranking,
    rebuild,
    search_for,
    search_indexes,
    similar_cases,
)
from casebank.search.engine import PUBLIC, RESTRICTED  # noqa: E402
from casebank.search.querying import (  # noqa: E402
    SearchRequest,
    highlight_terms,
    make_hit,
    parse_request,
    rank,
)
from casebank.services.demo import demo_case_records  # noqa: E402
from casebank.services.reference_data import load_reference  # noqa: E402


class Officer:
    """A stand-in for a vetted officer: the bench measures search, not logins."""

    is_authenticated = True
    id = None  # not a stored account
    email = "bench-officer@casebank.example.org"

    def has_role(self, role):
        return role == "officer"

    def has_restricted_access(self):
        return True


ANONYMOUS = AnonymousUserMixin()


WORD = re.compile(r"[a-z][a-z-]{2,}")
COUNTRIES = ["KE", "TZ", "SG", "HK", "CN", "US", "NL", "BE", "IT", "ES", "BR", "IN", "ID", "MY"]


def vocabulary():
    records = demo_case_records()
    text = " ".join(
        " ".join(str(r.get(f) or "") for f in ("title", "summary", "narrative", "lessons_learned"))
        for r in records
    ).lower()
    counts = Counter(WORD.findall(text))
    words = list(counts)
    return words, [counts[w] for w in words]


def sentence(rng, words, weights, n):
    return " ".join(rng.choices(words, weights, k=n)).capitalize() + "."


def synthetic_cases(n, rng, words, weights, hs_ids, convention_ids):
    start = date(2005, 1, 1)
    for i in range(n):
        paragraphs = [
            " ".join(sentence(rng, words, weights, rng.randint(12, 22)) for _ in range(8))
            for _ in range(3)
        ]
        restricted = rng.random() < 0.25
        yield (
            {
                "reference": f"BENCH-{i:06d}",
                "title": sentence(rng, words, weights, 12),
                "summary": sentence(rng, words, weights, 40),
                "narrative": "\n\n".join(paragraphs),
                "seizure_date": start + timedelta(days=rng.randint(0, 7000)),
                "country": rng.choice(COUNTRIES),
                "transport_mode": rng.choice(list(TransportMode)).value,
                "commodity_category": rng.choice(list(CommodityCategory)).value,
                "detection_method": rng.choice(list(DetectionMethod)).value,
                "prosecution_status": "none",
                "origin_countries": rng.sample(COUNTRIES, 1),
                "transit_countries": [],
                "destination_countries": rng.sample(COUNTRIES, 1),
                "agencies": [],
                "source_urls": [],
                "access_level": "restricted" if restricted else "public",
                "restricted_notes": sentence(rng, words, weights, 50)
                if rng.random() < 0.5
                else None,
                "status": "published",
            },
            rng.sample(hs_ids, rng.randint(1, 2)),
            rng.sample(convention_ids, 1),
        )


def load_corpus(n, rng, words, weights):
    load_reference()
    db.session.commit()
    hs_ids = list(db.session.scalars(select(HSCode.id)))
    convention_ids = list(db.session.scalars(select(Convention.id)))
    corpus = []
    batch = []
    for record, hs, conventions in synthetic_cases(n, rng, words, weights, hs_ids, convention_ids):
        batch.append((record, hs, conventions))
        corpus.append(record)
        if len(batch) == 1000:
            write_batch(batch)
            batch = []
    if batch:
        write_batch(batch)
    return corpus


def write_batch(batch):
    # Core inserts: no ORM flush, so no outbox rows; the reindex reads everything anyway.
    result = db.session.execute(insert(CaseStudy).returning(CaseStudy.id), [r for r, _, _ in batch])
    ids = list(result.scalars())
    db.session.execute(
        insert(hs_links),
        [
            {"case_study_id": i, "hs_code_id": h}
            for i, (_, hs, _) in zip(ids, batch, strict=True)
            for h in hs
        ],
    )
    db.session.execute(
        insert(convention_links),
        [
            {"case_study_id": i, "convention_id": c}
            for i, (_, _, cs) in zip(ids, batch, strict=True)
            for c in cs
        ],
    )
    db.session.commit()


def middle_words(words, weights):
    """Words of middling frequency: neither stop words nor hapaxes."""
    ranked = sorted(zip(words, weights, strict=True), key=lambda p: -p[1])
    return [w for w, _ in ranked[50:1500]]


def queries(rng, words, weights, count):
    middle = middle_words(words, weights)
    return [" ".join(rng.sample(middle, rng.randint(1, 3))) for _ in range(count)]


def typed_queries(rng, words, weights, corpus, count):
    """{query type: [(text, facets)]}: every kind of query the search language has, each as
    FTS5 would be asked it too where it can (fts5_match)."""
    middle = middle_words(words, weights)
    known = set(middle)
    one = lambda: rng.choice(middle)  # noqa: E731
    return {
        "words": [(q, {}) for q in queries(rng, words, weights, count)],
        "phrases": [(f'"{phrase(rng, corpus, known)}"', {}) for _ in range(count)],
        "prefixes": [(prefix(rng, middle), {}) for _ in range(count)],
        "NOT": [(f"{one()} NOT {one()}", {}) for _ in range(count)],
        "fields": [(field_query(rng, one()), {}) for _ in range(count)],
        "facet filters": [(one(), facet_choice(rng)) for _ in range(count)],
    }


def phrase(rng, corpus, known):
    """Two neighbouring words of a case's narrative, both of middling frequency (a phrase
    that occurs)."""
    while True:
        text = WORD.findall(rng.choice(corpus)["narrative"].lower())
        pairs = [(a, b) for a, b in zip(text, text[1:], strict=False) if a in known and b in known]
        if pairs:
            return " ".join(rng.choice(pairs))


def prefix(rng, middle):
    """Three to five letters and *, alone or beside a word."""
    word = rng.choice([w for w in middle if len(w) >= 6])
    stem = f"{word[: rng.randint(3, 5)]}*"
    return stem if rng.random() < 0.5 else f"{stem} {rng.choice(middle)}"


def field_query(rng, word):
    return rng.choice([
        f"title:{word}",
        f"country:{rng.choice(COUNTRIES)} {word}",
        f"year:{rng.randint(2005, 2024)} {word}",
        f"convention:{rng.choice(['cites', 'montreal', 'basel'])} {word}",
    ])  # fmt: skip


def facet_choice(rng):
    return rng.choice([
        {"country": rng.choice(COUNTRIES)},
        {"transport_mode": rng.choice(list(TransportMode)).value},
        {"kind": "case", "year": str(rng.randint(2005, 2024))},
    ])  # fmt: skip


def percentiles(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(fn, items):
    # Each mode starts with no decoded postings kept: repeats within a mode's queries are the
    # workload's own; a mode must not profit from the one before it.
    ranking.forget_postings()
    samples = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def whoosh_modes(audience, qs):
    indexes = search_indexes()
    schema = indexes.searcher(audience).schema

    def ranked(searcher, q):  # the words as typed, then widened by domain knowledge
        parsed = parse_request(q, schema)
        queries = [parsed.typed] + ([parsed.widened] if parsed.widened else [])
        return rank(searcher, queries, SearchRequest(text=q), None)[0], parsed.typed

    def plain(q):  # matching and ranking: the top 10 and the set of all matches
        return ranked(indexes.searcher(audience), q)[0]

    def highlighted(q):  # and the ten hits with their stored fields and highlighted snippets
        searcher = indexes.searcher(audience)
        docs, query = ranked(searcher, q)
        terms = highlight_terms(query, searcher)
        return [make_hit(searcher.stored_fields(d), audience, terms) for d in docs]

    user = Officer() if audience == RESTRICTED else ANONYMOUS

    def page(q):  # what /search does: facets on 8 fields, highlights, suggestion when few hits
        return search_for(user, SearchRequest(text=q))

    return {
        "plain": timed(plain, qs),
        "+ highlights": timed(highlighted, qs),
        "page (8 facets + highlights)": timed(page, qs),
    }


def page_by_type(audience, typed):
    """p50 / p95 of the whole search page (facets, highlights, suggestion) per query type."""
    user = Officer() if audience == RESTRICTED else ANONYMOUS
    return {
        kind: timed(
            lambda item: search_for(user, SearchRequest(text=item[0], facets=item[1])), items
        )  # fmt: skip
        for kind, items in typed.items()
    }


def more_like_this(rng, count):
    """p50 / p95 of "more like this" for random public case studies (a public case page):
    from cold, then the same cases again with their postings kept, as a server that has
    shown them keeps them (at 10,000 the cache holds every posting)."""
    ids = list(db.session.scalars(select(CaseStudy.id).where(CaseStudy.access_level == "public")))
    db.session.rollback()
    sample = rng.sample(ids, count)
    cold = timed(similar_cases, sample)
    samples = []
    for case_id in sample:
        started = time.perf_counter()
        similar_cases(case_id)
        samples.append(time.perf_counter() - started)
    return cold, percentiles(samples)


@contextmanager
def whoosh_matchers_only():
    """Phrases, prefixes and NOT through Whoosh's matchers, as before they were ranked a block
    at a time: the reference for them in the same run."""
    fast = ranking.scores_for

    def plain_only(searcher, query):
        return fast(searcher, query) if is_plain(query) else None

    ranking.scores_for = plain_only
    try:
        yield
    finally:
        ranking.scores_for = fast


def is_plain(query):
    if not isinstance(query, (wq.Term, wq.And, wq.Or, wq.Every)):
        return False
    return query.is_leaf() or all(is_plain(child) for child in query.children())


def fts5(corpus, qs, typed):
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE cases USING fts5(reference, title, summary, narrative)"
    )
    started = time.perf_counter()
    connection.executemany(
        "INSERT INTO cases VALUES (?, ?, ?, ?)",
        [
            (c["reference"], c["title"], c["summary"], c["narrative"])
            for c in corpus
            if c["access_level"] == "public"
        ],
    )
    connection.commit()
    build = time.perf_counter() - started

    def plain(q):
        match = " AND ".join(f'"{w}"' for w in q.split())
        return connection.execute(
            "SELECT reference FROM cases WHERE cases MATCH ? ORDER BY rank LIMIT 10", (match,)
        ).fetchall()

    def highlighted(q):
        match = fts5_match(q)
        return connection.execute(
            "SELECT reference, snippet(cases, 3, '<mark>', '</mark>', '…', 24) FROM cases "
            "WHERE cases MATCH ? ORDER BY rank LIMIT 10",
            (match,),
        ).fetchall()

    modes = {"plain": timed(plain, qs), "+ highlights": timed(highlighted, qs)}
    by_type = {
        kind: timed(lambda item: highlighted(item[0]), items)
        for kind, items in typed.items()
        if all(fts5_match(q) is not None for q, facets in items if not facets)
        and not any(facets for _q, facets in items)
    }
    return build, modes, by_type


def fts5_match(q):
    """The FTS5 query for a query of ours, or None where FTS5 has no such thing (fields other
    than the title, facets): words, phrases, prefixes and NOT are FTS5's own syntax."""
    if q.startswith('"'):
        return q
    words = q.split()
    if any(":" in w and not w.startswith("title:") for w in words):
        return None
    if "NOT" in words:
        a, _not, b = words
        return f'"{a}" NOT "{b}"'
    return " AND ".join(fts5_word(w) for w in words)


def fts5_word(word):
    if word.endswith("*"):
        return f'"{word[:-1]}"*'
    if word.startswith("title:"):
        return f'title:"{word[6:]}"'
    return f'"{word}"'


def word_modes(qs):
    figures = {}
    for audience, label in (
        (PUBLIC, "anonymous (public index)"),
        (RESTRICTED, "officer (sealed restricted index)"),
    ):
        search_for(Officer() if audience == RESTRICTED else ANONYMOUS, SearchRequest(text=qs[0]))
        figures[audience] = whoosh_modes(audience, qs)
        print(f"\n{label}: {len(qs)} word queries, p50 / p95 ms")
        for mode, (p50, p95) in figures[audience].items():
            print(f"  {mode:32s} {p50:7.1f} / {p95:7.1f}")
    return figures


BEFORE = ("phrases", "prefixes", "NOT")  # the types Whoosh's matchers ran before


def matchers_reference(typed, count):
    """The page with phrases, prefixes and NOT through Whoosh's matchers, on the first
    `count` queries of each (it is slow)."""
    some = {kind: typed[kind][:count] for kind in BEFORE}
    with whoosh_matchers_only():
        return {audience: page_by_type(audience, some) for audience in (PUBLIC, RESTRICTED)}


def print_pages(pages, similar, before, fts_typed, count):
    print(f"\nthe search page by query type, {count} queries each, p50 / p95 ms "
          "(target: p95 <= 30 at 10,000)")  # fmt: skip
    print(f"  {'type':16s} {'anonymous':>15s} {'officer':>15s} {'FTS5':>13s} {'p50 x FTS5':>10s}"
          f"   {'before: Whoosh matchers, anon / officer':s}")  # fmt: skip
    for kind, (p50, p95) in pages[PUBLIC].items():
        officer = pages[RESTRICTED][kind]
        line = f"  {kind:16s} {p50:6.1f} / {p95:6.1f} {officer[0]:6.1f} / {officer[1]:6.1f}"
        fts = fts_typed.get(kind)
        line += (
            f" {fts[0]:5.1f} / {fts[1]:5.1f} {p50 / max(fts[0], 1e-3):9.0f}x"
            if fts
            else f"{'-':>14s} {'-':>10s}"
        )
        if kind in BEFORE:
            old, old_officer = before[PUBLIC][kind], before[RESTRICTED][kind]
            line += (f"   {old[0]:6.1f} / {old[1]:6.1f}, "
                     f"{old_officer[0]:6.1f} / {old_officer[1]:6.1f}")  # fmt: skip
        print(line)
    (cold50, cold95), (warm50, warm95) = similar
    print(f"  {'more like this':16s} {cold50:6.1f} / {cold95:6.1f}   (public case pages, "
          f"from cold; again, kept: {warm50:.1f} / {warm95:.1f}; target p95 <= 20)")  # fmt: skip


def save_to_visible(rng, rounds=20):
    ids = list(db.session.scalars(select(CaseStudy.id).where(CaseStudy.access_level == "public")))
    samples = []
    for n in range(rounds):
        marker = f"visiblemarker{n}x{rng.randint(0, 10**6)}"
        case = db.session.get(CaseStudy, rng.choice(ids))
        started = time.perf_counter()
        case.title = f"{case.title} {marker}"
        db.session.commit()  # the outbox is applied after the commit, in this request
        while search_for(ANONYMOUS, SearchRequest(text=marker)).total != 1:
            time.sleep(0.001)
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def build_corpus_and_index(n, rng, words, weights):
    started = time.perf_counter()
    corpus = load_corpus(n, rng, words, weights)
    words_per_doc = statistics.mean(
        len((c["title"] + " " + c["summary"] + " " + c["narrative"]).split()) for c in corpus[:500]
    )
    print(
        f"corpus: {n} case studies, ~{words_per_doc:.0f} words each "
        f"({time.perf_counter() - started:.1f} s to generate and insert)"
    )
    started = time.perf_counter()
    rebuild()
    elapsed = time.perf_counter() - started
    print(
        f"full reindex (public + sealed restricted index): {elapsed:.1f} s, "
        f"{n / elapsed:.0f} case studies/s; peak memory {peak_memory()} "
        f"(load average {load_average()})"
    )
    return corpus


def stored_corpus():
    columns = ("reference", "title", "summary", "narrative", "access_level")
    rows = db.session.execute(select(*(getattr(CaseStudy, c) for c in columns)))
    corpus = [dict(zip(columns, row, strict=True)) for row in rows]
    db.session.rollback()  # an open read would block an officer's audited search (SQLite)
    return corpus


def peak_memory():
    """Peak resident memory so far of this process (which writes the restricted index) and of
    its largest child (the public index's writer), from getrusage."""
    mine = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return f"{mine:.0f} MB (this process, restricted) + {child:.0f} MB (child, public)"


def load_average():
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--keep", help="data directory to use and keep (default: a temporary one)")
    parser.add_argument(
        "--reuse", help="a data directory of an earlier run: query its corpus, skip the reindex"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 - reproducible synthetic data, not secrets
    words, weights = vocabulary()
    data_dir = Path(args.reuse or args.keep or tempfile.mkdtemp(prefix="casebank-bench-"))
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir / 'bench.db'}",
            "INDEX_DIR": data_dir / "index",
            "DATA_DIR": data_dir,
        },
    )
    with app.app_context():
        from flask_migrate import upgrade

        print(f"machine: {os.cpu_count()} CPUs, load average {load_average()} at start")
        if args.reuse:
            corpus = stored_corpus()
            print(f"corpus: the {len(corpus)} case studies of {data_dir} (no reindex this run)")
            check_index(repair=True)  # merges the small segments an earlier run's saves left
        else:
            upgrade()
            corpus = build_corpus_and_index(args.docs, rng, words, weights)
        qs = queries(random.Random(args.seed + 1), words, weights, args.queries)  # noqa: S311
        typed = typed_queries(random.Random(args.seed + 2), words, weights, corpus, args.queries)  # noqa: S311
        figures = word_modes(qs)
        pages = {audience: page_by_type(audience, typed) for audience in (PUBLIC, RESTRICTED)}
        similar = more_like_this(random.Random(args.seed + 3), args.queries)  # noqa: S311
        before = matchers_reference(typed, args.queries // 4)
        build, fts, fts_typed = fts5(corpus, qs, typed)
        print(f"\nSQLite FTS5 over the same public corpus (built in {build:.1f} s), p50 / p95 ms")
        for mode, (p50, p95) in fts.items():
            whoosh = figures[PUBLIC][mode]
            ratio = f"p50 {whoosh[0] / max(p50, 1e-3):.0f}x, p95 {whoosh[1] / max(p95, 1e-3):.0f}x"
            print(f"  {mode:32s} {p50:7.1f} / {p95:7.1f}   Whoosh/FTS5: {ratio}")
        print_pages(pages, similar, before, fts_typed, args.queries)
        p50, p95 = save_to_visible(rng)
        print(
            f"\nsave one case -> visible in search: p50 {p50:.0f} ms, p95 {p95:.0f} ms (20 saves)"
        )
        merge = search_indexes().merge_later(delay=0)  # leave the index as a server would
        if merge:
            merge.join()
        search_indexes().close()
    print(f"\nload average {load_average()} at the end; data in {data_dir}")


if __name__ == "__main__":
    main()
