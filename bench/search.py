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
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_login import AnonymousUserMixin  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

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


def queries(rng, words, weights, count):
    # One to three words of middling frequency: neither stop words nor hapaxes.
    ranked = sorted(zip(words, weights, strict=True), key=lambda p: -p[1])
    middle = [w for w, _ in ranked[50:1500]]
    return [" ".join(rng.sample(middle, rng.randint(1, 3))) for _ in range(count)]


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
        terms = highlight_terms(query, searcher.reader())
        return [make_hit(searcher.stored_fields(d), audience, terms) for d in docs]

    user = Officer() if audience == RESTRICTED else ANONYMOUS

    def page(q):  # what /search does: facets on 8 fields, highlights, suggestion when few hits
        return search_for(user, SearchRequest(text=q))

    return {
        "plain": timed(plain, qs),
        "+ highlights": timed(highlighted, qs),
        "page (8 facets + highlights)": timed(page, qs),
    }


def fts5(corpus, qs):
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
        match = " AND ".join(f'"{w}"' for w in q.split())
        return connection.execute(
            "SELECT reference, snippet(cases, 3, '<mark>', '</mark>', '…', 24) FROM cases "
            "WHERE cases MATCH ? ORDER BY rank LIMIT 10",
            (match,),
        ).fetchall()

    return build, {"plain": timed(plain, qs), "+ highlights": timed(highlighted, qs)}


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
        f"{n / elapsed:.0f} case studies/s"
    )
    return corpus


def stored_corpus():
    columns = ("reference", "title", "summary", "narrative", "access_level")
    rows = db.session.execute(select(*(getattr(CaseStudy, c) for c in columns)))
    return [dict(zip(columns, row, strict=True)) for row in rows]


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
        figures = {}
        for audience, label in (
            (PUBLIC, "anonymous (public index)"),
            (RESTRICTED, "officer (sealed restricted index)"),
        ):
            search_for(
                Officer() if audience == RESTRICTED else ANONYMOUS, SearchRequest(text=qs[0])
            )
            figures[audience] = whoosh_modes(audience, qs)
            print(f"\n{label}: {len(qs)} queries, p50 / p95 ms")
            for mode, (p50, p95) in figures[audience].items():
                print(f"  {mode:32s} {p50:7.1f} / {p95:7.1f}")
        build, fts = fts5(corpus, qs)
        print(f"\nSQLite FTS5 over the same public corpus (built in {build:.1f} s), p50 / p95 ms")
        for mode, (p50, p95) in fts.items():
            whoosh = figures[PUBLIC][mode]
            ratio = f"p50 {whoosh[0] / max(p50, 1e-3):.0f}x, p95 {whoosh[1] / max(p95, 1e-3):.0f}x"
            print(f"  {mode:32s} {p50:7.1f} / {p95:7.1f}   Whoosh/FTS5: {ratio}")
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
