"""What the indexes hold: an entry for each case study and each document that its audience
may read (Whoosh calls entries "documents"; here a document is an uploaded file).

A case study's public entry is built from its public record only (PUBLIC_CASE_FIELDS, the same
field set the public case page is rendered from), so restricted text cannot reach it by a
forgotten field; the restricted entry adds what officers may read. A document's entry goes to
the public index only when the document is public and published.
"""

from dataclasses import dataclass

from sqlalchemy import select

from casebank import codes
from casebank.models import CaseStudy, Convention, HSCode
from casebank.models.vocab import (
    CitesAppendix,
    CommodityCategory,
    ControlPoint,
    DetectionMethod,
    DocumentStatus,
    FacilityType,
    ProsecutionStatus,
    TransportMode,
    WorkflowStatus,
)
from casebank.schemas.case_study import (
    PUBLIC_CASE_FIELDS,
    RESTRICTED_CASE_FIELDS,
    CaseStudySchema,
)
from casebank.search.analysis import FoldingStemmer, body_field, titled
from casebank.search.engine import PUBLIC, RESTRICTED
from casebank.services.case_transfer import case_record

public_schema = CaseStudySchema(only=PUBLIC_CASE_FIELDS)
restricted_schema = CaseStudySchema(only=RESTRICTED_CASE_FIELDS)

# Free-text fields whose words are searched with the title, summary and narrative.
TEXT_FIELDS = (
    "place",
    "species_scientific_name",
    "species_common_name",
    "substance_name",
    "cas_number",
    "ashrae_number",
    "concealment_method",
    "goods_disposition",
    "court",
    "charges",
    "appeal_notes",
    "lessons_learned",
)
COUNTRY_FIELDS = ("origin_countries", "transit_countries", "destination_countries")


@dataclass(frozen=True)
class ReferenceNames:
    """Names of conventions and HS codes, read once per batch of documents."""

    conventions: dict
    hs_codes: dict

    @classmethod
    def load(cls, session):
        return cls(
            conventions={
                c.code: f"{c.short_name} {c.name}" for c in session.scalars(select(Convention))
            },
            hs_codes={h.code: h.description for h in session.scalars(select(HSCode))},
        )

    def words(self, conventions, hs_codes):
        """What an entry's conventions and HS codes add to its words: names, digits, headings."""
        words = [self.conventions.get(c, c) for c in conventions]
        words += [f"{c} {codes.hs_digits(c)} {self.hs_codes.get(c, '')}" for c in hs_codes]
        return words


CASE = "case"  # the kind of a case study's entry; a document's is its document kind
DOCUMENT = "document"  # how a document's key begins
EXCERPT_CHARS = 20_000  # of a document's text, stored for snippets (all of it is searchable)


def case_key(case_id):
    return f"{CASE}:{case_id}"


def document_key(document_id):
    return f"{DOCUMENT}:{document_id}"


def ids_by_kind(keys):
    """The case study ids and the document ids that a set of entry keys name."""
    found = {CASE: [], DOCUMENT: []}
    for key in keys:
        kind, item_id = key.split(":", 1)
        found[kind].append(int(item_id))
    return sorted(found[CASE]), sorted(found[DOCUMENT])


def is_searchable(case, audience):
    """Which index a case study belongs in: the public one only when the public may read it."""
    if audience == PUBLIC:
        return case.is_public
    return case.status == WorkflowStatus.PUBLISHED


def case_entry(case, audience, names):
    """The entry for audience, or None when the case study does not belong in that index."""
    if not is_searchable(case, audience):
        return None
    schema = public_schema if audience == PUBLIC else restricted_schema
    record = schema.dump(case_record(case))
    entry = entry_from_record(record, names)
    entry.update(key=case_key(case.id), updated_at=case.updated_at.isoformat())
    if audience == RESTRICTED:
        entry["access"] = str(case.access_level)
    return entry


def entry_from_record(record, names):
    """Index fields from a case record (a dict of one schema's fields)."""
    seizure_date = str(record["seizure_date"])
    countries = [record["country"], *(c for f in COUNTRY_FIELDS for c in record.get(f) or [])]
    conventions = record.get("conventions") or []
    hs = record.get("hs_codes") or []
    words = [record.get(f) for f in TEXT_FIELDS]
    words += [codes.country_name(c) for c in dict.fromkeys(countries)]
    words += names.words(conventions, hs)
    words += record.get("agencies") or []
    words += vocabulary_labels(record)
    notes = record.get("restricted_notes") or ""
    entry = {
        "kind": CASE,
        "reference": record["reference"],
        "language": str(CaseStudy.language),  # queries need it: see words_query
        "title": record["title"],
        "body": titled(record["title"], record["summary"], record["narrative"], notes, *words),
        "summary": record["summary"],
        "text": record["narrative"],
        "species": " ".join(
            n
            for n in (record.get("species_scientific_name"), record.get("species_common_name"))
            if n
        ),
        # Suggestions come from the words that name a case (the narrative would triple the
        # indexing work for little gain); officers' suggestions include restricted notes.
        "spell": " ".join(
            w or ""
            for w in (
                record["title"],
                record["summary"],
                record.get("place"),
                record.get("species_common_name"),
                record.get("species_scientific_name"),
                notes,
            )
        ),
        "country": " ".join(dict.fromkeys(countries)),
        "hs": hs_field(hs),
        "convention": " ".join(conventions),
        "seizing_country": record["country"],
        "year": seizure_date[:4],
        "date": seizure_date,
        "transport_mode": record.get("transport_mode") or "",
        "detection_method": record.get("detection_method") or "",
        "prosecution_status": record.get("prosecution_status") or "",
        "commodity": record["commodity_category"],
        "profile": " ".join(profile(record)),
    }
    if notes:
        entry["restricted_notes"] = notes
    return {k: v for k, v in entry.items() if v != ""}


# Fields holding a value of a vocabulary: their labels are searchable words ("convicted",
# "seaport", "detector dog", "hydrofluorocarbons"). Every one is in PUBLIC_CASE_FIELDS (the
# record holds only the fields of its audience's schema anyway).
LABELLED_FIELDS = {
    "commodity_category": CommodityCategory,
    "detection_method": DetectionMethod,
    "transport_mode": TransportMode,
    "facility_type": FacilityType,
    "point": ControlPoint,
    "prosecution_status": ProsecutionStatus,
    "cites_appendix": CitesAppendix,
}


PROFILE_ANALYZER = FoldingStemmer("en")


def profile(record):
    """What a customs officer compares two seizures by, as tokens of kind:value ("more like
    this", similar.more_like): commodity, species or substance, HS codes, convention,
    concealment, route (origin, transit, destination, seizing country, transport mode)."""
    tokens = [f"commodity:{record['commodity_category']}"]
    tokens += [f"convention:{c}" for c in record.get("conventions") or []]
    for code in record.get("hs_codes") or []:
        tokens += [f"hs:{codes.hs_digits(code)}", f"heading:{codes.hs_digits(code)[:4]}"]
    tokens += profile_words("species", record, "species_scientific_name", "species_common_name")
    tokens += profile_words("substance", record, "substance_name", "ashrae_number")
    tokens += profile_words("concealment", record, "concealment_method")
    tokens += [f"at:{record['country']}"]
    for kind, name in (("from", "origin_countries"), ("via", "transit_countries"),
                       ("to", "destination_countries")):  # fmt: skip
        tokens += [f"{kind}:{c}" for c in record.get(name) or []]
    if record.get("transport_mode"):
        tokens.append(f"mode:{record['transport_mode']}")
    return list(dict.fromkeys(tokens))


def profile_words(kind, record, *names):
    text = " ".join(record.get(name) or "" for name in names)
    return [f"{kind}:{token.text}" for token in PROFILE_ANALYZER(text)]


def vocabulary_labels(record):
    """The labels of a record's vocabulary values. "No prosecution" is left out: it would make
    `prosecution` find the cases that had none."""
    return [
        vocabulary.label_of(record[name])
        for name, vocabulary in LABELLED_FIELDS.items()
        if record.get(name) and record[name] != ProsecutionStatus.NONE
    ]


def hs_field(hs_codes):
    """Every prefix of every code ('2903.14' -> 29, 290, 2903, 29031, 290314): a query for
    any prefix finds the code."""
    digits = [codes.hs_digits(code) for code in hs_codes]
    return " ".join(sorted({d[:n] for d in digits for n in range(2, len(d) + 1)}))


def document_entry(document, audience, names):
    """The entry for audience, or None when the document does not belong in that index.
    Its words go to the body field of its language, analysed in that language."""
    if document.status != DocumentStatus.PUBLISHED:
        return None
    if audience == PUBLIC and not document.is_public:
        return None
    indicator = document.risk_indicator
    conventions = [c.code for c in indicator.conventions] if indicator else []
    hs = [h.code for h in indicator.hs_codes] if indicator else []
    text = document.extracted_text or ""
    words = names.words(conventions, hs)
    published = (document.published_at or document.created_at).date().isoformat()
    entry = {
        "key": document_key(document.id),
        "kind": str(document.kind),
        "reference": str(document.id),
        "title": document.title,
        # A risk indicator's items are restricted text even when its document was made public:
        # its file (what the public may read) is not regenerated when they are edited.
        body_field(document.language): titled(
            document.title,
            document.description,
            text,
            *(indicator_lines(indicator) if audience == RESTRICTED else ()),
            *words,
        ),
        "summary": document.description or "",
        "text": text[:EXCERPT_CHARS],
        "language": str(document.language),
        "spell": f"{document.title} {document.description or ''}",
        "hs": hs_field(hs),
        "convention": " ".join(conventions),
        "year": published[:4],
        "date": published,
        "updated_at": document.updated_at.isoformat(),
        "access": "public" if document.is_public else "restricted",
    }
    return {k: v for k, v in entry.items() if v != ""}


def indicator_lines(indicator):
    items = indicator.indicators if indicator else []
    return [f"{item.get('category', '')}: {item.get('indicator', '')}" for item in items]
