"""The editors' queue of case studies: filtered by status, convention, partner and age, counted
per status; claiming and assigning a case to an editor. And a partner's own list."""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from casebank.auth import permissions
from casebank.auth.audit_trail import audit_request
from casebank.extensions import db
from casebank.models import CaseStudy, Convention, Partner, Role, User
from casebank.models.case_study import utc_now
from casebank.models.vocab import RoleName, WorkflowStatus
from casebank.services import catalogue

log = logging.getLogger(__name__)
AGES = {"7": _l("Over a week"), "30": _l("Over a month"), "90": _l("Over three months")}
# The filters' names as the queue's form labels them (for the notice that one was ignored).
FILTER_LABELS = {
    "status": _l("Status"),
    "convention": _l("Convention"),
    "partner": _l("Partner"),
    "older_than": _l("Untouched for"),
}
# The queue's default: what waits for an editor.
WAITING = (WorkflowStatus.SUBMITTED, WorkflowStatus.IN_REVIEW)


@dataclass
class QueueFilters:
    status: str | None = None
    convention: str | None = None
    partner: str | None = None
    older_than: str | None = None
    mine: bool = False
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args):
        filters = cls(mine=args.get("mine") == "1")
        known = {
            "status": set(WorkflowStatus._value2member_map_) | {"all"},
            "convention": set(db.session.scalars(select(Convention.code))),
            "partner": set(db.session.scalars(select(Partner.acronym))),
            "older_than": set(AGES),
        }
        for name, values in known.items():
            value = (args.get(name) or "").strip()
            if value in values:
                setattr(filters, name, value)
            elif value:
                filters.errors.append(catalogue.filter_ignored(FILTER_LABELS[name], value))
        return filters

    def apply(self, query, user):
        if self.status is None:
            query = query.where(CaseStudy.status.in_(WAITING))
        elif self.status != "all":
            query = query.where(CaseStudy.status == self.status)
        if self.convention:
            query = query.where(CaseStudy.conventions.any(Convention.code == self.convention))
        if self.partner:
            query = query.where(CaseStudy.partner.has(Partner.acronym == self.partner))
        if self.older_than:
            cutoff = utc_now() - timedelta(days=int(self.older_than))
            query = query.where(CaseStudy.updated_at < cutoff)
        if self.mine:
            query = query.where(CaseStudy.assigned_editor_id == user.id)
        return query


def editor_queue(filters, user):
    query = filters.apply(select(CaseStudy), user).order_by(CaseStudy.updated_at)
    query = query.options(
        selectinload(CaseStudy.partner),
        selectinload(CaseStudy.assigned_editor),
        selectinload(CaseStudy.conventions),
    )
    return list(db.session.scalars(query))


def status_counts():
    rows = db.session.execute(select(CaseStudy.status, func.count()).group_by(CaseStudy.status))
    counts = dict.fromkeys(WorkflowStatus, 0)
    counts.update({WorkflowStatus(status): n for status, n in rows})
    return counts


def organisation_cases(user):
    """A partner's own organisation's case studies, in every status (none without one)."""
    if not permissions.has_organisation(user):
        return []
    query = (
        select(CaseStudy)
        .filter_by(partner_id=user.partner_id)
        .order_by(CaseStudy.updated_at.desc())
    )
    return list(db.session.scalars(query))


def editors():
    query = select(User).where(
        User.active.is_(True), User.roles.any(Role.name.in_([RoleName.EDITOR, RoleName.ADMIN]))
    )
    return list(db.session.scalars(query.order_by(User.name, User.email)))


class AssignmentRefused(Exception):
    pass


def assign(case, editor, by_user):
    """Give the case to an editor (or to nobody: editor None); claiming is assigning oneself."""
    if editor is not None and not permissions.is_editor(editor):
        raise AssignmentRefused("only editors look after case studies")
    case.assigned_editor = editor
    db.session.flush()
    audit_request("case.assigned", target=case, actor=by_user, editor=editor.id if editor else None)
    log.info("case %s assigned to %s by %s", case.id, editor and editor.id, by_user.id)
