"""The domain model; importing this package registers every table on db.metadata."""

from casebank.models.case_study import CaseStudy, case_study_conventions, case_study_hs_codes
from casebank.models.index_outbox import IndexOutbox
from casebank.models.partner import Partner
from casebank.models.reference import Convention, HSCode, hs_code_conventions

__all__ = [
    "CaseStudy",
    "Convention",
    "HSCode",
    "IndexOutbox",
    "Partner",
    "case_study_conventions",
    "case_study_hs_codes",
    "hs_code_conventions",
]
