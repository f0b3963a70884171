"""A partner's submission: the personal-data check of what the public will read, then the
workflow's submit transition."""

from casebank.services.cases import workflow
from casebank.services.cases.editing import revision_record
from casebank.services.cases.personal_data import check_case


def personal_data_findings(case):
    """{field: [Finding]} for the public fields that look personal ({} when none do)."""
    return check_case(revision_record(case))


def submit(case, user, confirmed=False):
    """Submit case for review; returns the personal-data findings instead when there are some
    and the submitter has not yet confirmed them ({} once submitted)."""
    findings = {} if confirmed else personal_data_findings(case)
    if findings:
        return findings
    workflow.apply(case, "submit", user)
    return {}
