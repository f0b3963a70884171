"""More like this (search/similar.py) reads cached postings and frequencies for speed; it must
pick the same cases as the plain computation with Whoosh's own lookups does, on an index of
several segments with deletions. (What it compares, on the demo data: test_search_queries.)"""

import heapq
import random
from collections import Counter
from math import log

import pytest
from whoosh import query as wq

from casebank.search import ranking, similar
from casebank.search.analysis import BODY, FoldingStemmer, titled
from tests.search_helpers import segmented_index

RNG = random.Random(5)
WORDS = [
    *("ivory", "pangolin", "scales", "container", "seized", "customs", "port", "shipment"),
    *("timber", "rosewood", "refrigerant", "cylinders", "mislabelled", "declared", "waste"),
    *("batteries", "pesticide", "courier", "airport", "passenger", "luggage", "sniffer"),
    *("dog", "invoice", "consignee", "broker", "transit"),
]
FEATURES = {
    "commodity": ["wildlife", "ods", "waste", "chemicals"],
    "species": ["manis", "loxodonta", "dalbergia"],
    "substance": ["r-134a", "r-22", "carbofuran"],
    "hs": ["050790", "290314", "382478", "440349"],
    "convention": ["CITES", "MONTREAL", "BASEL"],
    "concealment": ["fuel", "tank", "false", "bottom"],
    "at": ["KE", "SG", "NL"],
    "from": ["TZ", "CN", "NG"],
    "to": ["VN", "HK", "US"],
    "mode": ["sea", "air", "road"],
}


def text(n):
    return " ".join(RNG.choices(WORDS, weights=[1 / (i + 1) for i in range(len(WORDS))], k=n))


def profile():
    tokens = []
    for kind, values in FEATURES.items():
        tokens += [f"{kind}:{v}" for v in RNG.sample(values, RNG.choice([0, 1, 1, 2]))]
    return " ".join(tokens)


def document(batch, n):
    title, summary, narrative = text(5), text(20), text(RNG.randint(20, 100))
    return dict(
        kind="case" if n % 9 else "report", reference=f"R{batch}-{n}", title=title,
        body=titled(title, summary, narrative), summary=summary, text=narrative,
        profile=profile(), language="en",
    )  # fmt: skip


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    # Most of the second segment deleted.
    with segmented_index(tmp_path_factory.mktemp("similar"), document, 120, 100) as searcher:
        yield searcher


def reference_more_like(searcher, key, top=5):
    """The plain computation, with Whoosh's matchers, scorer and term lookups throughout."""
    docnum = searcher.document_number(key=key)
    stored = searcher.stored_fields(docnum)
    count = searcher.reader().doc_count_all()
    scores = Counter()
    for token in stored["profile"].split():
        docs = list(searcher.docs_for_query(wq.Term("profile", token)))
        idf = max(log(count / (len(docs) + 1)) + 1, 0)
        weight = similar.PROFILE_WEIGHTS[token.split(":")[0]] * idf
        for doc in docs:
            scores[doc] += weight
    scores.pop(docnum, None)
    cases = set(searcher.docs_for_query(wq.Term("kind", "case")))
    candidates = heapq.nsmallest(
        similar.CANDIDATES, scores.keys() & cases, key=lambda d: (-scores[d], d)
    )
    words = reference_words(searcher, f"{stored['summary']}\n{stored['text']}", set(candidates))
    most = max(words.values(), default=0.0) or 1.0
    ranked = heapq.nsmallest(top, candidates, key=lambda d: (-scores[d] - words[d] / most, d))
    return [searcher.stored_fields(doc)["key"] for doc in ranked]


def reference_words(searcher, text, candidates):
    reader, count = searcher.reader(), searcher.reader().doc_count_all()
    tf = Counter(token.text for token in FoldingStemmer("en")(text))
    weighted = [(n * log(count / reader.doc_frequency(BODY, term)), term)
                for term, n in tf.items() if reader.doc_frequency(BODY, term) > 1]  # fmt: skip
    words = Counter()
    for _weight, term in heapq.nlargest(similar.KEY_TERMS, weighted):
        hits = searcher.search(wq.Term(BODY, term), limit=None)
        words.update({hit.docnum: hit.score for hit in hits if hit.docnum in candidates})
    return words


def live_case_keys(searcher):
    return [searcher.stored_fields(d)["key"] for d in searcher.docs_for_query(wq.Every())]


def test_more_like_this_picks_what_the_plain_computation_picks(searcher):
    keys = live_case_keys(searcher)
    assert len(keys) > 200
    ranking.forget_postings()
    for key in keys:
        ours = [fields["key"] for fields in similar.more_like(searcher, key)]
        assert ours == reference_more_like(searcher, key), key


def test_the_comparison_is_not_vacuous(searcher):
    """Cases share features, the words decide between equal ones, and lists are full."""
    key = live_case_keys(searcher)[0]
    docnum = searcher.document_number(key=key)
    scores = similar.features_shared(searcher, searcher.stored_fields(docnum)["profile"])
    assert len(scores) > similar.CANDIDATES
    assert len(set(scores.values())) < len(scores)  # ties, which words and numbers break
    assert len(similar.more_like(searcher, key)) == 5
