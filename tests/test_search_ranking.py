"""search/ranking.py must match and score exactly as Whoosh's own matchers and BM25F do: on an
index of several segments with deletions, for words, phrases, prefixes and wildcards, ranges,
NOT and their combinations, the same documents with the same scores; and it must leave what
it does not handle (a phrase with slop) to Whoosh."""

import random

import pytest

from casebank.crypto import new_master_key
from casebank.search import ranking
from casebank.search.analysis import FoldingStemmer, titled
from casebank.search.engine import PUBLIC, RESTRICTED, SearchIndexes
from casebank.search.querying import SearchRequest, parse, run_search
from tests.search_helpers import segmented_index

WORDS = [
    "ivory",
    "pangolin",
    "scales",
    "container",
    "seized",
    "customs",
    "port",
    "shipment",
    "timber",
    "rosewood",
    "refrigerant",
    "cylinders",
    "mislabelled",
    "declared",
    "waste",
    "batteries",
    "pesticide",
    "courier",
    "airport",
    "passenger",
    "luggage",
    "x-ray",
    "sniffer",
    "dog",
    "invoice",
    "consignee",
    "broker",
    "transit",
    "hub",
    "forged",
    "permit",
]
RNG = random.Random(7)


def text(n):
    # Zipf-like weights: some words common, some rare, so term frequencies and idf vary.
    return " ".join(RNG.choices(WORDS, weights=[1 / (i + 1) for i in range(len(WORDS))], k=n))


def document(batch, n):
    title = text(RNG.randint(3, 8))
    return dict(
        kind="case",
        reference=f"R{batch}-{n}",
        title=title,
        body=titled(title, text(RNG.randint(10, 120))),
        convention=RNG.choice(["CITES", "BASEL", "MONTREAL"]),
        language="en",
        date=f"20{RNG.randint(10, 24)}-01-01",
        year=str(RNG.randint(2010, 2024)),
    )


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    # 140 of the second segment's 150 deleted: whole posting blocks.
    with segmented_index(tmp_path_factory.mktemp("ranking"), document, 150, 140) as searcher:
        yield searcher


def plain_queries():
    rng = random.Random(11)
    queries = [*WORDS[:6], "ivory OR timber", "ivory pangolin OR rosewood", "cites container"]
    queries += ["ivory in the container", "the pangolin OR in timber"]  # stop words
    queries += [" ".join(rng.sample(WORDS, rng.randint(1, 3))) for _ in range(40)]
    return queries


def other_queries():
    phrases = ['"ivory pangolin"', '"pangolin scales"', '"container seized customs"',
               '"ivory ivory"', '"ivory in the container"', 'title:"ivory pangolin"',
               '"ivory pangolin" port', '"ivory pangolin" OR "scales container"']  # fmt: skip
    prefixes = ["pango*", "co*", "s*", "pangol?n", "s?i*", "pango* container", "cont* OR tim*",
                "year:[2012 TO 2015]", "year:[2020 TO]"]  # fmt: skip
    negations = ["ivory NOT timber", "NOT timber", "NOT rosewood NOT forged", "ivory OR NOT port",
                 "ivory AND NOT (timber OR port)", "ivory NOT pango*", 'ivory NOT "ivory port"',
                 "pango* NOT rosewood NOT forged", "ivory ANDNOT timber", "ivory ANDMAYBE timber",
                 "cites NOT container"]  # fmt: skip
    return phrases + prefixes + negations


def assert_same_as_whoosh(searcher, query):
    """The same matches as Whoosh, scored as Whoosh scores the query with each prefix, wildcard
    or range written out as the OR of the terms it expands to (simplify()). Whoosh itself
    scores such an expansion by BM25F only in a segment of more than 5,000 documents: in a
    smaller one its Or matcher preloads the matches and gives each a score of 1, so its ranking
    depended on how the index happened to be split into segments; ours does not."""
    ours = ranking.scores_for(searcher, query)
    matched = {hit.docnum for hit in searcher.search(query, limit=None)}
    if any(isinstance(leaf, ranking.EXPANDING) for leaf in query.leaves()):
        query = query.simplify(searcher.reader())  # (which fails on ANDNOT, so only if needed)
    theirs = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
    assert ours is not None
    assert ours.keys() == matched == theirs.keys()
    assert all(ours[doc] == pytest.approx(theirs[doc], rel=1e-9) for doc in theirs)


@pytest.mark.parametrize("text", plain_queries())
def test_plain_queries_match_and_score_as_whoosh_does(searcher, text):
    assert_same_as_whoosh(searcher, parse(text, searcher.schema))


@pytest.mark.parametrize("text", other_queries())
def test_phrases_prefixes_and_negations_match_and_score_as_whoosh_does(searcher, text):
    assert_same_as_whoosh(searcher, parse(text, searcher.schema))


def test_the_comparison_is_not_vacuous(searcher):
    sizes = [len(ranking.scores_for(searcher, parse(q, searcher.schema))) for q in WORDS[:6]]
    assert all(size > 20 for size in sizes)
    for text in other_queries():
        assert ranking.scores_for(searcher, parse(text, searcher.schema)), text


def test_a_phrase_is_checked_for_positions_not_only_for_its_words(searcher):
    phrase = ranking.scores_for(searcher, parse('"pangolin scales"', searcher.schema))
    words = ranking.scores_for(searcher, parse("pangolin scales", searcher.schema))
    assert 0 < len(phrase) < len(words)


def test_a_phrase_with_slop_is_left_to_whoosh(searcher):
    query = parse('"ivory pangolin"~3', searcher.schema)
    assert ranking.scores_for(searcher, query) is None
    results = run_search(searcher, SearchRequest(text='"ivory pangolin"~3'), PUBLIC)
    exact = ranking.scores_for(searcher, parse('"ivory pangolin"', searcher.schema))
    assert results.total >= len(exact) > 0


def test_decoded_postings_hold_every_posting_deleted_ones_included(searcher):
    """They are cached per segment while deletions grow: they must not depend on them."""
    ranking.forget_postings()
    leaves = [leaf for leaf, _ in searcher.reader().leaf_readers() if leaf.has_deletions()]
    terms = [FoldingStemmer("en").term(word).encode() for word in WORDS[:6]]
    assert len(leaves) == 2
    for leaf in leaves:
        for btext in terms:
            ids, _weights = ranking.postings(searcher, leaf, "body", btext)
            assert len(ids) == leaf.doc_frequency("body", btext) > 0


def test_a_public_and_a_restricted_segment_sharing_an_id_share_no_cached_data(tmp_path):
    """Whoosh draws segment ids from the global random generator; force a clash and check that
    the caches (postings, lengths, facet sets) still keep the two indexes apart."""
    indexes = SearchIndexes(tmp_path, new_master_key())
    generation = indexes.new_generation()
    indexes.swap(generation)
    for audience, word, country in ((RESTRICTED, "secretword", "MW"), (PUBLIC, "plainword", "KE")):
        random.seed(42)
        writer = indexes.open(generation, audience).writer()
        writer.add_document(key="case:1", kind="case", reference="R1", title=word,
                            body=titled(word, word), seizing_country=country)  # fmt: skip
        writer.commit()
    ids = {a: indexes.searcher(a).reader().segment().segment_id() for a in (PUBLIC, RESTRICTED)}
    assert ids[PUBLIC] == ids[RESTRICTED]  # the clash happened
    secret = run_search(indexes.searcher(RESTRICTED), SearchRequest(text="secretword"), RESTRICTED)
    assert secret.total == 1 and dict(secret.facets["country"]) == {"MW": 1}
    public = run_search(indexes.searcher(PUBLIC), SearchRequest(text="secretword"), PUBLIC)
    assert public.total == 0
    plain = run_search(indexes.searcher(PUBLIC), SearchRequest(text="plainword"), PUBLIC)
    assert plain.total == 1 and dict(plain.facets["country"]) == {"KE": 1}
    indexes.close()
    random.seed()  # later tests draw fresh segment ids again


@pytest.mark.parametrize("word", WORDS[:6])
def test_scores_of_some_documents_equal_the_full_scores(searcher, word):
    """ranking.scores_of ("more like this") scores given documents as term_scores does all."""
    term = FoldingStemmer("en").term(word)
    every = ranking.term_scores(searcher, "body", term)
    some = list(range(0, searcher.reader().doc_count_all(), 3))  # deleted ones included
    assert ranking.scores_of(searcher, "body", term, some) == {
        d: every[d] for d in some if d in every
    }
    assert any(d in every for d in some)
