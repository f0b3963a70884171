"""Which case studies a reader sees, filtered and counted.

Every query here starts from visible_cases(), so nothing restricted or unpublished can reach a
page by a forgotten condition: the public sees published public case studies; officers see
every published case study.
"""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, extract, func, or_, select
from sqlalchemy.orm import defer, selectinload

from casebank import codes, i18n
from casebank.extensions import db
from casebank.models import CaseStudy, Convention, HSCode
from casebank.models import case_study_conventions as link
from casebank.models.encrypted import EncryptedText
from casebank.models.vocab import AccessLevel, DetectionMethod, ProsecutionStatus, WorkflowStatus


def visible_cases(officer=False):
    query = select(CaseStudy).where(CaseStudy.status == WorkflowStatus.PUBLISHED)
    return query if officer else query.where(CaseStudy.access_level == AccessLevel.PUBLIC)


def with_cards(query):
    """What a case card shows beyond the row itself, loaded in one more query per page; the
    sealed free text a card does not show is left in the database (not decrypted per row)."""
    return query.options(selectinload(CaseStudy.conventions), *map(defer, SEALED_BEYOND_CARD))


# Every sealed column but the card's title and summary (each costs a decryption per row read).
SEALED_BEYOND_CARD = [
    getattr(CaseStudy, column.key)
    for column in CaseStudy.__table__.columns
    if isinstance(column.type, EncryptedText) and column.key not in ("title", "summary")
]


def public_cases():
    return visible_cases(officer=False)


@dataclass
class CaseFilters:
    """Filters of the case list, parsed from query arguments; bad values are reported, not used."""

    convention: str | None = None
    country: str | None = None
    year: int | None = None
    detection_method: str | None = None
    prosecution_status: str | None = None
    hs: str | None = None
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args):
        filters = cls()
        filters.convention = filters.pick(args, "convention", known_convention)
        filters.country = filters.pick(args, "country", codes.is_valid_country)
        filters.year = filters.pick(args, "year", valid_year, convert=int)
        filters.detection_method = filters.pick(
            args, "detection_method", DetectionMethod._value2member_map_.__contains__
        )
        filters.prosecution_status = filters.pick(
            args, "prosecution_status", ProsecutionStatus._value2member_map_.__contains__
        )
        filters.hs = filters.pick(args, "hs", codes.hs_prefix, convert=codes.hs_prefix)
        return filters

    def pick(self, args, name, is_valid, convert=str.strip):
        raw = (args.get(name) or "").strip()
        if name in ("country", "convention"):
            raw = raw.upper()
        if not raw:
            return None
        try:
            value = convert(raw)
        except ValueError:
            value = None
        if value is None or not is_valid(value):
            self.errors.append(filter_ignored(FILTER_LABELS[name], raw))
            return None
        return value

    def active(self):
        names = ("convention", "country", "year", "detection_method", "prosecution_status", "hs")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def apply(self, query):
        if self.convention:
            query = query.where(CaseStudy.conventions.any(Convention.code == self.convention))
        if self.country:
            query = query.where(CaseStudy.country == self.country)
        if self.year:
            query = query.where(
                CaseStudy.seizure_date.between(date(self.year, 1, 1), date(self.year, 12, 31))
            )
        if self.detection_method:
            query = query.where(CaseStudy.detection_method == self.detection_method)
        if self.prosecution_status:
            query = query.where(CaseStudy.prosecution_status == self.prosecution_status)
        if self.hs:
            query = query.where(
                CaseStudy.hs_codes.any(HSCode.code.startswith(self.hs, autoescape=True))
            )
        return query


# The filters' names as the case list's form labels them.
FILTER_LABELS = {
    "convention": _l("Convention"),
    "country": _l("Country of seizure"),
    "year": _l("Year of seizure"),
    "detection_method": _l("Detection method"),
    "prosecution_status": _l("Prosecution"),
    "hs": _l("HS code or prefix"),
}


def filter_ignored(label, value):
    """The notice for a filter value that is not known (the lists of documents and risk
    indicators say it the same way)."""
    return _(
        "%(filter)s: “%(value)s” is not a value we know; that filter was ignored.",
        filter=label,
        value=value[:40],
    )


def known_convention(code):
    return db.session.scalar(select(Convention.id).filter_by(code=code)) is not None


def valid_year(year):
    return 1900 <= year <= date.today().year


def list_cases(filters, page, per_page, officer=False, references=None, cards=True):
    """A page of the visible case studies the filters (and, when given, a set of references
    found by a search) keep, newest seizure first: as cards, or (cards=False, the API's list)
    whole records, every column read with its row."""
    query = listed_cases(filters, officer, references)
    query = with_cards(query) if cards else query.options(selectinload(CaseStudy.conventions))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def listed_cases(filters, officer=False, references=None):
    """The query behind the case list, every page of it, in the list's order (the list's
    pages and its exports share it, so an export holds exactly what the list shows)."""
    query = filters.apply(visible_cases(officer)).order_by(
        CaseStudy.seizure_date.desc(), CaseStudy.reference
    )
    if references is not None:
        query = query.where(CaseStudy.reference.in_(sorted(references)))
    return query


def get_case(reference, officer=False):
    return db.session.scalar(visible_cases(officer).filter_by(reference=reference))


def latest_public_cases(limit=6):
    query = public_cases().order_by(CaseStudy.published_at.desc(), CaseStudy.reference.desc())
    return list(db.session.scalars(with_cards(query).limit(limit)))


def count_cases(officer=False):
    return db.session.scalar(select(func.count()).select_from(visible_cases(officer).subquery()))


def convention_counts():
    """Every convention with the number of public case studies under it (zero included)."""
    visible = public_cases().with_only_columns(CaseStudy.id).subquery()
    counted = (
        select(Convention, func.count(visible.c.id))
        .outerjoin(link, link.c.convention_id == Convention.id)
        .outerjoin(visible, visible.c.id == link.c.case_study_id)
        .group_by(Convention.id)
        .order_by(Convention.sort_order)
    )
    return list(db.session.execute(counted))


def countries(officer=False):
    """Seizing countries of the visible case studies, as (code, name) sorted by name, in the
    reader's language."""
    visible = visible_cases(officer).with_only_columns(distinct(CaseStudy.country))
    names = i18n.country_names()
    return sorted(
        ((c, names.get(c, c)) for c in db.session.scalars(visible)),
        key=lambda pair: pair[1].casefold(),
    )


def years(officer=False):
    year = extract("year", CaseStudy.seizure_date)
    found = db.session.scalars(visible_cases(officer).with_only_columns(distinct(year)))
    return sorted((int(y) for y in found), reverse=True)


def all_conventions():
    return list(db.session.scalars(select(Convention).order_by(Convention.sort_order)))


def filter_options(officer=False):
    """(value, label) choices for the case-list filters, from what the reader can see."""
    return {
        "conventions": [(c.code, c.translated_short_name) for c in all_conventions()],
        "countries": countries(officer),
        "years": [(y, y) for y in years(officer)],
    }


def lookup_hs_codes(text):
    """HS codes by code prefix ('2903', '290371', '2903.7') or by words of the description."""
    query = select(HSCode).order_by(HSCode.code)
    text = (text or "").strip()[:100]
    prefix = codes.hs_prefix(text)
    if prefix:
        query = query.where(HSCode.code.startswith(prefix, autoescape=True))
    elif text:
        for word in text.split()[:8]:
            query = query.where(
                or_(
                    HSCode.description.icontains(word, autoescape=True),
                    HSCode.notes.icontains(word, autoescape=True),
                )
            )
    return list(db.session.scalars(query))
