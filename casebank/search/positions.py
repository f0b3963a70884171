"""Where a term occurs in given documents, read from Whoosh's posting blocks: phrases are
matched by ranking their words (ranking.py) and then checking positions for those candidates
only, instead of walking every document's spans in Whoosh's matchers.

Like ranking.py, it reads W3LeafMatcher's block attributes (not public API; whoosh-reloaded is
pinned, and tests/test_search_ranking.py compares phrase matches with Whoosh's).
"""

from bisect import bisect_left

from whoosh.matching.wrappers import FilterMatcher


def leaf_postings(leaf, fieldname, btext):
    """The term's posting matcher in one segment, at its first block, deleted documents
    included (callers skip them)."""
    matcher = leaf.postings(fieldname, btext)
    if isinstance(matcher, FilterMatcher):  # the deletions filter, which has already moved
        matcher = matcher.child  # its child past the first deleted postings: back to the start
        matcher.reset()
    return matcher


def positions_in(leaf, fieldname, btext, docs, read=None):
    """{document: its positions of the term} for docs (sorted numbers within leaf that hold
    the term); from read (ids, weights, values of every posting) if given, else from the
    blocks that hold one of docs (only those are decoded)."""
    decode = leaf.schema[fieldname].format.decode_positions
    if read:
        ids, _weights, values = read
        return {d: decode(values[bisect_left(ids, d)]) for d in docs}
    matcher = leaf_postings(leaf, fieldname, btext)
    found, i = {}, 0
    while matcher.is_active() and i < len(docs):
        if docs[i] <= matcher.block_max_id():
            matcher._read_ids()  # noqa: SLF001 - see the module docstring
            matcher._read_values()  # noqa: SLF001
            ids, values = matcher._ids, matcher._values  # noqa: SLF001
            while i < len(docs) and docs[i] <= ids[-1]:
                j = bisect_left(ids, docs[i])
                if j < len(ids) and ids[j] == docs[i]:
                    found[docs[i]] = decode(values[j])
                i += 1
        matcher._next_block()  # noqa: SLF001
    return found


def with_phrase(leaf, fieldname, read, btexts, docs):
    """The documents of docs (sorted numbers within leaf, each holding every term) where the
    terms occur one right after the other, in order: Whoosh's Phrase with slop 1 (SpanNear2,
    ordered, each next word exactly one position after the last). read: {term: its postings
    with values, or None}."""
    starts = {}  # document -> the positions where the phrase may begin
    for offset, btext in enumerate(btexts):
        found = positions_in(leaf, fieldname, btext, docs, read.get(btext))
        if offset == 0:
            starts = {d: set(found.get(d, ())) for d in docs}
        else:
            for doc in docs:
                starts[doc].intersection_update(p - offset for p in found.get(doc, ()))
        docs = [d for d in docs if starts[d]]  # the next word is read for these only
        if not docs:
            break
    return docs
