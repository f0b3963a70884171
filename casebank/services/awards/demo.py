"""The demo award: last year's round, announced with its winners (and the judges' marks), and
this year's, open for nominations. Loaded once; its judges are invited accounts without a
password (the demo judge account of `flask casebank demo-accounts` joins the open round)."""

from datetime import date, timedelta

from sqlalchemy import func, select

from casebank.extensions import db
from casebank.models import AwardCriterion, AwardRound, CaseStudy, Nomination, Score
from casebank.models.case_study import utc_now
from casebank.models.vocab import AwardCategory, RoundStatus
from casebank.services import accounts
from casebank.services.awards.rounds import import_status
from casebank.services.reference_data import shipped_json


def load_demo_awards(today=None):
    if db.session.scalar(select(func.count()).select_from(AwardRound)):
        return
    today = today or date.today()
    data = shipped_json("demo", "awards.json")
    judges = [demo_judge(address, name) for address, name in data["judges"]]
    past = new_round(data["past_round"], data["criteria"], judges, today.year - 1,
                     date(today.year - 1, 3, 1), RoundStatus.ANNOUNCED)  # fmt: skip
    past.announcement = data["past_round"]["announcement"]
    past.announced_at = utc_now() - timedelta(days=60)
    cases = {c.reference: c for c in db.session.scalars(select(CaseStudy))}
    for record in data["past_round"]["nominations"]:
        nomination = Nomination(
            round=past, case_study=cases[record["reference"]], citation=record["citation"],
            administration=record["administration"], unit=record["unit"],
            category=AwardCategory(record["category"]),
        )  # fmt: skip
        db.session.add(nomination)
        for judge, marks in zip(judges, record["marks"], strict=True):
            for criterion, mark in zip(past.criteria, marks, strict=True):
                db.session.add(Score(nomination=nomination, judge=judge, criterion=criterion,
                                     value=mark))  # fmt: skip
    for reference in data["featured"]:
        cases[reference].featured = True
    new_round(data["open_round"], data["criteria"], judges, today.year, today - timedelta(days=7),
              RoundStatus.NOMINATIONS_OPEN)  # fmt: skip
    db.session.flush()


def new_round(record, criteria, judges, year, opens, status):
    award_round = AwardRound(
        year=year, title=record["title"], description=record["description"],
        rules=record["rules"], nominations_open_date=opens,
        nominations_close_date=opens + timedelta(days=45),
        judging_open_date=opens + timedelta(days=46), judging_close_date=opens + timedelta(days=90),
        eligible_from_date=date(year - 10, 1, 1), eligible_to_date=opens + timedelta(days=45),
        max_nominations_per_partner=3, judges=judges,
        criteria=[AwardCriterion(position=i, weight=c["weight"], name=c["name"],
                                 description=c["description"]) for i, c in enumerate(criteria)],
    )  # fmt: skip
    import_status(award_round, status)
    db.session.add(award_round)
    return award_round


def name_demo_judge(user):
    """The demo judge account (`flask casebank demo-accounts`) judges the rounds still to be
    judged, so the whole cycle can be tried with it."""
    query = select(AwardRound).where(
        AwardRound.status.in_([RoundStatus.DRAFT, RoundStatus.NOMINATIONS_OPEN])
    )
    for award_round in db.session.scalars(query):
        if user not in award_round.judges:
            award_round.judges.append(user)


def demo_judge(address, name):
    return accounts.find_user(address) or accounts.create_user(address, ["judge"], name=name)
