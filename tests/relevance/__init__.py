"""The judged test collection (queries.yaml) and the measures of a ranking against it: nDCG@10,
P@5 and MRR, overall and per kind of query, for anonymous visitors and for officers.

bench/relevance.py prints them; tests/test_search_relevance.py keeps them above a floor.
"""

from collections import defaultdict
from dataclasses import dataclass
from math import log2
from pathlib import Path

import yaml
from werkzeug.datastructures import MultiDict

from casebank.search.engine import PUBLIC, RESTRICTED
from casebank.search.querying import SearchRequest, run_search

QUERIES = Path(__file__).with_name("queries.yaml")
AUDIENCES = {PUBLIC: "anonymous", RESTRICTED: "officer"}
DEPTH = 10


@dataclass(frozen=True)
class Judged:
    query: str
    kind: str
    relevant: dict  # reference -> grade 1-3


def judged_queries(path=QUERIES):
    return [Judged(q["query"], q["kind"], q["relevant"]) for q in yaml.safe_load(path.read_text())]


def visible_judgments(judged, public_references, audience):
    """The judgments an audience can be measured on: restricted cases only for officers."""
    if audience == RESTRICTED:
        return judged.relevant
    return {ref: grade for ref, grade in judged.relevant.items() if ref in public_references}


def ranked_references(searcher, audience, text):
    """The first DEPTH case studies the search page lists for text (case studies only: the
    collection judges case studies; documents are another facet of the same page)."""
    request = SearchRequest.from_args(MultiDict({"q": text, "kind": "case"}))
    return [hit.reference for hit in run_search(searcher, request, audience).hits][:DEPTH]


def ndcg(ranked, relevant, depth=DEPTH):
    gains = [relevant.get(ref, 0) for ref in ranked[:depth]]
    dcg = sum((2**g - 1) / log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted(relevant.values(), reverse=True)[:depth]
    best = sum((2**g - 1) / log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def precision(ranked, relevant, depth=5):
    return sum(1 for ref in ranked[:depth] if ref in relevant) / depth


def reciprocal_rank(ranked, relevant):
    return next((1 / (i + 1) for i, ref in enumerate(ranked) if ref in relevant), 0.0)


@dataclass
class Measures:
    ndcg: float
    p5: float
    mrr: float
    count: int


def mean_measures(rows):
    n = len(rows)
    return Measures(
        ndcg=sum(r["ndcg"] for r in rows) / n,
        p5=sum(r["p5"] for r in rows) / n,
        mrr=sum(r["mrr"] for r in rows) / n,
        count=n,
    )


def evaluate(searcher, audience, public_references, queries=None):
    """{"all": Measures, kind: Measures, ...} and the per-query rows, for one audience.
    A query none of whose relevant cases the audience may see is not measured for it."""
    rows = []
    for judged in queries or judged_queries():
        relevant = visible_judgments(judged, public_references, audience)
        if not relevant:
            continue
        ranked = ranked_references(searcher, audience, judged.query)
        rows.append(
            {
                "query": judged.query,
                "kind": judged.kind,
                "ranked": ranked,
                "ndcg": ndcg(ranked, relevant),
                "p5": precision(ranked, relevant),
                "mrr": reciprocal_rank(ranked, relevant),
            }
        )
    by_kind = defaultdict(list)
    for row in rows:
        by_kind[row["kind"]].append(row)
    if not rows:
        return {}, rows
    summary = {"all": mean_measures(rows)}
    summary.update({kind: mean_measures(kind_rows) for kind, kind_rows in sorted(by_kind.items())})
    return summary, rows
