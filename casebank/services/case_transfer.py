"""Import and export of case studies as JSON or CSV files.

An import is all or nothing: every record is validated first, every error is reported by row
and field, and only a file without errors is written. Export writes exactly what import
accepts, so an export imported again gives the same case studies.
"""

import csv
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from marshmallow import ValidationError
from sqlalchemy import select

from casebank.auth.audit_trail import acting_user, audit_request
from casebank.extensions import db
from casebank.models import CaseStudy
from casebank.models.case_study import utc_now
from casebank.models.vocab import AccessLevel, WorkflowStatus
from casebank.schemas.case_study import (
    CASE_FIELDS,
    CSV_LIST_SEPARATOR,
    LIST_FIELDS,
    PUBLIC_CASE_FIELDS,
    CaseStudySchema,
)
from casebank.services import audit
from casebank.services.cases.editing import (
    case_record,
    known_codes,
    reference_errors,
    write_record,
)
from casebank.services.cases.workflow import import_status

FORMATS = ("json", "csv")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def __str__(self):
        return f"row {self.row}, {self.field}: {self.message}"


class ImportRejected(Exception):
    """The file had errors; nothing was written."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} error(s); nothing was imported")
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0


def no_progress(items, label=None):
    return items


def format_of(path, explicit=None):
    fmt = (explicit or Path(path).suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ImportRejected([RowError(0, "file", f"Unknown format {fmt!r}; use .json or .csv.")])
    return fmt


def read_records(stream, fmt):
    """The raw records of a JSON or CSV file, unvalidated."""
    if fmt == "csv":
        return list(csv.DictReader(stream))
    try:
        # Decimals straight from the text, so 0.1 stays 0.1 and amounts round-trip exactly.
        records = json.load(stream, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise ImportRejected([RowError(0, "file", f"Not valid JSON: {error}")]) from error
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ImportRejected([RowError(0, "file", "Expected a JSON array of objects.")])
    return records


def validate_records(records, progress=no_progress):
    """Validate every record: the cleaned records, or ImportRejected listing every error."""
    schema = CaseStudySchema()
    known = known_codes()
    cleaned, errors, seen = [], [], {}
    for row, record in enumerate(progress(records, "Validating"), start=1):
        try:
            data = schema.load(record)
        except ValidationError as error:
            errors.extend(row_errors(row, error.messages))
            continue
        errors.extend(reference_row_errors(row, data, known))
        if data["reference"] in seen:
            message = f"Duplicate of row {seen[data['reference']]} in this file."
            errors.append(RowError(row, "reference", message))
        seen.setdefault(data["reference"], row)
        cleaned.append(data)
    if errors:
        raise ImportRejected(errors)
    return cleaned


def reference_row_errors(row, data, known):
    return [
        RowError(row, field, message)
        for field, messages in reference_errors(data, known).items()
        for message in messages
    ]


def row_errors(row, messages, prefix=""):
    """Flatten marshmallow's nested messages into one RowError per field and message."""
    errors = []
    for key, value in messages.items():
        field = f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}{key}"
        if isinstance(value, dict):
            errors.extend(row_errors(row, value, field))
        else:
            errors.extend(RowError(row, field, message) for message in value)
    return errors


def import_cases(records, progress=no_progress):
    """Validate then write all records (create new references, update known ones), each save
    kept as a revision like a save from the web. Flushes only."""
    cleaned = validate_records(records, progress)
    result, published = ImportResult(), []
    actor = acting_user()
    for data in progress(cleaned, "Writing"):
        case = db.session.scalar(select(CaseStudy).filter_by(reference=data["reference"]))
        if case is None:
            case = CaseStudy(version=0)
            db.session.add(case)
            result.created += 1
        else:
            result.updated += 1
        was_published = case.status == WorkflowStatus.PUBLISHED
        write_record(case, data, actor, note="Imported.")
        import_status(case, data["status"])
        case.published_at = data["published_at"]
        if case.status == WorkflowStatus.PUBLISHED and case.published_at is None:
            case.published_at = utc_now()
        if case.status == WorkflowStatus.PUBLISHED and not was_published:
            published.append(case)
    db.session.flush()
    for case in published:
        audit_request("case.published", target=case, actor=actor or audit.SYSTEM, via="import")
    return result


def export_records(public_only=False, progress=no_progress):
    """Every case study (or only what the public may read) as records in the import format."""
    query = select(CaseStudy).order_by(CaseStudy.reference)
    fields = CASE_FIELDS
    if public_only:
        query = query.filter_by(status=WorkflowStatus.PUBLISHED, access_level=AccessLevel.PUBLIC)
        fields = PUBLIC_CASE_FIELDS
    schema = CaseStudySchema(only=fields)
    return [schema.dump(case_record(c)) for c in progress(db.session.scalars(query), "Exporting")]


def write_records(records, stream, fmt):
    if fmt == "json":
        json.dump(records, stream, indent=2, ensure_ascii=False, default=json_number)
        stream.write("\n")
        return
    fields = list(records[0]) if records else list(CASE_FIELDS)
    writer = csv.DictWriter(stream, fieldnames=fields)
    writer.writeheader()
    writer.writerows(csv_row(r) for r in records)


def csv_row(record):
    return {
        k: CSV_LIST_SEPARATOR.join(v) if k in LIST_FIELDS else ("" if v is None else v)
        for k, v in record.items()
    }


def json_number(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
