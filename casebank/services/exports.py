"""Exports of exactly what a case list or a search shows, every page of it, streamed as CSV or
JSON. Which fields go out is the schema's declaration (PUBLIC_CASE_FIELDS, or
RESTRICTED_CASE_FIELDS for officers); CSV cells pass through csv_cells."""

import csv
import io
import json
from decimal import Decimal

from sqlalchemy.orm import selectinload

from casebank.csv_cells import csv_row
from casebank.extensions import db
from casebank.models import CaseStudy
from casebank.schemas.case_study import (
    CSV_LIST_SEPARATOR,
    PUBLIC_CASE_FIELDS,
    RESTRICTED_CASE_FIELDS,
    CaseStudySchema,
)
from casebank.services import catalogue
from casebank.services.case_transfer import case_record

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
CHUNK = 200  # case studies loaded per query while streaming
# A search may find documents as well as case studies: their rows hold these columns.
HIT_COLUMNS = ("kind", "url")
DOCUMENT_FIELDS = ("reference", "title", "summary")


def case_fields(officer):
    return RESTRICTED_CASE_FIELDS if officer else PUBLIC_CASE_FIELDS


def listed_references(filters, officer):
    """The references of every case study the case list shows for these filters, in order."""
    query = catalogue.listed_cases(filters, officer).with_only_columns(CaseStudy.reference)
    return list(db.session.scalars(query))


def case_records(references, officer):
    """The records of these case studies (those visible to this audience), in the given order,
    loaded CHUNK at a time, with the schema's fields for the audience."""
    schema = CaseStudySchema(only=case_fields(officer))
    for start in range(0, len(references), CHUNK):
        chunk = references[start : start + CHUNK]
        query = (
            catalogue.visible_cases(officer)
            .where(CaseStudy.reference.in_(chunk))
            .options(
                selectinload(CaseStudy.conventions),
                selectinload(CaseStudy.hs_codes),
                selectinload(CaseStudy.partner),
            )
        )
        found = {case.reference: case for case in db.session.scalars(query)}
        for reference in chunk:
            if reference in found:
                yield schema.dump(case_record(found[reference]))


def search_rows(hits, officer, url_of):
    """Rows for a search's hits, in order: a case study's record, a document's title and link.
    url_of(stored fields) gives a hit's address."""
    cases = [hit["reference"] for hit in hits if hit["kind"] == "case"]
    records = iter(case_records(cases, officer))
    loaded = {}
    for hit in hits:
        if hit["kind"] == "case":
            while hit["reference"] not in loaded:
                record = next(records, None)
                if record is None:
                    break
                loaded[record["reference"]] = record
            record = loaded.pop(hit["reference"], None)
            if record is not None:
                yield {"kind": "case", "url": url_of(hit), **record}
        else:
            fields = {name: hit.get(name) for name in DOCUMENT_FIELDS}
            yield {"kind": hit["kind"], "url": url_of(hit), **fields}


def as_csv(rows, columns):
    """CSV text, a line at a time: a header of field names, then one row per record (lists in
    one cell, CSV_LIST_SEPARATOR between items; formula-like cells neutralised)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flushed():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(columns)
    yield flushed()
    for row in rows:
        writer.writerow(csv_row(cell_text(row.get(name)) for name in columns))
        yield flushed()


def cell_text(value):
    if isinstance(value, list):
        return CSV_LIST_SEPARATOR.join(map(str, value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def as_json(rows):
    """A JSON array, a record at a time."""
    yield "["
    for number, row in enumerate(rows):
        yield ("," if number else "") + "\n" + json.dumps(row, ensure_ascii=False, default=str)
    yield "\n]\n"


def render(rows, columns, fmt):
    return as_csv(rows, columns) if fmt == "csv" else as_json(rows)
