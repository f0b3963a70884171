"""The domain model; importing this package registers every table on db.metadata."""

from casebank.models.api_token import ApiToken
from casebank.models.audit import AuditEvent
from casebank.models.award import (
    AwardCriterion,
    AwardRound,
    ConflictDeclaration,
    Nomination,
    Score,
    award_round_judges,
)
from casebank.models.case_history import CaseMessage, CaseRevision
from casebank.models.case_study import CaseStudy, case_study_conventions, case_study_hs_codes
from casebank.models.content_generation import ContentGeneration
from casebank.models.document import (
    Document,
    DocumentVersion,
    RiskIndicator,
    document_conventions,
    risk_indicator_case_studies,
    risk_indicator_conventions,
    risk_indicator_hs_codes,
)
from casebank.models.feedback import Feedback
from casebank.models.index_outbox import IndexOutbox, IndexPosition
from casebank.models.partner import Partner
from casebank.models.reference import Convention, HSCode, hs_code_conventions
from casebank.models.saved_search import SavedSearch
from casebank.models.user import AccessRequest, LoginThrottle, Role, RoleName, User, roles_users
from casebank.models.user_session import StoredSession, UserSession

__all__ = [
    "AccessRequest",
    "ApiToken",
    "AuditEvent",
    "AwardCriterion",
    "AwardRound",
    "ConflictDeclaration",
    "Nomination",
    "Score",
    "award_round_judges",
    "CaseMessage",
    "CaseRevision",
    "CaseStudy",
    "ContentGeneration",
    "Document",
    "DocumentVersion",
    "Feedback",
    "RiskIndicator",
    "document_conventions",
    "risk_indicator_case_studies",
    "risk_indicator_conventions",
    "risk_indicator_hs_codes",
    "Role",
    "LoginThrottle",
    "RoleName",
    "User",
    "UserSession",
    "StoredSession",
    "roles_users",
    "Convention",
    "HSCode",
    "IndexOutbox",
    "IndexPosition",
    "Partner",
    "SavedSearch",
    "case_study_conventions",
    "case_study_hs_codes",
    "hs_code_conventions",
]
