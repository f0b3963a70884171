"""Highlighted passages: the matched words marked, everything else escaped, a passage cut at
word boundaries around the richest stretch of matches."""

from casebank.search.analysis import FoldingStemmer
from casebank.search.snippets import marked, marked_whole

STEM = FoldingStemmer("en").term


def terms(*words):
    return frozenset(STEM(w) for w in words)


def test_matched_words_are_marked_in_any_inflection_and_the_rest_escaped():
    text = "Customs <b>seized</b> 2 t of ivory & pangolin scales; the seizures went to court."
    out = marked(text, terms("seize", "pangolins", "seizure"))
    assert out == (
        "Customs &lt;b&gt;<mark>seized</mark>&lt;/b&gt; 2 t of ivory &amp; "
        "<mark>pangolin</mark> scales; the <mark>seizures</mark> went to court."
    )


def test_a_long_text_gives_the_passage_richest_in_distinct_terms():
    filler = "routine inspection of general cargo " * 20
    text = f"{filler}ivory found. {filler}ivory tusks in timber crates hidden. {filler}end"
    out = marked(text, terms("ivory", "timber"))
    assert out.startswith("…") and out.endswith("…")
    assert "<mark>ivory</mark> tusks in <mark>timber</mark>" in out
    assert "ivory</mark> found" not in out
    assert len(out.striptags()) <= 240 + 2
    assert " routine" in out and not out.removeprefix("…").startswith(("outine", "ine"))


def test_no_match_gives_nothing_and_a_title_is_marked_whole():
    assert marked("Nothing to see here", terms("ivory")) == ""
    assert marked("", terms("ivory")) == ""
    assert marked("ivory", frozenset()) == ""
    title = "Rhino horn and ivory seized at the airport"
    assert marked_whole(title, terms("ivory")) == (
        "Rhino horn and <mark>ivory</mark> seized at the airport"
    )


def test_a_match_near_the_end_still_gets_a_full_passage_cut_at_any_white_space():
    text = ("routine\ninspection of general cargo " * 20) + "then ivory at the very end"
    out = marked(text, terms("ivory"))
    assert out.endswith("very end") and "<mark>ivory</mark>" in out
    assert len(out.striptags()) > 200
    body = out.removeprefix("…")
    assert body.split()[0] in ("routine", "inspection", "of", "general", "cargo")
