"""Highlighted passages of stored text: the words that matched a search, marked with <mark>.

Every character of the text is escaped; <mark> is the only markup that comes out, so the result
may be shown as Markup. Words are recognised with the index's own analyser (so "seizures"
is marked for a search for "seized"), one dictionary lookup per word: Whoosh's highlighter
re-analysed and fragmented each text through its token pipeline, 5-10x slower here.
"""

import re
from collections import Counter

from markupsafe import Markup, escape
from whoosh.analysis.tokenizers import default_pattern

from casebank.search.analysis import FoldingStemmer

ANALYZER = FoldingStemmer("en")
WIDTH = 240  # characters of context shown around the matches
LEAD = 60  # of which before the first match
ELLIPSIS = "…"
SPACE = re.compile(r"\s")


def marked(text, terms, width=WIDTH, analyzer=ANALYZER):
    """The passage of text (about width characters) richest in terms, with each occurrence
    marked; "" when no term occurs. terms: index terms (stems), as the query holds them."""
    if not text or not terms:
        return ""
    found = []
    for match in default_pattern.finditer(text):
        term = analyzer.term(match.group())
        if term in terms:
            found.append((*match.span(), term))
    if not found:
        return ""
    start, end = window(text, found, width)
    return render(text, start, end, [(a, b) for a, b, _ in found if a >= start and b <= end])


def marked_whole(text, terms, analyzer=ANALYZER):
    """All of text with each occurrence of terms marked ("" when none occurs)."""
    return marked(text, terms, width=len(text or ""), analyzer=analyzer)


def window(text, found, width):
    """(start, end) of the passage: it opens shortly before the first of the matches that make
    the most distinct terms fit in width (earlier near the end of the text, so that the
    passage stays width long), and cuts no word."""
    if width >= len(text):
        return 0, len(text)
    first = richest(found, width - LEAD)
    start = max(0, min(first - LEAD, len(text) - width))
    if start:
        space = SPACE.search(text, start, first)
        start = space.end() if space else start
    end = min(len(text), start + width)
    if end < len(text):
        spaces = [m.start() for m in SPACE.finditer(text, first, end)]
        end = spaces[-1] if spaces else end
    return start, end


def richest(found, span):
    """Where the first window of span characters holding the most distinct terms begins."""
    best, most = found[0][0], 0
    inside = Counter()
    j = 0
    for a, _b, term in found:
        while j < len(found) and found[j][1] <= a + span:
            inside[found[j][2]] += 1
            j += 1
        if len(inside) > most:
            best, most = a, len(inside)
        if inside[term] > 1:
            inside[term] -= 1
        else:
            inside.pop(term, None)
    return best


def render(text, start, end, spans):
    pieces = [ELLIPSIS] if start > 0 else []
    position = start
    for a, b in spans:
        pieces += [escape(text[position:a]), Markup("<mark>%s</mark>") % text[a:b]]
        position = b
    pieces.append(escape(text[position:end]))
    if end < len(text):
        pieces.append(ELLIPSIS)
    return Markup("").join(pieces)
