"""Queries matched and ranked a posting block at a time: words and their domain terms, AND, OR,
NOT, prefixes and wildcards, ranges, phrases.

Whoosh walks its matchers one document at a time in Python: about 10 us per matching document
here, so a two-word query matching 3,000 of 10,000 case studies took 35 ms, and counting all
matches for facets walked them again. This module reads each term's postings a whole block at a
time, scores them with Whoosh's own BM25F formula and statistics (same ranking, checked by
tests/test_search_ranking.py), and combines terms with set operations in C: NOT is a set
difference, a prefix the union of the terms it expands to, a phrase its words' intersection
checked for positions (positions.py). Anything else returns None and Whoosh's matchers do it.

It reads Whoosh's postings through W3LeafMatcher's block attributes, which are not public API:
whoosh-reloaded is pinned, and the ranking test fails if an upgrade changes them.
"""

import heapq
import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict
from math import log

from whoosh import query as wq
from whoosh.scoring import BM25F

from casebank.search.positions import leaf_postings, with_phrase

B, K1 = BM25F().B, BM25F().K1
_segment_data = {}  # (index, segment id, name) -> what was read from that segment
_segment_data_lock = threading.Lock()
SEGMENT_DATA_LIMIT = 256
_postings = OrderedDict()  # (segment id, field, term) -> (ids, weights), least recent first
_postings_lock = threading.Lock()
_postings_kept = 0
POSTINGS_KEPT = 8_000_000  # postings kept decoded, per process: about 64 MB
FREQUENCIES_KEPT = 200_000  # document frequencies kept per segment


def scores_for(searcher, query):
    """{document number: BM25F score} of every live document matching query, or None when
    query is of a kind this module leaves to Whoosh (the caller then asks Whoosh)."""
    if query.boost != 1.0:
        return None
    if isinstance(query, wq.Every):
        return every_document(searcher)
    if isinstance(query, wq.Term):
        return term_scores(searcher, query.fieldname, query.text)
    if isinstance(query, wq.Phrase):
        return phrase_scores(searcher, query)
    if isinstance(query, EXPANDING):
        return expanded_scores(searcher, query)
    if isinstance(query, wq.Not):
        return negated_scores(searcher, query)
    if isinstance(query, (wq.AndNot, wq.AndMaybe)):
        return binary_scores(searcher, query)
    if isinstance(query, (wq.And, wq.Or)) and not getattr(query, "minmatch", 0):
        if isinstance(query, wq.Or) and query.scale:
            return None
        return compound_scores(searcher, query)
    return None


# Queries that stand for the terms of a field they expand to (Whoosh's MultiTerm); Whoosh
# scores each expanded term with BM25F (its constantscore only drops a weighting that
# Searcher.postings then puts back) and adds the scores up, as an Or of the terms would.
EXPANDING = (wq.Prefix, wq.Wildcard, wq.TermRange)


def compound_scores(searcher, query):
    """And / Or. Whoosh scores a NOT clause of an And as a match of weight 1 (InverseMatcher),
    so an And's NOT clauses remove their matches and add 1 each to the rest."""
    children = list(query.children())
    negated = []  # an And of NOTs alone scores each as a match of every other document
    if isinstance(query, wq.And) and not all(isinstance(q, wq.Not) for q in children):
        negated = [q for q in children if isinstance(q, wq.Not)]
    parts = [scores_for(searcher, q) for q in children if not (negated and isinstance(q, wq.Not))]
    excluded = [matches(searcher, q.query) if q.boost == 1.0 else None for q in negated]
    if not parts or any(p is None for p in parts + excluded):
        return None
    if isinstance(query, wq.Or):
        return union(parts)
    scores = intersect(parts)
    if excluded:
        removed = set().union(*excluded)
        scores = {d: s + len(excluded) for d, s in scores.items() if d not in removed}
    return scores


def negated_scores(searcher, query):
    """NOT on its own (or among alternatives): every live document it does not match,
    scored 1 as Whoosh's InverseMatcher does."""
    excluded = matches(searcher, query.query)
    if excluded is None:
        return None
    return dict.fromkeys(live_documents_all(searcher) - excluded, 1.0)


def binary_scores(searcher, query):
    """ANDNOT (a's matches without b's, a's scores) and ANDMAYBE (a's matches, plus b's
    score where b matches too)."""
    a, b = scores_for(searcher, query.a), scores_for(searcher, query.b)
    if a is None or b is None:
        return None
    if isinstance(query, wq.AndNot):
        return {d: s for d, s in a.items() if d not in b}
    return {d: s + b[d] if d in b else s for d, s in a.items()}


def matches(searcher, query):
    """The set of live documents query matches, or None (left to Whoosh). Words under NOT
    (a word is an OR of terms, one per language) are matched without being scored."""
    terms = [query] if isinstance(query, wq.Term) else []
    if type(query) is wq.Or and all(isinstance(q, wq.Term) for q in query.children()):
        terms = list(query.children())
    if terms and all(t.boost == 1.0 for t in terms + [query]):
        return set().union(*(live_documents(searcher, t.fieldname, to_bytes(searcher, t))
                             for t in terms))  # fmt: skip
    scores = scores_for(searcher, query)
    return None if scores is None else set(scores)


def to_bytes(searcher, term):
    return searcher.schema[term.fieldname].to_bytes(term.text)


def expanded_scores(searcher, query):
    """A prefix, wildcard or range: the terms it expands to (Whoosh's own expansion), each
    scored, added up."""
    parts = [term_scores_of_bytes(searcher, query.fieldname, b) for b in expansion(searcher, query)]
    return union(parts)


EXPANSIONS_KEPT = 1000


def expansion(searcher, query):
    """The terms a prefix, wildcard or range expands to (Whoosh's own expansion, a walk
    through the term table: milliseconds), kept per searcher: the page's highlights ask too."""
    known = searcher.__dict__.setdefault("expansions", {})
    key = (type(query), query.fieldname, query.text if hasattr(query, "text") else repr(query))
    found = known.get(key)
    if found is None:
        if len(known) >= EXPANSIONS_KEPT:
            known.clear()
        reader = searcher.reader()
        found = known[key] = [b for b in query._btexts(reader) if b]  # noqa: SLF001
    return found


def phrase_scores(searcher, query):
    """A phrase: the documents holding its words one right after the other (positions.py),
    checked only in those holding every word, then scored as Whoosh does (the sum of each
    word's score). Phrases with another slop, or on a field without positions, are left to
    Whoosh."""
    field = searcher.schema[query.fieldname]
    if query.slop != 1 or not field.format or not field.format.supports("positions"):
        return None
    try:
        btexts = [field.to_bytes(word) for word in query.words]
    except ValueError:  # as Whoosh: a word the field cannot hold matches nothing
        return {}
    if len(btexts) < 2:
        return intersect([term_scores_of_bytes(searcher, query.fieldname, b) for b in btexts])
    found = []
    for leaf, offset in searcher.reader().leaf_readers():
        if all(leaf_frequency(searcher, leaf, query.fieldname, b) for b in btexts):
            read = {b: postings_with_values(searcher, leaf, query.fieldname, b) for b in btexts}
            docs = holding_all(searcher, leaf, query.fieldname, read)
            found += [d + offset for d in with_phrase(leaf, query.fieldname, read, btexts, docs)]
    parts = [scores_of_bytes(searcher, query.fieldname, b, found) for b in btexts]
    return {d: sum(part[d] for part in parts) for d in found}


def holding_all(searcher, leaf, fieldname, read):
    """The live documents of leaf (sorted) holding every term of read ({term: its postings
    with values, or None when they are kept decoded})."""
    ids = [(found or postings(searcher, leaf, fieldname, b))[0] for b, found in read.items()]
    common = set(ids[0]).intersection(*ids[1:])
    if leaf.has_deletions():
        common -= leaf.deleted_docs_set
    return sorted(common)


def best(scores, docs, n):
    """The n documents of docs (a set, all scored) with the highest scores, best first (ties:
    the lower number first). The n-th score is found first: sorting thousands of matches by
    a key function cost milliseconds."""
    if len(docs) > n:
        floor = heapq.nlargest(n, [scores[d] for d in docs])[-1]
        docs = [d for d in docs if scores[d] >= floor]
    return heapq.nsmallest(n, docs, key=lambda d: (-scores[d], d))


def segment_key(searcher, leaf):
    """A segment's identity in the caches: its index (SearchIndexes.searcher() names it) and
    its id. Whoosh's segment ids are random; the public and the restricted index must not
    share a cached entry even if two ever met."""
    return getattr(searcher, "index_id", None), leaf.segment().segment_id()


def intersect(parts):
    if len(parts) < 2:
        return parts[0] if parts else {}
    smallest, *others = sorted(parts, key=len)
    docs = [d for d in smallest if all(d in other for other in others)]
    return {d: sum(p[d] for p in parts) for d in docs}


def union(parts):
    parts = sorted((p for p in parts if p), key=len, reverse=True)
    if not parts:
        return {}
    # A word is looked up in three language fields and usually found in one: no copy then.
    scores = parts[0] if len(parts) == 1 else dict(parts[0])
    for part in parts[1:]:
        for doc, score in part.items():
            scores[doc] = scores.get(doc, 0.0) + score
    return scores


def term_scores(searcher, fieldname, text):
    return term_scores_of_bytes(searcher, fieldname, searcher.schema[fieldname].to_bytes(text))


def term_scores_of_bytes(searcher, fieldname, btext):
    field = searcher.schema[fieldname]
    reader = searcher.reader()
    scores = {}
    for leaf, offset in reader.leaf_readers():
        if not leaf_frequency(searcher, leaf, fieldname, btext):
            continue
        deleted = leaf.deleted_docs_set if leaf.has_deletions() else frozenset()
        if field.scorable:
            lengths = field_lengths(searcher, leaf, fieldname)
            add_bm25(scores, searcher, fieldname, btext, leaf, offset, lengths, deleted)
        else:  # Whoosh's WeightScorer: the posting's weight
            ids, weights = postings(searcher, leaf, fieldname, btext)
            scores.update((d + offset, w) for d, w in zip(ids, weights, strict=True))
            for doc in deleted:
                scores.pop(doc + offset, None)
    return scores


def bm25_constants(searcher, fieldname, btext):
    """(base, top, per_length) of whoosh.scoring.bm25 for a term: its score for a posting of
    weight tf in a document of length n is top * tf / (tf + base + per_length * n)."""
    df = doc_frequency(searcher, fieldname, btext)
    idf = log(searcher.reader().doc_count_all() / (df + 1)) + 1
    per_length = K1 * B / (searcher.avg_field_length(fieldname) or 1)
    return K1 * (1 - B), idf * (K1 + 1), per_length


def add_bm25(scores, searcher, fieldname, btext, leaf, offset, lengths, deleted):
    """whoosh.scoring.bm25 for each posting, inlined: a call per posting cost as much again."""
    base, top, per_length = bm25_constants(searcher, fieldname, btext)
    ids, weights = postings(searcher, leaf, fieldname, btext)
    for doc, tf in zip(ids, weights, strict=True):
        if doc not in deleted:
            scores[doc + offset] = top * tf / (tf + base + per_length * lengths[doc])


def scores_of(searcher, fieldname, text, docs):
    """{document: BM25F score} of a term for the given documents only (those that hold it):
    a lookup per document in the decoded postings instead of a score per posting, for
    callers that already know their candidates ("more like this", phrases)."""
    return scores_of_bytes(searcher, fieldname, searcher.schema[fieldname].to_bytes(text), docs)


def scores_of_bytes(searcher, fieldname, btext, docs):
    if not doc_frequency(searcher, fieldname, btext):
        return {}
    base, top, per_length = bm25_constants(searcher, fieldname, btext)
    scores = {}
    for leaf, offset in searcher.reader().leaf_readers():
        if not leaf_frequency(searcher, leaf, fieldname, btext):
            continue
        ids, weights = postings(searcher, leaf, fieldname, btext)
        lengths = field_lengths(searcher, leaf, fieldname)
        for doc in docs:
            local = doc - offset
            i = bisect_left(ids, local) if 0 <= local < len(lengths) else len(ids)
            if i < len(ids) and ids[i] == local and not leaf.is_deleted(local):
                tf = weights[i]
                scores[doc] = top * tf / (tf + base + per_length * lengths[local])
    return scores


def live_documents(searcher, fieldname, btext):
    """The live documents holding a term, numbered as in the searcher (a list)."""
    found = []
    for leaf, offset in searcher.reader().leaf_readers():
        if not leaf_frequency(searcher, leaf, fieldname, btext):
            continue
        ids, _weights = postings(searcher, leaf, fieldname, btext)
        if leaf.has_deletions():
            deleted = leaf.deleted_docs_set
            found += [d + offset for d in ids if d not in deleted]
        elif offset:
            found += [d + offset for d in ids]
        else:
            found.extend(ids)  # in C
    return found


def doc_frequency(searcher, fieldname, btext):
    """reader.doc_frequency (deleted documents included, as Whoosh's idf counts them)."""
    return sum(frequency(known, leaf, fieldname, btext) for leaf, known in frequencies(searcher))


def leaf_frequency(searcher, leaf, fieldname, btext):
    for other, known in frequencies(searcher):
        if other is leaf:
            return frequency(known, leaf, fieldname, btext)
    return leaf.doc_frequency(fieldname, btext)


def frequency(known, leaf, fieldname, btext):
    """How many documents of a segment hold a term. Each lookup reads the segment's term
    table (tens of us) and "more like this" looks up a few hundred terms a case, mostly the
    same from case to case, so they are kept per segment (where they never change)."""
    key = (fieldname, btext)
    df = known.get(key)
    if df is None:
        if len(known) >= FREQUENCIES_KEPT:
            known.clear()
        df = known[key] = leaf.doc_frequency(fieldname, btext)
    return df


def frequencies(searcher):
    """[(segment reader, its kept document frequencies)], found once per searcher."""
    found = searcher.__dict__.get("segment_frequencies")
    if found is None:
        found = searcher.__dict__["segment_frequencies"] = [
            (leaf, per_segment(searcher, leaf, "frequencies", lambda leaf: {}))
            for leaf, _offset in searcher.reader().leaf_readers()
            if leaf.segment() is not None  # an empty index has none
        ]
    return found


def postings(searcher, leaf, fieldname, btext):
    """(document numbers in leaf, weights) of every posting of the term, deleted documents
    included (callers skip them). Decoding Whoosh's blocks (unpickle, inflate, undo deltas)
    was most of a query's time at 100,000 case studies, and the words people search for
    recur, so the decoded postings of recent terms are kept (segments never change)."""
    key = (*segment_key(searcher, leaf), fieldname, btext)
    with _postings_lock:
        found = _postings.get(key)
        if found:
            _postings.move_to_end(key)
            return found
    ids, weights, _values = read_postings(leaf, fieldname, btext)
    return keep(key, ids, weights)


def postings_with_values(searcher, leaf, fieldname, btext):
    """(document numbers, weights, values: Whoosh's encoded positions) of every posting of
    the term, or None when its postings are kept decoded (the positions are then read for
    the documents that need them: positions.py). A phrase whose words are not kept reads each
    word's blocks once for both its scores and its positions; the values themselves are
    not kept (they are several times the size of the postings)."""
    key = (*segment_key(searcher, leaf), fieldname, btext)
    with _postings_lock:
        if key in _postings:
            return None
    ids, weights, values = read_postings(leaf, fieldname, btext, values=True)
    keep(key, ids, weights)
    return ids, weights, values


def read_postings(leaf, fieldname, btext, values=False):
    ids, weights, found = array("I"), array("f"), []
    matcher = leaf_postings(leaf, fieldname, btext)
    while matcher.is_active():
        matcher._read_ids()  # noqa: SLF001 - see the module docstring
        matcher._read_weights()  # noqa: SLF001
        ids.extend(matcher._ids)  # noqa: SLF001
        weights.extend(matcher._weights)  # noqa: SLF001
        if values:
            matcher._read_values()  # noqa: SLF001
            found.extend(matcher._values)  # noqa: SLF001
        matcher._next_block()  # noqa: SLF001
    return ids, weights, found


def keep(key, ids, weights):
    """Keep a term's decoded postings (the least recently used go first when full)."""
    global _postings_kept  # noqa: PLW0603 - the cache's size, guarded by its lock
    with _postings_lock:
        if key in _postings:  # another thread decoded it meanwhile: count it once
            return _postings[key]
        _postings[key] = ids, weights
        _postings_kept += len(ids)
        while _postings_kept > POSTINGS_KEPT and len(_postings) > 1:
            _key, (old, _weights) = _postings.popitem(last=False)
            _postings_kept -= len(old)
    return ids, weights


def forget_postings():
    """Empty the decoded postings and the kept document frequencies (the benchmark measures
    each mode from cold)."""
    global _postings_kept  # noqa: PLW0603
    with _postings_lock:
        _postings.clear()
        _postings_kept = 0
    with _segment_data_lock:
        for (_index, _segment, name), found in _segment_data.items():
            if name == "frequencies":
                found.clear()


def per_segment(searcher, leaf, name, read):
    """read(leaf), kept per segment and name: a segment never changes, but for deletions,
    which every user of this allows for (they intersect with live matches or skip deleted
    documents). Bounded: emptied when full."""
    key = (*segment_key(searcher, leaf), name)
    with _segment_data_lock:
        found = _segment_data.get(key)
    if found is None:
        found = read(leaf)
        with _segment_data_lock:
            if len(_segment_data) >= SEGMENT_DATA_LIMIT:
                _segment_data.clear()
            _segment_data[key] = found
    return found


def field_lengths(searcher, leaf, fieldname):
    """Each document's length in fieldname, as Whoosh scores it."""

    def read(leaf):
        return [leaf.doc_field_length(doc, fieldname, 1) for doc in range(leaf.doc_count_all())]

    return per_segment(searcher, leaf, f"lengths:{fieldname}", read)


def every_document(searcher):
    return dict.fromkeys(live_documents_all(searcher), 0.0)


def live_documents_all(searcher):
    """Every live document number of the searcher (a frozenset), found once per searcher."""
    found = searcher.__dict__.get("live_documents")
    if found is None:
        found = searcher.__dict__["live_documents"] = frozenset(searcher.reader().all_doc_ids())
    return found


def column_values(searcher, fieldname):
    """fieldname's value for every document number of the searcher (a sortable field)."""

    def read(leaf):
        return list(leaf.column_reader(fieldname))

    values = []
    for leaf, _offset in searcher.reader().leaf_readers():
        values.extend(per_segment(searcher, leaf, f"column:{fieldname}", read))
    return values
