"""Judging: each judge's own score sheet, conflicts of interest, the editors' progress view,
and, once a round has closed, the results. The arithmetic is plain functions over numbers.

Means are exact fractions, so two nominations with the same marks tie exactly (no float
rounding decides a ranking); pages round them for reading only."""

from dataclasses import dataclass, field
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casebank.auth import permissions
from casebank.auth.audit_trail import audit_request
from casebank.extensions import db
from casebank.models import ConflictDeclaration, Nomination, Score
from casebank.models.vocab import N_

LOWEST, HIGHEST = 1, 5


# The arithmetic.
def criterion_means(marks):
    """{criterion: [marks of each judge]} -> {criterion: mean}; criteria nobody marked are left
    out."""
    return {c: Fraction(sum(values), len(values)) for c, values in marks.items() if values}


def weighted_mean(means, weights):
    """The weighted mean of the criteria's means ({criterion: weight}); None with no mark."""
    weighed = [(means[c], w) for c, w in weights.items() if c in means]
    total_weight = sum(w for _, w in weighed)
    if not total_weight:
        return None
    return sum(mean * w for mean, w in weighed) / total_weight


def competition_ranking(totals):
    """[(key, total or None)] -> [(rank, tied, key, total)], best first. Equal totals share a
    rank and the next rank skips (1, 2, 2, 4); a nomination without marks comes last, unranked."""
    marked = sorted((t for t in totals if t[1] is not None), key=lambda t: t[1], reverse=True)
    counts = {}
    for _key, total in marked:
        counts[total] = counts.get(total, 0) + 1
    ranked, rank = [], 0
    for position, (key, total) in enumerate(marked, start=1):
        if position == 1 or total != marked[position - 2][1]:
            rank = position
        ranked.append((rank, counts[total] > 1, key, total))
    ranked += [(None, False, key, None) for key, total in totals if total is None]
    return ranked


# A judge's sheet.
class ScoresInvalid(Exception):
    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def own_scores(nomination, judge):
    """{criterion id: Score} of this judge only."""
    query = select(Score).where(Score.nomination_id == nomination.id, Score.judge_id == judge.id)
    return {s.criterion_id: s for s in db.session.scalars(query)}


def own_scored_nominations(award_round, judge):
    """The ids of the nominations this judge has marked on every criterion."""
    query = select(Score.nomination_id, Score.criterion_id).where(
        Score.judge_id == judge.id,
        Score.nomination_id.in_([n.id for n in award_round.nominations]),
    )
    marked = {}
    for nomination_id, criterion_id in db.session.execute(query):
        marked.setdefault(nomination_id, set()).add(criterion_id)
    wanted = {c.id for c in award_round.criteria}
    return {n for n, criteria in marked.items() if criteria >= wanted}


def save_scores(nomination, judge, posted):
    """posted: {criterion id: (mark text, comment)}. Every criterion needs a mark from 1 to 5;
    ScoresInvalid keys its messages 'score-<criterion id>', and nothing is written."""
    if not permissions.can_score(judge, nomination):
        raise ScoresInvalid({"form": [_("You may not score this nomination.")]})
    errors, marks = {}, {}
    for criterion in nomination.round.criteria:
        text, comment = posted.get(criterion.id, ("", ""))
        text = (text or "").strip()
        if not text.isdigit() or not LOWEST <= int(text) <= HIGHEST:
            errors[f"score-{criterion.id}"] = [_("Give a mark from 1 to 5.")]
            continue
        marks[criterion.id] = (int(text), (comment or "").strip()[:4000])
    if errors:
        raise ScoresInvalid(errors)
    existing = own_scores(nomination, judge)
    for criterion_id, (value, comment) in marks.items():
        score = existing.get(criterion_id)
        if score is None:
            score = Score(nomination=nomination, judge_id=judge.id, criterion_id=criterion_id)
            db.session.add(score)
        score.value, score.comment = value, comment
    db.session.flush()
    audit_request("award.score", target=nomination, actor=judge)


def declare_conflict(nomination, judge, reason):
    """A judge steps aside from a nomination; marks they gave it are withdrawn."""
    if not permissions.can_judge_round(judge, nomination.round):
        raise ScoresInvalid({"form": [_("You may not judge this round now.")]})
    if permissions.judging_conflict(judge, nomination) is not None:
        return
    for score in own_scores(nomination, judge).values():
        db.session.delete(score)
    db.session.add(ConflictDeclaration(nomination=nomination, judge_id=judge.id,
                                       reason=(reason or "").strip()[:2000]))  # fmt: skip
    db.session.flush()
    audit_request("award.conflict", target=nomination, actor=judge)


CONFLICT_LABELS = {
    permissions.NOMINATING_ORGANISATION: N_("Excluded: your organisation nominated it."),
    permissions.CASE_ORGANISATION: N_("Excluded: the case study is your organisation's."),
    permissions.DECLARED: N_("Excluded: you declared a conflict of interest."),
}


def conflict_label(reason):
    return _(CONFLICT_LABELS[reason]) if reason else ""


# What editors see while judging: who has scored how many, never a mark.
@dataclass
class JudgeProgress:
    judge: object
    scored: int
    excluded: int
    total: int


def progress(award_round):
    query = select(Score.judge_id, Score.nomination_id, Score.criterion_id).where(
        Score.nomination_id.in_([n.id for n in award_round.nominations])
    )
    marked = {}
    for judge_id, nomination_id, criterion_id in db.session.execute(query):
        marked.setdefault((judge_id, nomination_id), set()).add(criterion_id)
    wanted = {c.id for c in award_round.criteria}
    rows = []
    for judge in award_round.judges:
        excluded = sum(1 for n in award_round.nominations if permissions.judging_conflict(judge, n))
        scored = sum(1 for n in award_round.nominations
                     if marked.get((judge.id, n.id), set()) >= wanted and wanted)  # fmt: skip
        rows.append(JudgeProgress(judge, scored, excluded, len(award_round.nominations)))
    return rows


# The results, once the round has closed.
@dataclass
class Result:
    nomination: Nomination
    rank: int | None
    tied: bool
    total: Fraction | None
    means: dict = field(default_factory=dict)  # criterion id -> mean
    marks: dict = field(default_factory=dict)  # (judge id, criterion id) -> Score


class ResultsHidden(Exception):
    """The round has not closed, or the user is not an editor: no total exists for them."""


def results(award_round, user):
    if not permissions.can_read_round_results(user, award_round):
        raise ResultsHidden(f"round {award_round.id} results are not open to user {user.id}")
    ids = [n.id for n in award_round.nominations]
    scores = db.session.scalars(
        select(Score).where(Score.nomination_id.in_(ids)).options(selectinload(Score.judge))
    ).all()
    weights = {c.id: c.weight for c in award_round.criteria}
    by_nomination = {}
    for score in scores:
        by_nomination.setdefault(score.nomination_id, []).append(score)
    rows = {}
    for nomination in award_round.nominations:
        own = by_nomination.get(nomination.id, [])
        marks = {}
        for score in own:
            marks.setdefault(score.criterion_id, []).append(score.value)
        means = criterion_means(marks)
        rows[nomination.id] = Result(
            nomination, None, False, weighted_mean(means, weights), means,
            {(s.judge_id, s.criterion_id): s for s in own},
        )  # fmt: skip
    ranking = competition_ranking([(n.id, rows[n.id].total) for n in award_round.nominations])
    ordered = []
    for rank, tied, nomination_id, _total in ranking:
        row = rows[nomination_id]
        row.rank, row.tied = rank, tied
        ordered.append(row)
    return ordered


def nominations_for_judging(award_round, judge):
    """(nomination, conflict reason or None, fully scored) for the judge's list."""
    scored = own_scored_nominations(award_round, judge)
    return [(n, permissions.judging_conflict(judge, n), n.id in scored)
            for n in award_round.nominations]  # fmt: skip
