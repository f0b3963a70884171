"""How text becomes index terms: words folded, stop words dropped, stems, in three languages.

FoldingStemmer yields the same terms as Whoosh's
RegexTokenizer | LowercaseFilter | CharsetFilter(accent_map) | StopFilter | StemFilter
but in one pass with a cache of each distinct word's term: indexing is mostly analysis, and a
chain of five generators with an LFU-cached stemmer was most of it.

Title words are worth more than body words. Whoosh scores a term by its weight in a field, and
a token's boost adds to that weight, so the words before TITLE_END in a value are boosted:
one `body` field then serves matching (one posting list per word, not one per field).
"""

from whoosh.analysis import Analyzer, Token
from whoosh.analysis.filters import STOP_WORDS
from whoosh.analysis.tokenizers import default_pattern
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map

LANGUAGES = ("en", "fr", "es")
BODY = "body"  # the field words are matched in; "body_fr" and "body_es" for other languages
TITLE_END = "\x1e"  # ASCII record separator: ends the boosted title part of a body value
TITLE_BOOST = 3.0
CACHE_LIMIT = 300_000
STOPPED = None  # the cached term of a stop word


def body_field(language):
    return BODY if str(language) == "en" else f"{BODY}_{language}"


def strip_marker(text):
    """Text from users never carries the title marker."""
    return text.replace(TITLE_END, " ") if text else text


def titled(title, *parts):
    """A body value: the title (boosted), then the other parts."""
    rest = "\n".join(strip_marker(p) for p in parts if p)
    return f"{strip_marker(title)}{TITLE_END}\n{rest}"


class FoldingStemmer(Analyzer):
    """Words of a language: lowercased, accents folded, stop words dropped, stemmed."""

    def __init__(self, lang="en"):
        self.lang = lang
        self._prepare()

    def _prepare(self):
        stops = STOP_WORDS if self.lang == "en" else stopwords_for_language(self.lang)
        self.stops = frozenset(stops)
        self._stem = stemmer_for_language(self.lang)
        self._terms = {}

    # The schema (and so this analyser) is pickled into every index's table of contents:
    # keep the language, not the cache.
    def __getstate__(self):
        return {"lang": self.lang}

    def __setstate__(self, state):
        self.lang = state["lang"]
        self._prepare()

    def __eq__(self, other):
        return type(other) is type(self) and other.lang == self.lang

    def __hash__(self):
        return hash((type(self), self.lang))

    def term(self, word):
        """The index term of a word (None for a stop word)."""
        term = self._terms.get(word, False)
        if term is False:
            folded = word.lower().translate(accent_map)
            term = STOPPED if len(folded) < 2 or folded in self.stops else self._stem(folded)
            if len(self._terms) >= CACHE_LIMIT:
                self._terms.clear()
            self._terms[word] = term
        return term

    def __call__(
        self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
        start_pos=0, start_char=0, mode="", tokenize=True, **kwargs,
    ):  # fmt: skip
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:  # a wildcard or prefix pattern: folded, not stemmed
            yield self.untokenized(token, value, start_pos, start_char)
            return
        title_end = value.find(TITLE_END)
        kept = 0
        for match in default_pattern.finditer(value):
            word = match.group()
            term = self.term(word)
            if term is STOPPED:
                if removestops:
                    continue
                token.stopped, token.text = True, word.lower()
            else:
                token.stopped, token.text = False, term
            token.boost = TITLE_BOOST if match.start() < title_end else 1.0
            if keeporiginal:
                token.original = word
            if positions:  # stop words do not take a position, as with StopFilter(renumber)
                token.pos = start_pos + kept
            if not token.stopped:
                kept += 1
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token

    @staticmethod
    def untokenized(token, value, start_pos, start_char):
        token.original = value
        token.text = value.lower().translate(accent_map)
        token.boost, token.stopped = 1.0, False
        token.pos = start_pos
        token.startchar, token.endchar = start_char, start_char + len(value)
        return token


class SpellingWords(FoldingStemmer):
    """Unstemmed, folded words, stop words kept: "did you mean" must propose real words."""

    def term(self, word):
        term = self._terms.get(word)
        if term is None:
            term = word.lower().translate(accent_map)
            if len(self._terms) >= CACHE_LIMIT:
                self._terms.clear()
            self._terms[word] = term
        return term
