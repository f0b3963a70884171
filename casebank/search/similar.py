"""More like this: the case studies most like one, by what a customs officer compares
(commodity, species or substance, HS codes, convention, concealment, route), then by words.

It is on every public case page, so its work is bounded: each of the case's features is one
posting list read from the decoded postings cache (ranking.py), summed without building a
score dictionary per feature; only the CANDIDATES best cases are scored on words, by looking
them up in a dozen terms' postings; document frequencies are kept per segment.
"""

import heapq
from collections import Counter
from math import log

from casebank.search import ranking
from casebank.search.analysis import BODY, FoldingStemmer
from casebank.search.entries import CASE
from casebank.search.querying import facet_sets

# How much sharing a feature of each kind (entries.profile) counts, before its rarity.
PROFILE_WEIGHTS = {
    "commodity": 3.0,
    "species": 3.0,
    "substance": 3.0,
    "hs": 2.0,
    "heading": 1.0,
    "convention": 1.0,
    "concealment": 1.0,
    "at": 0.5,
    "from": 0.5,
    "via": 0.5,
    "to": 0.5,
    "mode": 0.5,
}
WORDS_WEIGHT = 1.0  # the words: at most this much, so they order cases alike in features
KEY_TERMS = 12
CANDIDATES = 50  # the cases sharing the most features, then ordered with the words too
ENGLISH = FoldingStemmer("en")


def more_like(searcher, key, top=5):
    """Case studies like the one with this key, from the same index: those sharing what a
    customs officer compares (the rarer a shared feature, the more it counts), then the
    words that distinguish its summary and narrative."""
    docnum = searcher.document_number(key=key)
    if docnum is None:
        return []
    stored = searcher.stored_fields(docnum)
    scores = features_shared(searcher, stored.get("profile", ""))
    scores.pop(docnum, None)
    candidates = ranking.best(scores, scores.keys() & case_numbers(searcher), CANDIDATES)
    words = words_shared(searcher, f"{stored.get('summary', '')}\n{stored.get('text', '')}",
                         sorted(candidates))  # fmt: skip
    most = max(words.values(), default=0.0) or 1.0
    similar = heapq.nsmallest(
        top, candidates, key=lambda d: (-scores[d] - WORDS_WEIGHT * words.get(d, 0.0) / most, d)
    )
    return [searcher.stored_fields(doc) for doc in similar]


def features_shared(searcher, profile):
    """{document: how much of this profile it shares}, each feature weighted by its kind and
    its rarity (Whoosh's BM25 idf)."""
    count = searcher.reader().doc_count_all()
    scores = {}
    get = scores.get
    for token in profile.split():
        docs = ranking.live_documents(searcher, "profile", token.encode("utf-8"))
        if docs:
            idf = log(count / (len(docs) + 1)) + 1
            weight = PROFILE_WEIGHTS.get(token.split(":", 1)[0], 0.5) * max(idf, 0.0)
            for doc in docs:
                scores[doc] = get(doc, 0.0) + weight
    return scores


def case_numbers(searcher):
    """The document numbers of the case studies (the section lists cases, not documents),
    kept per searcher; deleted ones included, which no score holds."""
    found = searcher.__dict__.get("case_numbers")
    if found is None:
        kinds = (sets["kind"].get(CASE, ()) for sets in facet_sets(searcher))
        found = searcher.__dict__["case_numbers"] = frozenset().union(*kinds)
    return found


def words_shared(searcher, text, candidates):
    """{candidate: BM25F score} for the words that distinguish text: its terms with the
    highest tf-idf that other entries hold too."""
    count = searcher.reader().doc_count_all()
    frequencies = Counter(token.text for token in ENGLISH(text))
    weighted = []
    for term, tf in frequencies.items():
        df = ranking.doc_frequency(searcher, BODY, term.encode("utf-8"))
        if df > 1:
            weighted.append((tf * log(count / df), term))
    scores = Counter()
    for _weight, term in heapq.nlargest(KEY_TERMS, weighted):
        scores.update(ranking.scores_of(searcher, BODY, term, candidates))
    return scores
