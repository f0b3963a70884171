"""Award rounds for tests, built through the award services (the editors' own path)."""

from datetime import date, timedelta

from casebank.extensions import db
from casebank.services.awards import nominations, rounds
from tests.factories import make_case, role_user

JUDGES = ("judge@casebank.example.org", "editor@casebank.example.org", "admin@casebank.example.org")
CRITERIA = "3 | Impact | What it stopped\n1 | Cooperation | Between agencies"


def round_data(**overrides):
    today = date.today()
    data = {
        "year": today.year, "title": "Test award", "description": "", "rules": "",
        "nominations_open_date": today, "nominations_close_date": today,
        "judging_open_date": today, "judging_close_date": today + timedelta(days=30),
        "eligible_from_date": today - timedelta(days=3650), "eligible_to_date": today,
        "max_nominations_per_partner": 2, "criteria": CRITERIA,
        "judges": "\n".join(JUDGES),
    }  # fmt: skip
    data.update(overrides)
    return data


def open_round(**overrides):
    editor = role_user("editor")
    award_round = rounds.save_round(None, round_data(**overrides), editor)
    rounds.apply(award_round, "open_nominations", editor)
    return award_round


def nomination_data(case, **overrides):
    data = {
        "case_reference": case.reference, "citation": "Exemplary work.",
        "administration": "Kenya Revenue Authority", "unit": "Mombasa scanning",
        "named_officers": "", "officers_consent": False,
    }  # fmt: skip
    data.update(overrides)
    return data


def judging_round(cases=1, **overrides):
    """A round in judging with `cases` nominations by the editor; (round, first nomination)."""
    award_round = open_round(**overrides)
    editor = role_user("editor")
    made = [nominations.nominate(award_round, nomination_data(make_case()), editor)
            for _ in range(cases)]  # fmt: skip
    rounds.apply(award_round, "start_judging", editor)
    db.session.flush()
    return award_round, made[0]
