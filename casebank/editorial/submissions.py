"""From an editorial form to the documents and risk-indicator services and back: what the
services refuse becomes a message beside the field, and the form keeps what was typed."""

from flask_babel import gettext as _
from sqlalchemy import select

from casebank.editorial.forms import split_codes
from casebank.extensions import db
from casebank.models import CaseStudy
from casebank.models.vocab import DocumentKind
from casebank.services import documents, risk_indicators
from casebank.services.catalogue import all_conventions
from casebank.services.risk_indicators import RiskIndicatorData, RiskIndicatorInvalid


def create(form, user):
    """The new document, or None with the form's fields carrying the errors."""
    try:
        fields = {
            **form.metadata(),
            "case_study": case_of(form),
            "conventions": conventions_of(form),
        }
        risk = risk_data(form)
        upload = form.file.data
        if not upload and risk is None:
            form.file.errors.append(_("Choose a file to upload."))
            return None
        data = upload.read() if upload else b""
        filename = upload.filename if upload else ""
        return risk_indicators.create_document(fields, data, filename, user, risk)
    except documents.UploadRejected as error:
        form.file.errors.append(str(error))
    except RiskIndicatorInvalid as error:
        show(form, error.errors)
    return None


def update(document, form):
    """Save the form onto document; False with the form's fields carrying the errors."""
    try:
        fields = {
            **form.metadata(),
            "case_study": case_of(form),
            "conventions": conventions_of(form),
        }
        risk = risk_data(form)
        if risk is not None:
            risk_indicators.validate(risk)
        documents.update_document(document, fields)
        if risk is not None:
            risk_indicators.save(document, risk)
        elif document.risk_indicator is not None:
            document.risk_indicator = None  # no longer a risk indicator: drop its details
            db.session.flush()
    except RiskIndicatorInvalid as error:
        show(form, error.errors)
        return False
    return True


def conventions_of(form):
    codes = set(form.document_conventions.data or [])
    return [c for c in all_conventions() if c.code in codes]


def case_of(form):
    reference = (form.case_reference.data or "").strip()
    if not reference:
        return None
    case = db.session.scalar(select(CaseStudy).filter_by(reference=reference))
    if case is None:
        raise RiskIndicatorInvalid(
            {"case_reference": [_("No case study %(reference)s.", reference=repr(reference))]}
        )
    return case


def risk_data(form):
    if form.kind.data != DocumentKind.RISK_INDICATOR:
        return None
    return RiskIndicatorData(
        indicators=risk_indicators.parse_indicators(form.indicators.data),
        last_reviewed_date=form.last_reviewed_date.data,
        review_due_date=form.review_due_date.data,
        conventions=list(form.conventions.data or []),
        hs_codes=split_codes(form.hs_codes.data),
        case_references=split_codes(form.case_references.data),
    )


def show(form, errors):
    for name, messages in errors.items():
        form[name].errors = [*form[name].errors, *messages]


def form_data(document):
    """The form's initial values for an existing document."""
    data = {
        "title": document.title,
        "kind": document.kind.value,
        "access_level": document.access_level.value,
        "language": document.language.value,
        "description": document.description,
        "case_reference": document.case_study.reference if document.case_study else "",
        "document_conventions": [c.code for c in document.conventions],
    }
    risk = document.risk_indicator
    if risk is not None:
        data.update(
            conventions=[c.code for c in risk.conventions],
            hs_codes=" ".join(h.code for h in risk.hs_codes),
            indicators=risk_indicators.indicators_text(risk.indicators),
            last_reviewed_date=risk.last_reviewed_date,
            review_due_date=risk.review_due_date,
            case_references=" ".join(c.reference for c in risk.case_studies),
        )
    return data
