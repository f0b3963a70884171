"""Statistics of the case studies a reader may see: counts by year, convention, country,
detection method, transport mode, commodity; prosecution outcomes, custodial sentences, fines
per currency (never converted), time from seizure to court decision.

Everything starts from catalogue.visible_cases(officer), the catalogue's own visibility rule:
the public's statistics count published public case studies only. One filter set
(StatisticsFilters, from the URL) applies to every table at once. Each table is rows of
(key, label, value...) that the page shows beside its chart, and its CSV download holds.
"""

import statistics as stats
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from pygal_maps_world import i18n as world
from sqlalchemy import select

from casebank import i18n
from casebank.extensions import db
from casebank.models import CaseStudy, Convention
from casebank.models import case_study_conventions as link
from casebank.models.vocab import (
    CommodityCategory,
    DetectionMethod,
    ProsecutionStatus,
    TransportMode,
)
from casebank.services import catalogue

# Regions of the world as pygal's world map groups countries (ISO codes, in capitals).
REGION_COUNTRIES = {
    "africa": world.AFRICA,
    "asia": world.ASIA,
    "europe": world.EUROPE,
    "north_america": world.NORTH_AMERICA,
    "south_america": world.SOUTH_AMERICA,
    "oceania": world.OCEANIA,
}
REGION_COUNTRIES = {name: {c.upper() for c in codes} for name, codes in REGION_COUNTRIES.items()}
REGION_LABELS = {
    "africa": _l("Africa"),
    "asia": _l("Asia"),
    "europe": _l("Europe"),
    "north_america": _l("North America and the Caribbean"),
    "south_america": _l("South America"),
    "oceania": _l("Oceania"),
}
FILTER_LABELS = {
    "convention": _l("Convention"),
    "year_from": _l("From year"),
    "year_to": _l("To year"),
    "region": _l("Region of seizure"),
    "commodity": _l("Commodity"),
}
# Custodial sentences and times to decision, grouped: (upper bound, label), the last unbounded.
CUSTODIAL_BANDS = (
    (12, _l("Under 1 year")),
    (36, _l("1 to 3 years")),
    (60, _l("3 to 5 years")),
    (None, _l("5 years or more")),
)
DECISION_BANDS = (
    (182, _l("Under 6 months")),
    (365, _l("6 to 12 months")),
    (730, _l("1 to 2 years")),
    (None, _l("2 years or more")),
)


@dataclass
class StatisticsFilters:
    """The statistics page's filters, parsed from query arguments; bad values are reported
    (the case list's words) and not used."""

    convention: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    region: str | None = None
    commodity: str | None = None
    errors: list[str] = field(default_factory=list)

    NAMES = ("convention", "year_from", "year_to", "region", "commodity")

    @classmethod
    def from_args(cls, args):
        filters = cls()
        filters.convention = filters.pick(args, "convention", catalogue.known_convention, str.upper)
        filters.year_from = filters.pick(args, "year_from", catalogue.valid_year, int)
        filters.year_to = filters.pick(args, "year_to", catalogue.valid_year, int)
        filters.region = filters.pick(args, "region", REGION_COUNTRIES.__contains__)
        filters.commodity = filters.pick(
            args, "commodity", CommodityCategory._value2member_map_.__contains__
        )
        return filters

    def pick(self, args, name, is_valid, convert=str.strip):
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = convert(raw)
        except ValueError:
            value = None
        if value is None or not is_valid(value):
            self.errors.append(catalogue.filter_ignored(FILTER_LABELS[name], raw))
            return None
        return value

    def active(self):
        return {n: getattr(self, n) for n in self.NAMES if getattr(self, n) is not None}

    def apply(self, query):
        if self.convention:
            query = query.where(CaseStudy.conventions.any(Convention.code == self.convention))
        if self.year_from:
            query = query.where(CaseStudy.seizure_date >= date(self.year_from, 1, 1))
        if self.year_to:
            query = query.where(CaseStudy.seizure_date <= date(self.year_to, 12, 31))
        if self.region:
            query = query.where(CaseStudy.country.in_(sorted(REGION_COUNTRIES[self.region])))
        if self.commodity:
            query = query.where(CaseStudy.commodity_category == self.commodity)
        return query


@dataclass
class Table:
    """One statistic: its rows (key, label, values...) and how the page draws it."""

    name: str
    title: str
    columns: list  # the headers of label and values
    rows: list
    chart: str = "bar"  # "bar", "hbar", "map", or "" (a table only)
    note: str = ""


COLUMNS = (
    "id", "seizure_date", "country", "detection_method", "transport_mode", "commodity_category",
    "prosecution_status", "fine_amount", "fine_currency", "custodial_months", "decision_date",
)  # fmt: skip


def case_rows(filters, officer):
    """The filtered visible case studies' figures (one query) and their conventions (one)."""
    visible = filters.apply(catalogue.visible_cases(officer))
    query = visible.with_only_columns(*(getattr(CaseStudy, name) for name in COLUMNS))
    rows = db.session.execute(query).all()
    ids = visible.with_only_columns(CaseStudy.id).scalar_subquery()
    pairs = db.session.execute(
        select(link.c.case_study_id, Convention.code)
        .join(Convention, Convention.id == link.c.convention_id)
        .where(link.c.case_study_id.in_(ids))
    ).all()
    return rows, Counter(code for _case, code in pairs)


def compute(filters, officer=False):
    """Every table of the statistics page, in the page's order."""
    rows, conventions = case_rows(filters, officer)
    return [
        by_year(rows),
        by_convention(conventions),
        by_country(rows),
        by_vocabulary(rows, "detection_method", DetectionMethod, _l("Detection method")),
        by_vocabulary(rows, "transport_mode", TransportMode, _l("Transport mode")),
        by_vocabulary(rows, "commodity_category", CommodityCategory, _l("Commodity")),
        by_vocabulary(rows, "prosecution_status", ProsecutionStatus, _l("Prosecution outcome")),
        custodial_sentences(rows),
        fines(rows),
        time_to_decision(rows),
    ]


def table_named(tables, name):
    return next((table for table in tables if table.name == name), None)


def by_year(rows):
    years = Counter(row.seizure_date.year for row in rows if row.seizure_date)
    if years:  # every year between the first and the last, zeros included: a trend reads true
        years = {y: years.get(y, 0) for y in range(min(years), max(years) + 1)}
    return Table(
        "year", _l("Case studies by year of seizure"), [_l("Year"), _l("Case studies")],
        [(str(y), str(y), n) for y, n in sorted(years.items())],
    )  # fmt: skip


def by_convention(counts):
    rows = [
        (c.code, c.translated_short_name, counts.get(c.code, 0))
        for c in catalogue.all_conventions()
    ]
    return Table(
        "convention", _l("Case studies by convention"), [_l("Convention"), _l("Case studies")],
        rows, chart="hbar", note=_l("A case study under several conventions counts under each."),
    )  # fmt: skip


def by_country(rows):
    names = i18n.country_names()
    counts = Counter(row.country for row in rows if row.country)
    ordered = sorted(counts.items(), key=lambda pair: (-pair[1], names.get(pair[0], pair[0])))
    return Table(
        "country", _l("Case studies by country of seizure"),
        [_l("Country"), _l("Case studies")],
        [(code, names.get(code, code), n) for code, n in ordered], chart="map",
    )  # fmt: skip


def by_vocabulary(rows, column, vocabulary, title):
    counts = Counter(getattr(row, column) for row in rows)
    ordered = [(m.value, m.translated_label, counts.get(m, 0)) for m in vocabulary]
    unknown = sum(n for value, n in counts.items() if value is None)
    if unknown:
        ordered.append(("", str(_l("Not stated")), unknown))
    return Table(column, title, [title, _l("Case studies")], ordered, chart="hbar")


def banded(values, bands):
    counts = Counter()
    for value in values:
        for upper, label in bands:
            if upper is None or value < upper:
                counts[str(label)] += 1
                break
    return [(str(label), str(label), counts.get(str(label), 0)) for _upper, label in bands]


def custodial_sentences(rows):
    months = [row.custodial_months for row in rows if row.custodial_months]
    note = _l("%(num)s case studies with a custodial sentence; median %(median)s months.",
              num=len(months), median=median_text(months)) if months else ""  # fmt: skip
    return Table(
        "custodial", _l("Custodial sentences"), [_l("Sentence"), _l("Case studies")],
        banded(months, CUSTODIAL_BANDS), note=note,
    )  # fmt: skip


def fines(rows):
    """Fines per currency, each in its own currency: never added across currencies."""
    by_currency = {}
    for row in rows:
        if row.fine_amount is not None and row.fine_currency:
            by_currency.setdefault(row.fine_currency, []).append(Decimal(row.fine_amount))
    table_rows = [
        (code, code, len(amounts), plain(sum(amounts)), plain(stats.median(amounts)),
         plain(max(amounts)))
        for code, amounts in sorted(by_currency.items())
    ]  # fmt: skip
    return Table(
        "fines", _l("Fines, per currency"),
        [_l("Currency"), _l("Case studies"), _l("Total"), _l("Median"), _l("Largest")],
        table_rows, chart="", note=_l("Amounts are not converted between currencies."),
    )  # fmt: skip


def time_to_decision(rows):
    days = [
        (row.decision_date - row.seizure_date).days
        for row in rows
        if row.decision_date and row.seizure_date and row.decision_date >= row.seizure_date
    ]
    note = _l("%(num)s case studies with a court decision date; median %(median)s days.",
              num=len(days), median=median_text(days)) if days else ""  # fmt: skip
    return Table(
        "decision", _l("Time from seizure to court decision"),
        [_l("Time"), _l("Case studies")], banded(days, DECISION_BANDS), note=note,
    )  # fmt: skip


def median_text(values):
    return plain(Decimal(str(stats.median(values))))


def plain(amount):
    """An amount as exact text: 1500, 1500.5 (never 1.5E+3)."""
    return format(Decimal(amount).normalize(), "f")


def as_json(tables, filters):
    """The statistics as plain data (the page's JSON)."""
    return {
        "filters": filters.active(),
        "tables": {
            t.name: {
                "title": str(t.title),
                "columns": [str(c) for c in t.columns],
                "rows": [
                    {"key": row[0], "label": str(row[1]), "values": list(row[2:])} for row in t.rows
                ],  # fmt: skip
            }
            for t in tables
        },
    }


def csv_rows(table):
    """A table as CSV rows: its headers, then a row per line (the key, for machines, first)."""
    yield [str(_l("Code")), *(str(c) for c in table.columns)]
    for row in table.rows:
        yield [row[0], str(row[1]), *row[2:]]
