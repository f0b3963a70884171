"""Nominations: who may put which case study forward in a round, the cap per organisation,
and the consent of named officers."""

import logging
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from casebank.auth import permissions
from casebank.auth.audit_trail import audit_request
from casebank.extensions import db
from casebank.models import AwardRound, CaseStudy, Nomination, Partner
from casebank.models.vocab import RoundStatus, WorkflowStatus

log = logging.getLogger(__name__)


class NominationInvalid(Exception):
    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def accepting(award_round, today=None):
    """Nominations are taken while the round is open for them and its window lasts."""
    today = today or date.today()
    return (
        award_round.status == RoundStatus.NOMINATIONS_OPEN
        and award_round.nominations_open_date <= today <= award_round.nominations_close_date
    )


def open_rounds(today=None):
    query = select(AwardRound).where(AwardRound.status == RoundStatus.NOMINATIONS_OPEN)
    return [r for r in db.session.scalars(query.order_by(AwardRound.year)) if accepting(r, today)]


def eligibility_errors(award_round, case, user):
    """Why this case study may not be nominated in this round by this user (empty: it may)."""
    if case is None or not permissions.can_view_case(user, case):
        return [_("No published case study has this reference.")]
    if case.status != WorkflowStatus.PUBLISHED or case.published_at is None:
        return [_("Only published case studies may be nominated.")]
    published = case.published_at.date()
    if not award_round.eligible_from_date <= published <= award_round.eligible_to_date:
        return [_("This round takes case studies published between %(start)s and %(end)s.",
                  start=award_round.eligible_from_date.isoformat(),
                  end=award_round.eligible_to_date.isoformat())]  # fmt: skip
    if any(n.case_study_id == case.id for n in award_round.nominations):
        return [_("This case study is already nominated in this round.")]
    return []


def nominations_by(award_round, partner_id):
    """How many nominations the organisation has made in the round. Its row is locked first
    (PostgreSQL; SQLite has one writer) so two nominations sent at once cannot both pass the
    cap: the second counts after the first commits."""
    db.session.execute(select(Partner.id).where(Partner.id == partner_id).with_for_update())
    query = select(func.count(Nomination.id)).where(
        Nomination.round_id == award_round.id, Nomination.partner_id == partner_id
    )
    return db.session.scalar(query)


def nominate(award_round, data, user, today=None):
    """A nomination from the form's data (case_reference, citation, administration, unit,
    named_officers, officers_consent); NominationInvalid names the fields at fault."""
    if not accepting(award_round, today) or not permissions.can_nominate(user):
        raise NominationInvalid({"case_reference": [_("This round takes no nominations now.")]})
    errors = {}
    reference = (data.get("case_reference") or "").strip()[:32]
    case = db.session.scalar(select(CaseStudy).filter_by(reference=reference))
    if problems := eligibility_errors(award_round, case, user):
        errors["case_reference"] = problems
    # Editors nominate for the secretariat, without a cap; partners for their organisation.
    partner_id = None if permissions.is_editor(user) else user.partner_id
    cap = award_round.max_nominations_per_partner
    if partner_id is not None and nominations_by(award_round, partner_id) >= cap:
        errors.setdefault("case_reference", []).append(
            _("Your organisation has made its %(cap)s nominations in this round.", cap=cap)
        )
    for field in ("citation", "administration"):
        if not (data.get(field) or "").strip():
            errors[field] = [_("Required.")]
    officers = (data.get("named_officers") or "").strip()
    if officers and not data.get("officers_consent"):
        errors["officers_consent"] = [
            _("Name officers only once they have agreed to be named publicly.")
        ]
    if errors:
        raise NominationInvalid(errors)
    nomination = Nomination(
        round=award_round,
        case_study=case,
        partner_id=partner_id,
        nominated_by_id=user.id,
        citation=data["citation"].strip(),
        administration=data["administration"].strip()[:200],
        unit=(data.get("unit") or "").strip()[:200],
        named_officers=officers,
        officers_consent=bool(officers and data.get("officers_consent")),
    )
    db.session.add(nomination)
    db.session.flush()
    audit_request("award.nominate", target=nomination, actor=user, round=award_round.id)
    log.info("round %s: case %s nominated by user %s", award_round.id, case.id, user.id)
    return nomination


def organisation_nominations(partner_id):
    """The nominations an organisation made, newest round first."""
    query = (
        select(Nomination)
        .join(Nomination.round)
        .where(Nomination.partner_id == partner_id)
        .order_by(AwardRound.year.desc(), Nomination.id)
    )
    return db.session.scalars(query).all()
