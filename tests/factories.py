"""Valid objects in one line, built through the same import path the application uses."""

import itertools

from flask import current_app

from casebank.extensions import db
from casebank.models import CaseStudy, Partner
from casebank.services.accounts import create_user, find_user
from casebank.services.case_transfer import import_cases
from casebank.services.cases import workflow
from tests.auth_actions import PASSWORD, ROLE_USERS, enrol_authenticator

_numbers = itertools.count(1)


def case_record(**overrides):
    """A valid case-study record in the import format; override any field."""
    record = {
        "reference": f"TEST-{next(_numbers):05d}",
        "title": "Ivory tusks found in a timber container at Mombasa",
        "summary": "Customs officers found ivory tusks hidden behind sawn timber.",
        "narrative": "A container declared as sawn timber was scanned.\n\nTusks lay behind it.",
        "seizure_date": "2021-03-04",
        "country": "KE",
        "place": "Port of Mombasa",
        "facility_type": "seaport",
        "point": "export",
        "transport_mode": "sea",
        "conventions": ["CITES"],
        "hs_codes": ["0507.10"],
        "commodity_category": "animal_products",
        "species_scientific_name": "Loxodonta africana",
        "species_common_name": "African savanna elephant",
        "cites_appendix": "I",
        "quantity": "120.5",
        "quantity_unit": "kg",
        "estimated_value": "150000",
        "value_currency": "USD",
        "origin_countries": ["UG"],
        "transit_countries": [],
        "destination_countries": ["VN"],
        "detection_method": "xray_scanning",
        "agencies": ["Kenya Revenue Authority"],
        "prosecution_status": "none",
        "lessons_learned": "Scan timber exports to Asia.",
        "source_urls": ["https://example.org/report"],
        "access_level": "public",
        "status": "published",
    }
    record.update(overrides)
    return record


def make_case(**overrides):
    """A case study in the database (flushed, inside the test's transaction)."""
    record = case_record(**overrides)
    import_cases([record])
    return db.session.scalar(db.select(CaseStudy).filter_by(reference=record["reference"]))


def role_user(role):
    return find_user(ROLE_USERS[role][0])


def move_case(case, *transitions, user=None, reason="Because.", access_level="public_with_notes"):
    """Walk case through the workflow's transitions (as the test editor unless told)."""
    user = user or role_user("editor")
    for name in transitions:
        workflow.apply(case, name, user, reason=reason, access_level=access_level)
    return case


def partner_named(acronym):
    return db.session.scalar(db.select(Partner).filter_by(acronym=acronym))


def join_partner(acronym, user=None):
    """Make the test partner user (or user) a member of the partner organisation `acronym`."""
    user = user or role_user("partner")
    user.partner = partner_named(acronym)
    db.session.flush()
    return user


def make_partner_user(email, acronym=None):
    """Another partner account, its authenticator enrolled, in organisation `acronym` (or in
    none)."""
    user = create_user(email, ["partner"], password=PASSWORD, name=email.split("@")[0])
    enrol_authenticator(current_app, user)
    if acronym:
        join_partner(acronym, user)
    return user


def canary_cases(notes_word, case_word):
    """A public case study whose restricted notes hold notes_word, and a restricted one whose
    text holds case_word (and notes_word in its notes): what only officers may ever read."""
    public = make_case(restricted_notes=f"Routing through {notes_word}.")
    restricted = make_case(
        access_level="restricted",
        title=f"Seizure {case_word}",
        narrative=f"The {case_word} consignment.",
        restricted_notes=f"Officer notes {notes_word}.",
    )
    return public, restricted
