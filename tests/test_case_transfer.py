"""Import and export: the demo file is accepted, broken files are rejected whole, with every
error named by row and field, and an export imports back to the same case studies."""

import io
import json

import pytest
from sqlalchemy import func, select

from casebank.models import CaseStudy
from casebank.services.case_transfer import (
    ImportRejected,
    export_records,
    import_cases,
    read_records,
    write_records,
)
from casebank.services.demo import demo_case_records
from tests.factories import case_record


def count_cases(db):
    return db.session.scalar(select(func.count()).select_from(CaseStudy))


def test_demo_file_is_accepted_and_already_loaded(db):
    records = demo_case_records()
    result = import_cases(records)
    assert result.created == 0 and result.updated == len(records)


BAD_VALUES = [
    ("seizure_date", "2999-01-01", "cannot be in the future"),
    ("seizure_date", "31/12/2020", "Not a valid date"),
    ("quantity", "-5", "greater than or equal to 0"),
    ("estimated_value", "-1", "greater than or equal to 0"),
    ("country", "XX", "not an ISO 3166-1 alpha-2"),
    ("destination_countries", ["VN", "ZZ"], "'ZZ' is not an ISO 3166-1"),
    ("value_currency", "DOLLARS", "not an ISO 4217"),
    ("hs_codes", ["29031"], "Not an HS heading or subheading"),
    ("hs_codes", ["9999.99"], "Unknown HS codes: 9999.99"),
    ("conventions", ["NOPE"], "Unknown conventions: NOPE"),
    ("conventions", [], "Choose at least one convention."),
    ("source_urls", ["javascript:alert(1)"], "Not a valid URL"),
    ("cas_number", "75-45-7", "not a valid CAS number"),
    ("ashrae_number", "freon", "not an ASHRAE number"),
    ("detection_method", "psychic", "Must be one of"),
    ("access_level", "secret", "Must be one of"),
    ("partner", "NOBODY", "Unknown partner"),
    ("custodial_months", -3, "greater than or equal to 0"),
    ("title", "", "Missing data for required field"),
    ("reference", "lower case", "capital letters"),
    ("unexpected_column", "x", "Unknown field"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES)
def test_bad_value_rejects_the_whole_file_and_names_row_and_field(db, field, value, message):
    before = count_cases(db)
    good, bad = case_record(), case_record(**{field: value})
    with pytest.raises(ImportRejected) as rejected:
        import_cases([good, bad])
    errors = [str(e) for e in rejected.value.errors]
    assert any(e.startswith(f"row 2, {field}") and message in e for e in errors), errors
    assert count_cases(db) == before


def test_all_errors_are_listed_not_just_the_first(db):
    records = [case_record(country="XX"), case_record(quantity="-1", seizure_date="2999-01-01")]
    with pytest.raises(ImportRejected) as rejected:
        import_cases(records)
    fields = {(e.row, e.field) for e in rejected.value.errors}
    assert fields == {(1, "country"), (2, "quantity"), (2, "seizure_date")}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity_unit": None}, "quantity_unit"),
        ({"value_currency": None}, "value_currency"),
        ({"fine_amount": "500"}, "fine_amount"),  # with prosecution_status none
        ({"prosecution_status": "convicted", "fine_amount": "500"}, "fine_currency"),
        ({"species_scientific_name": None}, "cites_appendix"),
        (
            {"prosecution_status": "convicted", "decision_date": "2020-01-01"},
            "decision_date",
        ),
    ],
)
def test_inconsistent_records_are_rejected(db, overrides, field):
    with pytest.raises(ImportRejected) as rejected:
        import_cases([case_record(**overrides)])
    assert field in {e.field for e in rejected.value.errors}


def test_duplicate_reference_in_one_file_is_rejected(db):
    with pytest.raises(ImportRejected) as rejected:
        import_cases([case_record(reference="DUP-1"), case_record(reference="DUP-1")])
    assert [str(e) for e in rejected.value.errors] == [
        "row 2, reference: Duplicate of row 1 in this file."
    ]


def test_import_normalises_what_people_type(db):
    import_cases([case_record(reference="NORM-1", country=" ke ", hs_codes=["050710"])])
    case = db.session.scalar(select(CaseStudy).filter_by(reference="NORM-1"))
    assert case.country == "KE"
    assert [h.code for h in case.hs_codes] == ["0507.10"]


def test_import_updates_a_known_reference(db):
    import_cases([case_record(reference="UPD-1", title="First title")])
    result = import_cases([case_record(reference="UPD-1", title="Second title")])
    assert (result.created, result.updated) == (0, 1)
    case = db.session.scalar(select(CaseStudy).filter_by(reference="UPD-1"))
    assert case.title == "Second title"


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_then_import_round_trips(db, fmt):
    exported = export_records()
    stream = io.StringIO()
    write_records(exported, stream, fmt)
    stream.seek(0)
    # Wipe, then import the export: the database must hold the same records again.
    db.session.execute(CaseStudy.__table__.delete())
    db.session.expunge_all()
    assert count_cases(db) == 0
    result = import_cases(read_records(stream, fmt))
    assert result.created == len(exported)
    assert export_records() == exported


def test_public_export_leaves_out_restricted_cases_and_notes(db):
    records = export_records(public_only=True)
    demo = demo_case_records()
    public = {r["reference"] for r in demo if r["access_level"] == "public"}
    assert {r["reference"] for r in records} == public
    assert all("restricted_notes" not in r for r in records)


def test_non_json_file_is_rejected_with_a_message():
    with pytest.raises(ImportRejected) as rejected:
        read_records(io.StringIO("{not json"), "json")
    assert "Not valid JSON" in str(rejected.value.errors[0])


def test_cli_import_lists_errors_and_writes_nothing(db, runner, tmp_path):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([case_record(), case_record(country="XX", quantity="-2")]))
    before = count_cases(db)
    result = runner.invoke(args=["casebank", "import", str(path)])
    assert result.exit_code == 1
    assert "row 2, country: 'XX' is not an ISO 3166-1 alpha-2 country code." in result.output
    assert "row 2, quantity" in result.output
    assert "nothing was imported" in result.output
    assert count_cases(db) == before


def test_cli_export_then_import_csv(db, runner, tmp_path):
    path = tmp_path / "cases.csv"
    exported = runner.invoke(args=["casebank", "export", "--format", "csv", "-o", str(path)])
    assert exported.exit_code == 0, exported.output
    imported = runner.invoke(args=["casebank", "import", str(path)])
    assert imported.exit_code == 0, imported.output
    assert f"0 created, {count_cases(db)} updated" in imported.output
