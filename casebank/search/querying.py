"""What a user types, turned into a Whoosh query; and a search run with facets and highlights.

Users may name only the fields they know (FIELD_NAMES); any other `name:` is plain text, so no
internal field (the access level is not even indexed) can be queried. Plain words carry domain
knowledge: HS codes and prefixes, convention names and acronyms, ISO country codes.
"""

import os
import re
import threading
import unicodedata
import weakref
from collections import Counter
from dataclasses import dataclass, field, replace

from flask_babel import gettext as _
from markupsafe import Markup, escape
from whoosh import qparser
from whoosh import query as wq

from casebank import codes
from casebank.request_numbers import page_number
from casebank.search import ranking
from casebank.search.analysis import BODY, LANGUAGES, FoldingStemmer, SpellingWords, body_field
from casebank.search.engine import RESTRICTED
from casebank.search.snippets import marked, marked_whole

MAX_QUERY_LENGTH = 200
MAX_PAGE = 50
PER_PAGE = 10
FIELD_NAMES = ("country", "hs", "convention", "species", "year", "title")
DATE = "date"  # the field "newest" and "oldest" sort by
# Plain words are matched in each language's body field, each analysed in its language (see
# analysis.py for the title's weight there).
BODY_FIELDS = tuple(body_field(lang) for lang in LANGUAGES)
# Words people use for a convention (lowercase): the word also finds the convention's cases.
SYNONYMS = {
    "MONTREAL": (
        "montreal ozone ods cfc cfcs hcfc hcfcs hfc hfcs kigali refrigerant refrigerants halon"
    ),
    "CITES": "cites wildlife endangered ivory",
    "BASEL": "basel waste ewaste e-waste",
    "ROTTERDAM": "rotterdam pesticide pesticides pic",
    "STOCKHOLM": "stockholm pops pop",
    "CARTAGENA": "cartagena biosafety gmo gmos lmo lmos gm",
    "CWC": "cwc opcw precursor precursors",
}
CONVENTION_OF_WORD = {w: code for code, words in SYNONYMS.items() for w in words.split()}
# Facets: the request argument and the index field. An entry may hold several values (a case
# study under several conventions); it then counts once under each.
FACETS = {
    "kind": "kind",
    "convention": "convention",
    "country": "seizing_country",
    "year": "year",
    "transport_mode": "transport_mode",
    "detection_method": "detection_method",
    "prosecution_status": "prosecution_status",
    "commodity": "commodity",
}
SORTS = ("relevance", "newest", "oldest")
HS_WORD = re.compile(r"^\d{4}(\.?\d{2})?$")
ANY_WORD = re.compile(r"[^\W_]+")
OPERATOR = re.compile(r"\b(AND|OR|NOT)\b")
HS_SPACED = re.compile(r"(?<![\w.])(\d{4}) (\d{2})(?![\w.])")  # "2903 45" is 2903.45
WILDCARD_TOO_SHORT = re.compile(r"(^|[\s:(\"])[*?]|(^|[\s:(\"])\w[*?]")


class BadQuery(ValueError):
    """A query we cannot run; the message says why, in words a user understands."""


@dataclass
class SearchRequest:
    text: str = ""
    facets: dict = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    notices: list = field(default_factory=list)
    exact: bool = False  # run the words as typed, never a spelling correction instead

    @classmethod
    def from_args(cls, args):
        request = cls(sort=args.get("sort") if args.get("sort") in SORTS else "relevance")
        request.page = page_number(args, last=MAX_PAGE)
        request.facets = {
            name: args.get(name)[:40] for name in FACETS if (args.get(name) or "").strip()
        }
        request.text = request.clean(args.get("q") or "")
        request.exact = args.get("exact") == "1"
        return request

    def clean(self, text):
        """The query as we will run it; what we had to change is said in notices."""
        if len(text) > MAX_QUERY_LENGTH:
            raise BadQuery(
                _("Your search is too long: keep it under %(max)s characters.",
                  max=MAX_QUERY_LENGTH)
            )  # fmt: skip
        printable = "".join(c for c in text if unicodedata.category(c)[0] != "C")
        if printable != text:
            self.notices.append(_("Invisible control characters were removed from your search."))
        text = " ".join(printable.split())
        if text.count('"') % 2:
            text = text.replace('"', " ").strip()
            self.notices.append(_("A quotation mark was not closed; we searched without quotes."))
        if WILDCARD_TOO_SHORT.search(text):
            raise BadQuery(_("Put at least two letters before * or ? (for example pango*)."))
        return text


@dataclass
class Hit:
    kind: str  # "case", or the kind of a document
    reference: str  # a case's reference, a document's id
    title: Markup
    snippet: Markup
    fields: dict
    public: bool


@dataclass
class SearchResults:
    request: SearchRequest
    hits: list
    total: int
    pages: int
    facets: dict
    suggestion: str | None = None
    corrected_from: str | None = None  # the words typed, when these are results for suggestion
    any_word: bool = False  # nothing matched every word: these match some of them
    widened: list = field(default_factory=list)  # Expansions that added results


ALL_BODIES = "*body"  # a plain word's field while parsing: every language's body field


class LanguagesPlugin(qparser.MultifieldPlugin):
    """Whoosh's MultifieldPlugin, but a plain word is left for CaseQueryParser.term_query to
    look up in every language at once: it must know in which languages the word is a stop
    word (see CaseQueryParser.words_query). Phrases and prefixes go to each field as before."""

    def do_multifield(self, parser, group):
        for i, node in enumerate(group):
            if type(node) is qparser.syntax.WordNode and node.fieldname is None:
                node.set_fieldname(ALL_BODIES)
            elif isinstance(node, qparser.syntax.GroupNode):
                group[i] = self.do_multifield(parser, node)
        return super().do_multifield(parser, group)


class CaseQueryParser(qparser.QueryParser):
    """Whoosh's parser with field names restricted to FIELD_NAMES, plain words looked up in
    every language, and (widen=True) domain words expanded."""

    def __init__(self, schema, widen=True, any_word=False):
        super().__init__(BODY, schema, group=qparser.OrGroup if any_word else qparser.AndGroup)
        self.widen = widen
        self.expansions = []  # what domain knowledge added (widen=True)
        self.add_plugin(LanguagesPlugin(BODY_FIELDS))
        self.replace_plugin(qparser.FieldsPlugin(expr=r"(?P<text>" + "|".join(FIELD_NAMES) + r"):"))
        self.remove_plugin_class(qparser.BoostPlugin)  # '^' in a word is text, not a boost

    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True, removestops=True):
        if fieldname == "country":
            return wq.Term("country", country_code(text) or "-")
        if fieldname == "hs":
            digits = codes.hs_digits(text)
            return wq.Term("hs", digits if digits.isdigit() else "-")
        if fieldname == "convention":
            return wq.Term("convention", CONVENTION_OF_WORD.get(text.lower(), text.upper()))
        if fieldname == ALL_BODIES:
            return self.words_query(text, termclass, boost, tokenize, removestops)
        return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)

    def words_query(self, text, termclass, boost, tokenize, removestops):
        """A plain word in every language's body field. Where a language's analyser drops it
        (a stop word), it does not constrain that language's entries (`in` is an English stop
        word but a French and Spanish word: `hidden in fuel tank` must still find English
        entries); a word every analyser drops constrains nothing (None)."""
        found, free = [], []
        for language, fieldname in zip(LANGUAGES, BODY_FIELDS, strict=True):
            query = super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
            if query is None or query is wq.NullQuery:
                free.append(wq.Term("language", language))
            else:
                found.append(query)
        if iso_country(text):  # "US", "SG": the country, as typed (not "us", a stop word)
            return wq.Or([*found, wq.Term("country", text)])
        if not found:
            return None
        extra = domain_terms(text) if self.widen and termclass is wq.Term else []
        self.expansions += extra
        return wq.Or([*found, *free, *(e.query for e in extra)])


def iso_country(word):
    return len(word) == 2 and word.isupper() and codes.is_valid_country(word)


def country_code(text):
    text = text.strip()
    if len(text) == 2 and codes.is_valid_country(text.upper()):
        return text.upper()
    return codes.country_code_named(text)


# Names people use for a species or group beside the words case studies use: a query for one
# also finds (below) the cases that say the other. Only words whose stem is theirs alone
# ("manis" stems as "many" does).
SPECIES_WORDS = {
    "rhino": "rhinoceros",
    "rhinos": "rhinoceros",
    "rhinoceros": "rhino",
    "eel": "anguilla",
    "eels": "anguilla",
    "anguilla": "eel",
    "elvers": "eel",
    "orangutan": "pongo",
    "pongo": "orangutan",
    "rosewood": "dalbergia",
    "dalbergia": "rosewood",
    "sandalwood": "sanders",
    "sanders": "sandalwood",
    "tortoise": "turtle",
    "tortoises": "turtle",
    "turtle": "tortoise",
    "turtles": "tortoise",
    "cockatoo": "cacatua",
    "cacatua": "cockatoo",
    "parrot": "cockatoo",
    "parrots": "cockatoo",
}


@dataclass(frozen=True)
class Expansion:
    """What a word adds by domain knowledge: kind (convention, hs, country, species), the
    value the page names ("CITES", "2903", "SG", "rhinoceros") and its query."""

    kind: str
    value: str
    query: wq.Query = field(compare=False)


def domain_terms(word):
    """Expansions a plain word stands for: an HS code or prefix, a convention, a country (ISO
    code in capitals, or name), a species' other name."""
    extra = []
    if HS_WORD.match(word):
        digits = codes.hs_digits(word)
        extra.append(Expansion("hs", digits, wq.Term("hs", digits)))
    convention = CONVENTION_OF_WORD.get(word.lower())
    if convention:
        extra.append(Expansion("convention", convention, wq.Term("convention", convention)))
    country = codes.country_code_named(word)
    if country:
        extra.append(Expansion("country", country, wq.Term("country", country)))
    other = SPECIES_WORDS.get(word.lower())
    if other:
        term = ANALYZERS["en"].term(other)
        extra.append(Expansion("species", other, wq.Term(BODY, term)))
    return extra


@dataclass
class ParsedQuery:
    """The words as typed (typed) and widened by domain knowledge (widened: None when nothing
    was added), with what was added."""

    typed: wq.Query
    widened: wq.Query | None
    expansions: list


def parse_request(text, schema, any_word=False):
    parser = CaseQueryParser(schema, widen=True, any_word=any_word)
    widened = parse(text, schema, parser=parser)
    if not parser.expansions:
        return ParsedQuery(widened, None, [])
    typed = parse(text, schema, widen=False, any_word=any_word)
    return ParsedQuery(typed, widened, list(dict.fromkeys(parser.expansions)))


def parse(text, schema, widen=True, parser=None, any_word=False):
    if not text:
        return wq.Every()
    try:
        parser = parser or CaseQueryParser(schema, widen, any_word)
        parsed = parser.parse(HS_SPACED.sub(r"\1.\2", text), normalize=False)
        parsed = unconstrained_settled(parsed, positive_fields(parsed)).normalize()
    except Exception as error:  # Whoosh's parser is tolerant; anything else is a bad query
        raise BadQuery(_("We could not understand that search; try fewer symbols.")) from error
    if parsed is wq.NullQuery:
        raise BadQuery(_("Type a word, a phrase in quotes, an HS code or a country."))
    return parsed


def positive_fields(query):
    """The fields of the terms a query requires or wants (not those under NOT)."""
    if isinstance(query, wq.Not):
        return set()
    if isinstance(query, wq.AndNot):
        return positive_fields(query.a)
    if query.is_leaf():
        return {query.field()} if query.field() else set()
    return set().union(*(positive_fields(q) for q in query.children()))


def unconstrained_settled(query, fields, negated=False, among_alternatives=False):
    """words_query marks "this word does not constrain language L's entries" with a term on
    `language` beside the word's terms. That is neutral only where the word is required
    (under AND): `pangolin OR the` and the any-word fallback must not match every English
    entry through `the`, `NOT in` must not exclude them all, and `the` alone must not list
    them. So a mark stays only where the word is required, outside NOT, and where some word
    is looked up in L's body field."""
    if isinstance(query, wq.Or) and any(is_mark(child) for child in query.children()):
        keep = not negated and not among_alternatives
        return wq.Or(
            [c for c in query.children()
             if not is_mark(c) or (keep and body_field(c.text) in fields)]
        )  # fmt: skip
    if isinstance(query, wq.Not):
        return wq.Not(unconstrained_settled(query.query, fields, not negated))
    if isinstance(query, wq.AndNot):
        return wq.AndNot(
            unconstrained_settled(query.a, fields, negated),
            unconstrained_settled(query.b, fields, not negated),
        )
    if query.is_leaf():
        return query
    alternatives = isinstance(query, wq.Or)
    return query.apply(lambda child: unconstrained_settled(child, fields, negated, alternatives))


def is_mark(query):
    return isinstance(query, wq.Term) and query.fieldname == "language"


def facet_filter(searcher, request):
    """The documents the chosen facet values allow (None: no facet chosen), from the cached
    per-value sets: a set filter costs nothing per matching document, unlike And([...Term])."""
    if not request.facets:
        return None
    segments = facet_sets(searcher)
    allowed = None
    for name, value in request.facets.items():
        docs = set().union(*(sets[name].get(value, ()) for sets in segments))
        allowed = docs if allowed is None else allowed & docs
    return allowed


def run_search(searcher, request, audience):
    """The page of hits, the total, facet counts and a spelling suggestion. When nothing
    matches and the suggestion does, the results are the suggestion's (unless request.exact);
    else, when nothing matches every word of a query without operators, those matching some
    of them (the more, the higher)."""
    results = run_query(searcher, request, audience)
    if results.total:
        return results
    if results.suggestion and not request.exact:
        corrected = run_query(searcher, replace(request, text=results.suggestion), audience)
        if corrected.total:
            corrected.corrected_from, corrected.suggestion = request.text, results.suggestion
            return corrected
    if OPERATOR.search(request.text) or len(ANY_WORD.findall(request.text)) < 2:
        return results
    some = run_query(searcher, request, audience, any_word=True)
    if not some.total:
        return results
    some.any_word, some.suggestion = True, results.suggestion
    return some


def run_query(searcher, request, audience, any_word=False):
    parsed = parse_request(request.text, searcher.schema, any_word)
    queries = [parsed.typed] + ([parsed.widened] if parsed.widened else [])
    ranked, matched, typed = rank(searcher, queries, request, facet_filter(searcher, request))
    terms = highlight_terms(parsed.typed, searcher)
    on_page = ranked[(request.page - 1) * PER_PAGE :]
    hits = [make_hit(searcher.stored_fields(doc), audience, terms) for doc in on_page]
    total = len(matched)
    return SearchResults(
        request=request,
        hits=hits,
        total=total,
        pages=min((total + PER_PAGE - 1) // PER_PAGE, MAX_PAGE),
        facets=facet_counts(searcher, matched),
        suggestion=suggest(searcher, request.text) if len(typed) < 3 else None,
        widened=widened_by(searcher, parsed.expansions, matched - typed),
    )


def rank(searcher, queries, request, allowed, wanted=None):
    """The documents up to the end of the requested page (or the first `wanted`), in order, the
    set of every document that matches, and the set of those the first query matches. queries:
    the words as typed, then (if any) widened by domain knowledge: what only the widened query
    matches ranks below everything the typed words match (allowed: the facet filter, or None)."""
    wanted = wanted or request.page * PER_PAGE
    by_date = request.sort != "relevance" or isinstance(queries[0], wq.Every)
    ranked, matched, typed = [], set(), None
    for query in queries:
        order, found = ranked_matches(searcher, query, request, allowed, wanted + len(matched))
        ranked += [doc for doc in order if doc not in matched]
        matched |= found
        typed = found if typed is None else typed
    if by_date and len(queries) > 1:
        dates = ranking.column_values(searcher, DATE)
        newest = request.sort != "oldest"
        ranked = sorted(matched, key=lambda d: (dates[d], -d), reverse=newest)
    return ranked[:wanted], matched, typed


def ranked_matches(searcher, query, request, allowed, wanted):
    """The best `wanted` documents matching query, in order, and the set of every match."""
    by_date = request.sort != "relevance" or isinstance(query, wq.Every)
    scores = ranking.scores_for(searcher, query)
    if scores is None:  # not a plain query: Whoosh's matchers rank it, then list every match
        options = {"sortedby": DATE, "reverse": request.sort != "oldest"} if by_date else {}
        results = searcher.search(query, limit=wanted, filter=allowed, **options)
        matched = set(searcher.docs_for_query(query))
        if allowed is not None:
            matched &= allowed
        return [hit.docnum for hit in results], matched
    matched = scores.keys() & allowed if allowed is not None else set(scores)
    if by_date:
        dates = ranking.column_values(searcher, DATE)
        newest = request.sort != "oldest"
        return sorted(matched, key=lambda d: (dates[d], -d), reverse=newest)[:wanted], matched
    return ranking.best(scores, matched, wanted), matched


def widened_by(searcher, expansions, added):
    """The expansions that brought in results the typed words did not find (added), for
    the page's "also showing ..."."""
    if not added:
        return []
    return [e for e in expansions if added & set(matching(searcher, e.query))]


def matching(searcher, query):
    scores = ranking.scores_for(searcher, query)
    return scores.keys() if scores is not None else searcher.docs_for_query(query)


def highlight_terms(query, searcher):
    """{body field: the terms a hit may show highlighted}: the query's own, prefixes expanded,
    none from a NOT clause."""
    if isinstance(query, wq.Not):
        return {}
    if isinstance(query, wq.AndNot):
        return highlight_terms(query.a, searcher)
    terms = {}
    if isinstance(query, ranking.EXPANDING):
        if query.fieldname in BODY_FIELDS:
            texts = {b.decode("utf-8") for b in ranking.expansion(searcher, query)}
            terms[query.fieldname] = texts
        return terms
    if query.is_leaf():
        for fieldname, text in query.existing_terms(searcher.reader(), phrases=True, expand=True):
            if fieldname in BODY_FIELDS:
                terms.setdefault(fieldname, set()).add(text.decode("utf-8"))
        return terms
    for child in query.children():
        for fieldname, texts in highlight_terms(child, searcher).items():
            terms.setdefault(fieldname, set()).update(texts)
    return terms


_facet_sets = weakref.WeakKeyDictionary()  # searcher -> per segment: {facet: {value: docs}}
_facet_sets_lock = threading.Lock()


def facet_sets(searcher):
    """For each segment of the searcher, for each facet, each value's documents (numbered as
    in the searcher); built once per searcher (per index version). Counting a facet is then a
    few set intersections per value, in C, instead of a Python call per matching document and
    facet (Whoosh's groupedby): 10-20x faster here. Segments never change but for deletions,
    so after a save only its new small segment is read; the large first segment's sets are
    used as they are (merging them into one set per value copied 100,000 entries a save)."""
    with _facet_sets_lock:
        cached = _facet_sets.get(searcher)
    if cached is None:
        cached = []
        for leaf, offset in searcher.reader().leaf_readers():
            if leaf.segment() is None:  # an empty index
                continue
            sets = segment_facet_sets(searcher, leaf)
            if offset:
                sets = {
                    name: {value: {d + offset for d in docs} for value, docs in values.items()}
                    for name, values in sets.items()
                }
            cached.append(sets)
        with _facet_sets_lock:
            _facet_sets[searcher] = cached
    return cached


def segment_facet_sets(searcher, leaf):
    """{facet: {value: documents}} of one segment, in its own numbering (read once)."""

    def read(leaf):
        return {
            name: {
                value: set(leaf.postings(fieldname, value).all_ids())
                for value in (v.decode("utf-8") for v in leaf.lexicon(fieldname))
            }
            for name, fieldname in FACETS.items()
        }

    return ranking.per_segment(searcher, leaf, "facets", read)


def facet_counts(searcher, matched):
    counts = {name: Counter() for name in FACETS}
    for sets in facet_sets(searcher):
        for name, values in sets.items():
            for value, docs in values.items():
                counts[name][value] += len(matched.intersection(docs))
    return {
        name: sorted(((v, n) for v, n in tally.items() if n), key=facet_order)
        for name, tally in counts.items()
    }


def make_hit(stored, audience, terms):
    """A hit as pages show it; terms: what highlight_terms() found for the query."""
    language = stored.get("language", "en")
    analyzer, words = ANALYZERS[language], terms.get(body_field(language), ())
    texts = ["summary", "text"] + (["restricted_notes"] if audience == RESTRICTED else [])
    passages = (marked(stored.get(name), words, analyzer=analyzer) for name in texts)
    snippet = next(filter(None, passages), None)
    title = marked_whole(stored["title"], words, analyzer=analyzer)
    return Hit(
        kind=stored["kind"],
        reference=stored["reference"],
        title=title or escape(stored["title"]),
        snippet=snippet or escape(stored.get("summary") or ""),
        fields=stored,
        public=audience != RESTRICTED or stored.get("access") == "public",
    )


ANALYZERS = {lang: FoldingStemmer(lang) for lang in LANGUAGES}
SPELLING = SpellingWords()


def facet_order(pair):
    return (-pair[1], str(pair[0]))


WORD = re.compile(r"[^\W_]{3,}")


def suggest(searcher, text):
    """'Did you mean': each word absent from the index replaced by its nearest indexed word."""
    reader = searcher.reader()
    changed = False
    words = []
    for token in re.split(r"(\s+)", text):
        word = token.strip('"()').lower()
        if ":" in token or not WORD.fullmatch(word) or word.upper() in ("AND", "OR", "NOT"):
            words.append(token)
            continue
        if any(c.isdigit() for c in word):  # codes and numbers have no spelling to correct
            words.append(token)
            continue
        folded = SPELLING.term(word)  # as the spell field was analysed
        if ("spell", folded) in reader:
            words.append(token)
            continue
        found = nearest_words_of(searcher).get(folded, MISSING)
        if found is MISSING:  # finding one costs tens of ms: once per word and searcher
            found = nearest_words_of(searcher)[folded] = nearest_word(reader, folded)
        if found:
            words.append(token.replace(token.strip('"()'), found))
            changed = True
        else:
            words.append(token)
    return "".join(words) if changed else None


MISSING = object()
NEAREST_WORDS_KEPT = 10_000


def nearest_words_of(searcher):
    """The corrections found with this searcher (a new one opens when the index changes, so a
    correction is never older than the index it came from), at most NEAREST_WORDS_KEPT."""
    found = searcher.__dict__.setdefault("nearest_words", {})
    if len(found) >= NEAREST_WORDS_KEPT:
        found.clear()
    return found


def nearest_word(reader, word):
    """The indexed word nearest to word: fewest edits (a swap of two neighbours counts as one),
    then the longest shared beginning, then the most documents. Whoosh's own corrector ranked
    by frequency across distances and proposed "on" for "ozne"; people misspell the middle and
    end of a word more than its beginning. Whoosh's own distance depends on how the index is
    split into segments (one segment found no word within one edit of "pangolni"; Whoosh counts
    a swap as two), so the candidates are ranked by their true distance here."""
    for distance in (1, 2):  # one first: searching within two costs far more
        found = [w for w in reader.terms_within("spell", word, distance) if len(w) >= 3]
        if found:
            return max(
                found,
                key=lambda w: (-edits(w, word), shared_start(w, word),
                               reader.doc_frequency("spell", w), w),
            )  # fmt: skip
    return None


def edits(a, b):
    """Insertions, deletions, substitutions and swaps of neighbours that turn a into b (the
    optimal string alignment distance)."""
    before, row = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            cost = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (ca != cb))
            if before and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, row = row, current
    return row[-1]


def shared_start(a, b):
    return len(os.path.commonprefix([a, b]))


def matching_references(searcher, request):
    """Every case study's reference the request's words (as typed, and widened by domain
    knowledge, like run_query) and facets match, unranked: the API's case list filters by it."""
    parsed = parse_request(request.text, searcher.schema)
    matched = set()
    for query in [parsed.typed] + ([parsed.widened] if parsed.widened else []):
        matched |= set(matching(searcher, query))
    allowed = facet_filter(searcher, request)
    if allowed is not None:
        matched &= allowed
    stored = (searcher.stored_fields(doc) for doc in matched)
    return {fields["reference"] for fields in stored if fields["kind"] == "case"}


def every_hit(searcher, request, audience):
    """The stored fields of every hit of request, all pages, in the order its pages show them
    (exports): the same words the page ran (the spelling correction, the any-word fallback),
    the same facets, the same sort."""
    shown = run_search(searcher, replace(request, page=1), audience)
    ran = shown.request
    parsed = parse_request(ran.text, searcher.schema, any_word=shown.any_word)
    queries = [parsed.typed] + ([parsed.widened] if parsed.widened else [])
    everything = max(searcher.doc_count_all(), 1)
    ranked, _matched, _typed = rank(
        searcher, queries, ran, facet_filter(searcher, ran), wanted=everything
    )
    return [searcher.stored_fields(doc) for doc in ranked]
