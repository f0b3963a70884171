"""Award rounds: their one transition table, apply() (the only writer of a round's status),
and creating or editing a round with its criteria and judges."""

import logging
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casebank.auth import permissions
from casebank.auth.audit_trail import audit_request
from casebank.extensions import db
from casebank.models import AwardCriterion, AwardRound, Nomination, User
from casebank.models.award import round_status_writer
from casebank.models.case_study import utc_now
from casebank.models.vocab import AwardCategory, RoundStatus

log = logging.getLogger(__name__)

DRAFT = RoundStatus.DRAFT
NOMINATIONS_OPEN = RoundStatus.NOMINATIONS_OPEN
JUDGING = RoundStatus.JUDGING
CLOSED = RoundStatus.CLOSED
ANNOUNCED = RoundStatus.ANNOUNCED


def ready_to_open(award_round, today):
    errors = {}
    if not award_round.criteria:
        errors["criteria"] = [_("Give the round at least one criterion.")]
    if not award_round.judges:
        errors["judges"] = [_("Name at least one judge.")]
    if not award_round.nominations_open_date <= today <= award_round.nominations_close_date:
        errors["nominations_open_date"] = [_("Nominations open only within their window.")]
    return errors


def ready_to_judge(award_round, today):
    errors = {}
    if today < award_round.judging_open_date or today > award_round.judging_close_date:
        errors["judging_open_date"] = [_("Judging starts only within its window.")]
    if not award_round.nominations:
        errors["nominations"] = [_("There is no nomination to judge.")]
    return errors


def ready_to_close(award_round, today):
    if today < award_round.judging_open_date:
        return {"judging_open_date": [_("Judging starts only within its window.")]}
    return {}


def ready_to_announce(award_round, today):
    errors = {}
    if not any(n.category == AwardCategory.WINNER for n in award_round.nominations):
        errors["category"] = [_("Choose at least one winner.")]
    if not (award_round.announcement or "").strip():
        errors["announcement"] = [_("Write the announcement.")]
    return errors


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # the button's words (lazy: in the reader's language)
    sources: tuple
    target: RoundStatus
    who: object  # a predicate (user) of casebank.auth.permissions
    ready: object  # (round, today) -> {field: [messages]}; empty when it may happen
    announces: bool = False

    @property
    def audit_action(self):
        return f"award.round.{self.name}"


TRANSITIONS = {
    t.name: t
    for t in (
        Transition("open_nominations", _l("Open nominations"), (DRAFT,), NOMINATIONS_OPEN,
                   permissions.is_editor, ready_to_open),
        Transition("start_judging", _l("Close nominations and start judging"),
                   (NOMINATIONS_OPEN,), JUDGING, permissions.is_editor, ready_to_judge),
        Transition("close", _l("Close judging"), (JUDGING,), CLOSED, permissions.is_editor,
                   ready_to_close),
        Transition("reopen_judging", _l("Reopen judging"), (CLOSED,), JUDGING,
                   permissions.is_editor, ready_to_close),
        Transition("announce", _l("Announce the results"), (CLOSED,), ANNOUNCED,
                   permissions.is_editor, ready_to_announce, announces=True),
    )
}  # fmt: skip


class TransitionRefused(Exception):
    """Not from this state, or not by this user; nothing changed."""


class RoundInvalid(Exception):
    """errors maps a field of the round to messages; nothing changed."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def allowed_transitions(award_round, user):
    return [t for t in TRANSITIONS.values() if award_round.status in t.sources and t.who(user)]


def apply(award_round, name, user, today=None):
    """Make transition `name` on the round as user; flushes. The only writer of its status."""
    transition = TRANSITIONS.get(name)
    if transition is None or award_round.status not in transition.sources:
        raise TransitionRefused(f"{name} is not possible from {award_round.status}")
    if not transition.who(user):
        raise TransitionRefused(f"user {user.id} may not {name} round {award_round.id}")
    errors = transition.ready(award_round, today or date.today())
    if errors:
        raise RoundInvalid(errors)
    previous = award_round.status
    with round_status_writer():
        award_round.status = transition.target
    if transition.announces:
        award_round.announced_at = utc_now()
    db.session.flush()
    audit_request(transition.audit_action, target=award_round, actor=user, **{"from": previous})
    log.info("award round %s: %s by user %s", award_round.id, name, user.id)
    return award_round


def import_status(award_round, status):
    """The demo data restores a round's status (like the case import): outside the table."""
    with round_status_writer():
        award_round.status = status


# Creating and editing a round.
EDITABLE = (DRAFT, NOMINATIONS_OPEN)
MAX_CRITERIA = 10
MAX_WEIGHT = 10


def parse_criteria(text):
    """'weight | name | description' per line -> [(weight, name, description)]; RoundInvalid."""
    criteria, problems = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|", 2)]
        if len(parts) < 2 or not parts[0].isdigit() or not parts[1]:
            problems.append(_("Line %(number)s: write “weight | name | description”.",
                              number=number))  # fmt: skip
            continue
        weight = int(parts[0])
        if not 1 <= weight <= MAX_WEIGHT:
            problems.append(_("Line %(number)s: a weight is from 1 to %(max)s.", number=number,
                              max=MAX_WEIGHT))  # fmt: skip
            continue
        criteria.append((weight, parts[1][:100], parts[2] if len(parts) > 2 else ""))
    if not criteria and not problems:
        problems.append(_("Give the round at least one criterion."))
    if len(criteria) > MAX_CRITERIA:
        problems.append(_("At most %(max)s criteria.", max=MAX_CRITERIA))
    if problems:
        raise RoundInvalid({"criteria": problems})
    return criteria


def criteria_text(award_round):
    return "\n".join(f"{c.weight} | {c.name} | {c.description}" for c in award_round.criteria)


def parse_judges(text):
    """Addresses, one per line or separated by commas -> [User]; each must be a judge."""
    addresses = sorted({a.strip().lower() for a in (text or "").replace(",", "\n").splitlines()
                        if a.strip()})  # fmt: skip
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(addresses)))}
    unknown = [a for a in addresses if a not in users or not permissions.is_judge(users[a])]
    if unknown:
        raise RoundInvalid({"judges": [
            _("Not a judge's or an editor's account: %(addresses)s.", addresses=", ".join(unknown))
        ]})  # fmt: skip
    return [users[a] for a in addresses]


def judges_text(award_round):
    return "\n".join(j.email for j in award_round.judges)


DATE_ORDER = (
    ("nominations_open_date", "nominations_close_date"),
    ("nominations_close_date", "judging_open_date"),
    ("judging_open_date", "judging_close_date"),
    ("eligible_from_date", "eligible_to_date"),
)


def date_errors(data):
    errors = {}
    for earlier, later in DATE_ORDER:
        if data[earlier] and data[later] and data[earlier] > data[later]:
            errors.setdefault(later, []).append(_("This date comes before the one it follows."))
    return errors


def save_round(award_round, data, user):
    """Create (award_round None) or update a round from the form's data; RoundInvalid names
    the fields at fault and nothing changes."""
    if award_round is not None and award_round.status not in EDITABLE:
        raise RoundInvalid({"title": [_("A round is edited only before judging starts.")]})
    errors = date_errors(data)
    criteria = judges = None
    for field, parse in (("criteria", parse_criteria), ("judges", parse_judges)):
        try:
            parsed = parse(data[field])
        except RoundInvalid as invalid:
            errors.update(invalid.errors)
            continue
        criteria, judges = (parsed, judges) if field == "criteria" else (criteria, parsed)
    locked = award_round is not None and award_round.status != DRAFT
    if locked and criteria is not None and criteria != current_criteria(award_round):
        errors["criteria"] = [_("Criteria are fixed once nominations open.")]
    if errors:
        raise RoundInvalid(errors)
    creating = award_round is None
    if creating:
        award_round = AwardRound()
        db.session.add(award_round)
    for name in ROUND_FIELDS:
        setattr(award_round, name, data[name])
    award_round.judges = judges
    if not locked:
        award_round.criteria = [
            AwardCriterion(position=i, weight=w, name=n, description=d)
            for i, (w, n, d) in enumerate(criteria)
        ]
    db.session.flush()
    audit_request("award.round.create" if creating else "award.round.edit", target=award_round,
                  actor=user)  # fmt: skip
    return award_round


ROUND_FIELDS = (
    "year", "title", "description", "rules", "nominations_open_date", "nominations_close_date",
    "judging_open_date", "judging_close_date", "eligible_from_date", "eligible_to_date",
    "max_nominations_per_partner",
)  # fmt: skip


def current_criteria(award_round):
    return [(c.weight, c.name, c.description) for c in award_round.criteria]


def get_round(round_id):
    query = (
        select(AwardRound)
        .where(AwardRound.id == round_id)
        .options(
            selectinload(AwardRound.criteria),
            selectinload(AwardRound.judges),
            selectinload(AwardRound.nominations).selectinload(Nomination.case_study),
            selectinload(AwardRound.nominations).selectinload(Nomination.partner),
            selectinload(AwardRound.nominations).selectinload(Nomination.conflicts),
        )
    )
    return db.session.scalar(query)


def all_rounds():
    return db.session.scalars(
        select(AwardRound).order_by(AwardRound.year.desc(), AwardRound.id.desc())
    ).all()


def judged_by(user):
    """The rounds this user is named to judge, newest first."""
    query = (
        select(AwardRound)
        .where(AwardRound.judges.any(User.id == user.id))
        .order_by(AwardRound.year.desc(), AwardRound.id.desc())
    )
    return db.session.scalars(query).all()


def set_results(award_round, categories, announcement, user):
    """Editors give categories (nomination id -> AwardCategory value or '') and write the
    announcement, once the round is closed (and before it is announced)."""
    if award_round.status != CLOSED:
        raise RoundInvalid({"announcement": [_("Results are chosen once judging is closed.")]})
    by_id = {n.id: n for n in award_round.nominations}
    for nomination_id, value in categories.items():
        nomination = by_id.get(nomination_id)
        if nomination is None:
            continue
        if value and value not in AwardCategory._value2member_map_:
            raise RoundInvalid({"category": [_("Choose a category from the list.")]})
        nomination.category = AwardCategory(value) if value else None
    award_round.announcement = (announcement or "").strip() or None
    db.session.flush()
    audit_request("award.round.results", target=award_round, actor=user)
