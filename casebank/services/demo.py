"""The demo case bank: partners and case studies written from public reports."""

from sqlalchemy import func, select

from casebank.extensions import db
from casebank.models import CaseStudy
from casebank.services.case_transfer import import_cases, no_progress
from casebank.services.reference_data import load_partners, load_reference, shipped_json


def demo_case_records():
    return shipped_json("demo", "case_studies.json")


def has_case_studies():
    return db.session.scalar(select(func.count()).select_from(CaseStudy)) > 0


def load_demo(progress=no_progress):
    """Reference data, partners and the demo case studies, through the normal import path."""
    load_reference()
    load_partners()
    return import_cases(demo_case_records(), progress)
