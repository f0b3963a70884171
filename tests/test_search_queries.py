"""Search over the demo data: relevance, HS codes, synonyms, facets, highlights, suggestions,
pagination, the field allow-list and bad queries."""

import pytest

from casebank.services.demo import demo_case_records
from tests.search_helpers import references, search

PUBLIC = [r for r in demo_case_records() if r["access_level"] == "public"]


def public_with(predicate):
    return {r["reference"] for r in PUBLIC if predicate(r)}


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("pangolin scales", "CB-2019-001"),
        ("glass eels suitcases", "CB-2023-003"),
        ("orchids", "CB-2015-015"),
        ("sea cucumbers", "CB-2019-013"),
        ("radiated tortoises", "CB-2015-014"),
        ('"methyl bromide"', "CB-2022-105"),
        ("red sanders", "CB-2022-012"),
        ("totoaba", "CB-2023-004"),
        ("orangutan", "CB-2019-008"),
    ],
)
def test_the_right_case_comes_first(query, expected_first):
    assert references(search(query))[0] == expected_first


def test_stemming_and_accent_folding():
    assert "CB-2015-014" in references(search("tortoise"))
    assert references(search("tietar")) == references(search("Tiétar")) != []


@pytest.mark.parametrize(
    ("query", "prefix"), [("2903", "2903"), ("hs:2903", "2903"), ("hs:29", "29")]
)
def test_hs_heading_finds_every_code_below_it(query, prefix):
    expected = public_with(lambda r: any(c.startswith(prefix) for c in r["hs_codes"]))
    found = {h.reference for p in (1, 2) for h in search(query, page=p).hits}
    assert len(expected) > 1 and expected <= found


@pytest.mark.parametrize("written", ["2903.71", "290371", "hs:2903.71", "hs:290371"])
def test_hs_subheading_in_any_spelling(written):
    expected = public_with(lambda r: "2903.71" in r["hs_codes"])
    assert expected
    assert expected <= set(references(search(written)))


def test_hs_five_digit_prefix():
    expected = public_with(lambda r: any(c.startswith("2903.7") for c in r["hs_codes"]))
    assert set(references(search("hs:29037"))) == expected


@pytest.mark.parametrize("word", ["ozone", "ODS", "Montreal", "convention:montreal", "hfc"])
def test_montreal_protocol_synonyms(word):
    expected = public_with(lambda r: "MONTREAL" in r["conventions"])
    results = search(word)
    assert results.total >= len(expected)
    found = {h.reference for p in range(1, results.pages + 1) for h in search(word, page=p).hits}
    assert expected <= found


@pytest.mark.parametrize("word", ["wildlife", "CITES", "convention:cites"])
def test_cites_synonyms(word):
    expected = public_with(lambda r: "CITES" in r["conventions"])
    assert search(word).total >= len(expected)


@pytest.mark.parametrize("query", ["country:SG", "country:Singapore", "Singapore", "SG"])
def test_country_by_name_or_iso_code(query):
    expected = public_with(lambda r: r["country"] == "SG")
    assert expected <= set(references(search(query)))


@pytest.mark.parametrize("query", ["species:Cacatua", "Cacatua sulphurea", "yellow-crested"])
def test_species_by_scientific_or_common_name(query):
    assert references(search(query))[0] == "CB-2015-007"


def test_facets_count_the_results_and_narrow_them():
    results = search("ozone")
    kinds = dict(results.facets["kind"])
    assert kinds["case"] < results.total == sum(kinds.values())  # demo documents talk of ozone
    cases = search("ozone", kind="case")
    assert cases.total == kinds["case"]
    assert dict(cases.facets["convention"])["MONTREAL"] == cases.total
    countries = dict(results.facets["country"])
    narrowed = search("ozone", country="US")
    assert narrowed.total == countries["US"] > 0
    assert dict(narrowed.facets["country"]) == {"US": countries["US"]}


def test_facet_only_search_lists_everything_public_newest_first():
    results = search("", kind="case")
    assert results.total == len(PUBLIC)
    dates = [h.fields["date"] for h in results.hits]
    assert dates == sorted(dates, reverse=True)


def test_pagination_covers_every_result_once():
    first = search("", kind="case")
    seen = [
        ref
        for page in range(1, first.pages + 1)
        for ref in references(search("", kind="case", page=page))
    ]
    assert len(seen) == len(set(seen)) == len(PUBLIC)


def test_sort_by_date():
    newest = [h.fields["date"] for h in search("cylinders", sort="newest").hits]
    oldest = [h.fields["date"] for h in search("cylinders", sort="oldest").hits]
    assert newest == sorted(newest, reverse=True) and oldest == sorted(oldest)


def test_highlights_mark_the_words_and_escape_the_rest():
    hit = search("pangolin").hits[0]
    assert "<mark>pangolin" in hit.snippet
    assert "<mark>pangolin</mark>" in hit.title
    assert "<script" not in hit.snippet


def test_did_you_mean_proposes_an_indexed_word():
    assert search("pangolni").suggestion == "pangolin"
    assert search("pangolin").suggestion is None


@pytest.mark.parametrize(
    "query", ["access:restricted", "access_level:public", "status:draft", "key:case", "kind:case"]
)
def test_only_known_fields_can_be_queried(query):
    # An unknown `name:` is plain text: it cannot select documents by an internal field.
    plain = query.replace(":", " ")
    assert search(query, exact="1").total == search(plain, exact="1").total


def test_search_page_renders_results_facets_and_highlights(client):
    response = client.get("/search?q=pangolin")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<mark>pangolin</mark>" in page
    assert "Narrow the results" in page and "/search?q=pangolin&amp;country=SG" in page
    assert "<script" not in page and "style=" not in page


def test_every_page_has_the_search_box(client):
    for url in ("/", "/cases", "/conventions", "/about", "/search"):
        assert 'action="/search"' in client.get(url).get_data(as_text=True)


def test_did_you_mean_on_the_page(client):
    page = client.get("/search?q=pangolni&exact=1").get_data(as_text=True)
    assert "Did you mean" in page and "q=pangolin" in page
    assert "0 results" in page


def test_a_misspelling_that_finds_nothing_shows_the_corrected_results():
    results = search("pangolinn")
    assert results.corrected_from == "pangolinn" and results.request.text == "pangolins"
    assert results.total == search("pangolins").total > 0
    assert references(results) == references(search("pangolins"))


def test_the_corrected_results_page_offers_the_words_typed(client):
    page = client.get("/search?q=pangolinn").get_data(as_text=True)
    assert "Showing results for" in page and "search instead for" in page
    assert "/search?q=pangolinn&amp;exact=1" in page and "Did you mean" not in page
    forced = client.get("/search?q=pangolinn&exact=1").get_data(as_text=True)
    assert "0 results" in forced and "Did you mean" in forced
    assert 'name="exact"' not in forced  # the next search from the box is not forced


def test_no_correction_when_the_words_typed_match_something():
    results = search("pangolins")
    assert results.corrected_from is None and results.total > 0


def test_more_like_this_on_the_case_page(client):
    page = client.get("/cases/CB-2020-009").get_data(as_text=True)
    assert "More like this" in page
    section = page.split("More like this", 1)[1]
    assert "/cases/CB-2020-010" in section  # the other rhino horn case


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"rhino horn', "quotation mark"),
        ("*", "two letters"),
        ("a*", "two letters"),
        ("x" * 10_000, "too long"),
        ("rhino\x00\x07 horn", "control characters"),
        ("(((", ""),
        ("AND OR NOT", ""),
        ("title: hs: country:", ""),
        ("^~!@#$%", ""),
        ("pangolin OR", ""),
    ],
)
def test_bad_queries_get_a_clear_message_never_a_500(client, query, message):
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_the_json_api_answers_like_the_page(client):
    body = client.get("/api/v1/search?q=pangolin").get_json()
    assert body["total"] == search("pangolin").total
    assert body["hits"][0]["reference"] == "CB-2019-001"
    assert body["hits"][0]["url"] == "/cases/CB-2019-001"
    assert "<mark>pangolin" in body["hits"][0]["highlight"]
    assert body["facets"]["convention"] == {"CITES": body["total"]}


def test_the_json_api_reports_a_bad_query_as_json(client):
    response = client.get("/api/v1/search", query_string={"q": "x" * 10_000})
    assert response.status_code == 400
    assert "too long" in response.get_json()["detail"]
    assert response.content_type == "application/problem+json"


def test_an_empty_index_answers_with_no_results(search_index, app):
    search_index.swap(search_index.new_generation())
    results = search("pangolin")
    assert results.total == 0 and results.hits == [] and results.facets["kind"] == []


@pytest.mark.parametrize(("typed", "meant"), [("ozne", "ozone"), ("pangolni", "pangolin")])
def test_did_you_mean_prefers_the_word_that_begins_alike(typed, meant):
    assert search(typed).suggestion == meant


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hidden in fuel tanks", "CB-2024-106"),
        ("wrapped in foil", "CB-2015-014"),
        ("the pangolin scales", "CB-2019-001"),
        ("rhino horn in a suitcase", "CB-2020-009"),
    ],
)
def test_an_english_stop_word_is_not_required_in_any_language(query, expected):
    # `in` and `the` are English stop words but French or Spanish words: they must not be
    # required of English entries just because the French and Spanish fields keep them.
    assert expected in references(search(query))


def test_a_word_every_language_drops_constrains_nothing():
    assert references(search("of the pangolin")) == references(search("pangolin"))


@pytest.mark.parametrize(
    ("query", "field", "value"),
    [
        ("convicted", "prosecution_status", "convicted"),
        ("administrative penalty", "prosecution_status", "administrative_penalty"),
        ("seaport", "facility_type", "seaport"),
        ("land border crossing", "facility_type", "land_border"),
        ("detector dog", "detection_method", "detector_dog"),
        ("random check", "detection_method", "random_check"),
        ("hydrofluorocarbons", "commodity_category", "hfcs"),
        ("persistent organic pollutants", "commodity_category", "pops"),
        ("transhipment", "point", "transit"),
    ],
)
def test_the_words_of_structured_fields_are_searchable(query, field, value):
    expected = public_with(lambda r: r[field] == value)
    found = {h.reference for p in (1, 2, 3) for h in search(query, page=p).hits}
    assert len(expected) >= 2 and expected <= found


def test_structured_words_come_from_public_fields_only():
    from casebank.schemas.case_study import PUBLIC_CASE_FIELDS
    from casebank.search.entries import LABELLED_FIELDS

    assert set(LABELLED_FIELDS) <= set(PUBLIC_CASE_FIELDS)


def test_no_prosecution_is_not_a_prosecution():
    none = public_with(lambda r: r["prosecution_status"] == "none")
    assert none and not none & set(references(search("prosecution")))


def typed_only(query):
    """The references the words as typed match, without domain knowledge."""
    from casebank.search import ranking, search_indexes
    from casebank.search.querying import parse

    searcher = search_indexes().searcher("public")
    docs = ranking.scores_for(searcher, parse(query, searcher.schema, widen=False))
    return {searcher.stored_fields(doc)["reference"] for doc in docs}


@pytest.mark.parametrize("query", ["ods", "kigali", "wildlife", "tortoises", "refrigerants"])
def test_domain_knowledge_widens_below_the_words_typed(query):
    typed = typed_only(query)
    results = search(query)
    found = [h.reference for p in range(1, results.pages + 1) for h in search(query, page=p).hits]
    assert typed and len(found) > len(typed)  # it widened
    assert set(found[: len(typed)]) == typed  # and what the words match comes first
    assert results.widened


def test_ivory_is_not_replaced_by_the_convention(client):
    assert not typed_only("ivory")  # no public case study speaks of ivory
    results = search("ivory")
    assert [(e.kind, e.value) for e in results.widened] == [("convention", "CITES")]
    page = client.get("/search?q=ivory").get_data(as_text=True)
    assert "Also showing" in page and "CITES cases" in page


def test_an_iso_code_in_capitals_is_the_country_not_a_stop_word():
    expected = public_with(lambda r: "US" in (r["country"], *r["origin_countries"],
                           *r["transit_countries"], *r["destination_countries"]))  # fmt: skip
    assert expected == set(references(search("US", kind="case"))) | set(
        references(search("US", kind="case", page=2))
    )


def test_a_word_the_cases_say_is_not_said_to_widen():
    results = search("CITES")  # every CITES case names its convention
    assert results.widened == []


REFRIGERANT_CASES = {"CB-2020-103", "CB-2020-104", "CB-2020-108", "CB-2022-101", "CB-2022-109"}


def test_more_like_this_compares_what_an_officer_compares():
    from casebank.search import similar_cases

    by_reference = {r["reference"]: r for r in PUBLIC}
    assert REFRIGERANT_CASES <= set(by_reference)  # the public refrigerant cases, beside 106
    source = next(c for c in db_cases() if c.reference == "CB-2024-106")  # R-134a in fuel tanks
    similar = [fields["reference"] for fields in similar_cases(source.id)]
    assert set(similar) == REFRIGERANT_CASES
    # the two other HFC-134a cases first
    assert set(similar[:2]) == {"CB-2020-103", "CB-2022-101"}


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("CB-2020-009", {"CB-2020-010"}),  # rhino horn
        ("CB-2020-117", {"CB-2021-118"}),  # carbofuran
        ("CB-2019-110", {"CB-2019-114", "CB-2022-115", "CB-2022-116"}),  # waste to Asia
    ],
)
def test_more_like_this_lists_the_same_kind_of_seizure_first(reference, expected):
    from casebank.search import similar_cases

    source = next(c for c in db_cases() if c.reference == reference)
    similar = [fields["reference"] for fields in similar_cases(source.id)]
    assert set(similar[: len(expected)]) == expected


def db_cases():
    from casebank.extensions import db
    from casebank.models import CaseStudy

    return db.session.scalars(db.select(CaseStudy)).all()


@pytest.mark.parametrize("written", ["2903 45", "hs:2903 45"])
def test_an_hs_subheading_written_with_a_space(written):
    expected = public_with(lambda r: "2903.45" in r["hs_codes"])
    assert len(expected) > 1 and set(references(search(written))) == expected


def test_when_no_case_holds_every_word_those_with_some_come_first(client):
    results = search("parrots smuggled in bottles")
    assert results.any_word and references(results)[0] == "CB-2015-007"
    page = client.get("/search?q=parrots+smuggled+in+bottles").get_data(as_text=True)
    assert "showing those with some of them" in page


@pytest.mark.parametrize("query", ["pangolin NOT scales", "zzqx", "pangolin AND zzqx"])
def test_no_relaxing_of_operators_or_single_words(query):
    results = search(query, exact="1")
    assert not results.any_word


def test_stop_words_alone_do_not_list_every_english_entry():
    assert not {"CB-2019-001", "CB-2024-106"} & set(references(search("the", exact="1")))
    assert not {"CB-2019-001", "CB-2024-106"} & set(references(search("in", exact="1")))


def test_not_a_stop_word_excludes_nothing_it_does_not_hold():
    assert search("pangolin NOT the").total == search("pangolin").total > 0


def test_the_json_api_says_what_the_page_says(client):
    corrected = client.get("/api/v1/search?q=pangolinn").get_json()
    assert corrected["corrected_from"] == "pangolinn" and corrected["query"] == "pangolins"
    widened = client.get("/api/v1/search?q=ivory").get_json()
    assert widened["also_showing"] == [{"kind": "convention", "value": "CITES"}]
    some = client.get("/api/v1/search?q=parrots+smuggled+in+bottles").get_json()
    assert some["any_word"] is True and some["hits"][0]["reference"] == "CB-2015-007"


@pytest.mark.parametrize("query", ["pangolin OR the", "pangolin OR in"])
def test_a_stop_word_among_alternatives_adds_nothing(query):
    # (French and Spanish documents may hold "in" or "the": case studies are English.)
    assert search(query, kind="case").total == search("pangolin", kind="case").total
