"""A partner's submission: the personal-data check of what the public will read, then the
workflow's submit transition."""

from casebank.services.cases import workflow
from casebank.services.cases.editing import public_text


def check_public_text(fields):
    """The personal-data check: {field: [finding, ...]} for fields whose text (a dict of field
    name -> text, the fields the public will read) names persons, ID numbers, phones, e-mail
    addresses or vehicle plates. This is the hook for
    casebank.services.cases.personal_data.find_personal_data (built separately): until it is
    wired in here, nothing is found."""
    return {}


def personal_data_findings(case):
    return check_public_text(public_text(case))


def submit(case, user, confirmed=False):
    """Submit case for review; returns the personal-data findings instead when there are some
    and the submitter has not yet confirmed them ({} once submitted)."""
    findings = {} if confirmed else personal_data_findings(case)
    if findings:
        return findings
    workflow.apply(case, "submit", user)
    return {}
