"""Loading the shipped reference data (conventions, HS codes) and partner organisations.

Every loader is an upsert keyed on the natural code, so running it again changes nothing and
running it after an update of the shipped files brings the database up to date.
"""

import json
from importlib import resources

from sqlalchemy import select

from casebank.extensions import db
from casebank.models import Convention, HSCode, Partner


def shipped_file(*parts):
    """The bytes of a file shipped in casebank/data."""
    return resources.files("casebank").joinpath("data", *parts).read_bytes()


def shipped_json(*parts):
    return json.loads(shipped_file(*parts).decode("utf-8"))


def upsert(model, key, record):
    row = db.session.scalar(select(model).filter_by(**{key: record[key]}))
    if row is None:
        row = model()
        db.session.add(row)
    for field, value in record.items():
        setattr(row, field, value)
    return row


def load_conventions(records=None):
    records = records if records is not None else shipped_json("conventions.json")
    for order, record in enumerate(records):
        upsert(Convention, "code", {**record, "sort_order": order})
    db.session.flush()
    return len(records)


def load_hs_codes(records=None):
    records = records if records is not None else shipped_json("hs_codes.json")
    conventions = {c.code: c for c in db.session.scalars(select(Convention))}
    for record in records:
        linked = [conventions[code] for code in record.get("conventions", [])]
        upsert(HSCode, "code", {**record, "conventions": linked})
    db.session.flush()
    return len(records)


def load_reference():
    """Conventions, then the HS codes that point to them."""
    return {"conventions": load_conventions(), "hs_codes": load_hs_codes()}


def load_partners(records=None):
    records = records if records is not None else shipped_json("demo", "partners.json")
    for record in records:
        upsert(Partner, "acronym", record)
    db.session.flush()
    return len(records)
