"""Risk indicators: the structured indicators of a risk-indicator document (encrypted in the
database), their review dates, their links to conventions, HS codes and case studies, and the
officers' list and filters.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casebank import codes
from casebank.extensions import db
from casebank.models import CaseStudy, Convention, Document, HSCode, RiskIndicator
from casebank.models.vocab import DocumentKind, IndicatorCategory, WorkflowStatus
from casebank.services import catalogue, documents
from casebank.storage import file_store


class RiskIndicatorInvalid(ValueError):
    """Field errors: {field name: [message, ...]}, shown beside the form's fields."""

    def __init__(self, errors):
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


@dataclass
class RiskIndicatorData:
    """What an editor gives for a risk indicator, before it is checked against the database."""

    indicators: list[dict]
    last_reviewed_date: date
    review_due_date: date
    conventions: list[str] = field(default_factory=list)
    hs_codes: list[str] = field(default_factory=list)
    case_references: list[str] = field(default_factory=list)


# The indicators as text: one per line, "category: indicator".
def parse_indicators(text):
    """[{category, indicator}] from lines 'category: indicator'; RiskIndicatorInvalid names
    the lines it cannot read."""
    by_name = {c.value: c for c in IndicatorCategory}
    by_name.update({c.label.lower(): c for c in IndicatorCategory})
    items, errors = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, _colon, indicator = line.partition(":")
        category = by_name.get(name.strip().lower())
        if category is None or not indicator.strip():
            errors.append(number)
            continue
        items.append({"category": category.value, "indicator": indicator.strip()})
    if errors:
        categories = ", ".join(c.value for c in IndicatorCategory)
        raise RiskIndicatorInvalid({"indicators": [
            _("Line %(line)s: write “category: indicator”, the category one of %(categories)s.",
              line=number, categories=categories)
            for number in errors
        ]})  # fmt: skip
    if not items:
        raise RiskIndicatorInvalid({"indicators": [_("Give at least one indicator.")]})
    return items


def indicators_text(items):
    return "\n".join(f"{item['category']}: {item['indicator']}" for item in items)


def grouped(items):
    """[(category, [indicator, ...])] in the vocabulary's order, empty categories left out."""
    return [
        (category, [i["indicator"] for i in items if i["category"] == category.value])
        for category in IndicatorCategory
        if any(i["category"] == category.value for i in items)
    ]


def sheet_text(title, data):
    """A plain-text sheet of the indicators, stored as the document's file."""
    lines = [title, "=" * len(title), ""]
    for category, indicators in grouped(data.indicators):
        lines += [category.label, *(f"- {text}" for text in indicators), ""]
    lines.append(f"Last reviewed {data.last_reviewed_date}; review due {data.review_due_date}.")
    return "\n".join(lines) + "\n"


def sheet_name(title):
    slug = "-".join(re.findall(r"[a-z0-9]+", title.lower()))[:80]
    return f"{slug or 'risk-indicators'}.txt"


def validate(data):
    """The conventions, HS codes and case studies data names; RiskIndicatorInvalid if any is
    unknown or the review dates are the wrong way round."""
    errors = {}
    if data.review_due_date < data.last_reviewed_date:
        errors["review_due_date"] = [_("The review due date cannot be before the last review.")]
    conventions = found(Convention, Convention.code, data.conventions, "conventions", errors)
    hs_codes = [codes.normalise_hs_code(c) or c for c in data.hs_codes]
    hs = found(HSCode, HSCode.code, hs_codes, "hs_codes", errors)
    cases = found(CaseStudy, CaseStudy.reference, data.case_references, "case_references", errors)
    if errors:
        raise RiskIndicatorInvalid(errors)
    return conventions, hs, cases


def found(model, column, values, name, errors):
    values = list(dict.fromkeys(values))
    rows = list(db.session.scalars(select(model).where(column.in_(values)))) if values else []
    unknown = set(values) - {getattr(row, column.key) for row in rows}
    if unknown:
        errors[name] = [_("Not known: %(values)s.", values=", ".join(sorted(unknown)))]
    return rows


def save(document, data):
    """Create or update the risk indicator of document (flushed first, so it has an id)."""
    conventions, hs_codes, cases = validate(data)
    risk = document.risk_indicator or RiskIndicator(id=document.id, document=document)
    risk.last_reviewed_date = data.last_reviewed_date
    risk.review_due_date = data.review_due_date
    risk.conventions, risk.hs_codes, risk.case_studies = conventions, hs_codes, cases
    risk.indicators = data.indicators
    db.session.add(risk)
    db.session.flush()
    return risk


def create_with_sheet(fields, data, user=None):
    """A risk-indicator document whose file is a text sheet written from data (used when an
    editor gives no file, and by the demo data); sealed like any restricted upload."""
    return create_document(fields, b"", "", user, data)


# What officers see: published risk-indicator documents, through documents.visible_documents.
def visible(audience=documents.OFFICER):
    return documents.visible_documents(audience).join(Document.risk_indicator)


@dataclass
class RiskIndicatorFilters:
    convention: str | None = None
    hs: str | None = None
    overdue: bool = False
    text: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args):
        filters = cls(text=(args.get("q") or "").strip()[:100], overdue=bool(args.get("overdue")))
        convention = (args.get("convention") or "").strip().upper()
        if convention and db.session.scalar(select(Convention.id).filter_by(code=convention)):
            filters.convention = convention
        elif convention:
            filters.errors.append(catalogue.filter_ignored(_l("Convention"), convention))
        hs = (args.get("hs") or "").strip()
        filters.hs = codes.hs_prefix(hs) if hs else None
        if hs and not filters.hs:
            filters.errors.append(catalogue.filter_ignored(_l("HS code or prefix"), hs))
        return filters

    def apply(self, query):
        if self.convention:
            query = query.where(RiskIndicator.conventions.any(Convention.code == self.convention))
        if self.hs:
            query = query.where(
                RiskIndicator.hs_codes.any(HSCode.code.startswith(self.hs, autoescape=True))
            )
        if self.overdue:
            query = query.where(RiskIndicator.review_due_date < date.today())
        return query


def list_risk_indicators(filters, audience=documents.OFFICER):
    found = db.session.scalars(filters.apply(visible(audience)))
    return documents.by_title(documents.title_matches(found, filters.text))


def get_risk_indicator(document_id, audience=documents.OFFICER):
    return db.session.scalar(visible(audience).where(Document.id == document_id))


def for_case(case, audience=documents.OFFICER):
    """The risk indicators linked to a case study (the other side of the link)."""
    query = visible(audience).where(RiskIndicator.case_studies.any(CaseStudy.id == case.id))
    return documents.by_title(db.session.scalars(query))


def linked_cases(risk):
    """Linked case studies an officer can open: the published ones."""
    return [c for c in risk.case_studies if c.status == WorkflowStatus.PUBLISHED]


def create_document(fields, data, filename, user=None, risk_data=None):
    """A document from an upload, with its risk indicator when risk_data is given; a risk
    indicator without a file gets a text sheet. Everything is checked before the file is
    written, and the file is removed again if the database refuses the rows."""
    if risk_data is None:
        return documents.create_document(fields, data, filename, user)
    validate(risk_data)  # before anything is written to the store
    fields = {**fields, "kind": DocumentKind.RISK_INDICATOR}
    if not data:
        data, filename = (
            sheet_text(fields["title"], risk_data).encode(),
            sheet_name(fields["title"]),
        )
    document = documents.create_document(fields, data, filename, user)
    try:
        save(document, risk_data)
    except Exception:
        file_store().remove(document.stored_name)
        raise
    return document
