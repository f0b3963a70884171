"""What the public sees of the award and of exemplary case studies: announced rounds and their
honoured nominations, featured case studies, the Atom feed and the sitemap.

Everything here is built from the public face of a nomination (its citation, administration,
unit, consenting officers) and, only for a published public case study, the case's public
fields: a restricted case study may win, but its own words never leave the restricted area."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casebank.extensions import db
from casebank.models import AwardRound, CaseStudy, Nomination
from casebank.models.vocab import AwardCategory, RoundStatus
from casebank.schemas.case_study import PUBLIC_CASE_FIELDS
from casebank.services.catalogue import public_cases, with_cards

# What a nomination shows of its case study, when that case is public.
CASE_FACE_FIELDS = ("reference", "title", "summary", "country")
assert set(CASE_FACE_FIELDS) <= set(PUBLIC_CASE_FIELDS)
CATEGORY_ORDER = {c: i for i, c in enumerate(AwardCategory)}


@dataclass
class Honour:
    """A nomination as the public sees it."""

    id: int
    year: int
    round_title: str
    category: AwardCategory
    citation: str
    administration: str
    unit: str
    named_officers: str  # empty unless the officers consented
    case: dict | None  # CASE_FACE_FIELDS of a public case study, else None


def public_face(nomination):
    case = nomination.case_study
    return Honour(
        id=nomination.id,
        year=nomination.round.year,
        round_title=nomination.round.title,
        category=nomination.category,
        citation=nomination.citation,
        administration=nomination.administration,
        unit=nomination.unit,
        named_officers=nomination.named_officers if nomination.officers_consent else "",
        case={f: getattr(case, f) for f in CASE_FACE_FIELDS} if case.is_public else None,
    )


def honoured(query):
    return query.where(Nomination.category.is_not(None)).options(
        selectinload(Nomination.case_study), selectinload(Nomination.round)
    )


def announced_rounds():
    """[(round, [Honour])], newest year first: the public awards page."""
    rounds = db.session.scalars(
        select(AwardRound)
        .where(AwardRound.status == RoundStatus.ANNOUNCED)
        .order_by(AwardRound.year.desc(), AwardRound.id.desc())
    ).all()
    query = honoured(select(Nomination).where(Nomination.round_id.in_([r.id for r in rounds])))
    by_round = {}
    for nomination in db.session.scalars(query):
        by_round.setdefault(nomination.round_id, []).append(public_face(nomination))
    for honours in by_round.values():
        honours.sort(key=lambda h: (CATEGORY_ORDER[h.category], h.id))
    return [(r, by_round.get(r.id, [])) for r in rounds]


def latest_winners(limit=3):
    """The winners of the most recently announced rounds, for the home page."""
    query = honoured(
        select(Nomination)
        .join(Nomination.round)
        .where(AwardRound.status == RoundStatus.ANNOUNCED)
        .where(Nomination.category == AwardCategory.WINNER)
        .order_by(AwardRound.announced_at.desc(), Nomination.id)
    )
    return [public_face(n) for n in db.session.scalars(query.limit(limit))]


def honour(nomination_id):
    """An honoured nomination of an announced round (its certificate), or None."""
    query = honoured(
        select(Nomination)
        .join(Nomination.round)
        .where(Nomination.id == nomination_id, AwardRound.status == RoundStatus.ANNOUNCED)
    )
    nomination = db.session.scalar(query)
    return public_face(nomination) if nomination is not None else None


def featured_cases(limit=6):
    query = with_cards(public_cases().where(CaseStudy.featured.is_(True)))
    return list(db.session.scalars(query.order_by(CaseStudy.published_at.desc()).limit(limit)))


def set_featured(case, featured, user):
    from casebank.auth.audit_trail import audit_request

    case.featured = bool(featured)
    db.session.flush()
    audit_request("case.feature" if featured else "case.unfeature", target=case, actor=user)


def feed_items(limit=30):
    """(kind, object) of the newest public case studies and announced rounds, newest first."""
    cases = db.session.scalars(
        public_cases().order_by(CaseStudy.published_at.desc()).limit(limit)
    ).all()
    rounds = db.session.scalars(
        select(AwardRound)
        .where(AwardRound.status == RoundStatus.ANNOUNCED)
        .order_by(AwardRound.announced_at.desc())
        .limit(limit)
    ).all()
    items = [("case", c, c.published_at) for c in cases]
    items += [("round", r, r.announced_at) for r in rounds]
    items.sort(key=lambda item: item[2], reverse=True)
    return items[:limit]


def sitemap_case_pages():
    """(reference, last change) of every published public case study."""
    query = select(CaseStudy.reference, CaseStudy.updated_at).where(
        CaseStudy.id.in_(public_cases().with_only_columns(CaseStudy.id))
    )
    return db.session.execute(query.order_by(CaseStudy.reference)).all()
