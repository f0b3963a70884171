"""Judging views: a judge reads a round's nominations only while it is judging, scores those
they have no conflict with, and sees their own scores only."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casebank.auth import permissions
from casebank.award_forms import ConflictForm, ScoreForm
from casebank.judging import bp
from casebank.services.awards import judging, rounds


def judged_round_or_404(round_id):
    """A round the user judges and that is judging now; 404 otherwise, like a missing one."""
    award_round = rounds.get_round(round_id)
    if award_round is None or not permissions.can_judge_round(current_user, award_round):
        abort(404)
    return award_round


def nomination_or_404(award_round, nomination_id):
    for nomination in award_round.nominations:
        if nomination.id == nomination_id:
            return nomination
    abort(404)


@bp.get("/", endpoint="rounds")
def rounds_list():
    return render_template("awards/judging_rounds.html", rounds=rounds.judged_by(current_user))


@bp.get("/rounds/<int:round_id>", endpoint="round")
def judging_round(round_id):
    award_round = judged_round_or_404(round_id)
    return render_template(
        "awards/judging_round.html",
        award_round=award_round,
        sheet=judging.nominations_for_judging(award_round, current_user),
        conflict_label=judging.conflict_label,
    )


@bp.route("/rounds/<int:round_id>/nominations/<int:nomination_id>", methods=["GET", "POST"])
def nomination(round_id, nomination_id):
    award_round = judged_round_or_404(round_id)
    nominated = nomination_or_404(award_round, nomination_id)
    form, errors, posted = ScoreForm(), {}, None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        posted = {c.id: (request.form.get(f"score-{c.id}", ""),
                         request.form.get(f"comment-{c.id}", ""))
                  for c in award_round.criteria}  # fmt: skip
        try:
            judging.save_scores(nominated, current_user, posted)
        except judging.ScoresInvalid as invalid:
            errors = invalid.errors
        else:
            flash(_("Your scores are saved. Only you see them until the round closes."),
                  "success")  # fmt: skip
            return redirect(url_for("judging.round", round_id=award_round.id))
    return score_page(award_round, nominated, form, errors, posted)


def score_page(award_round, nominated, form, errors, posted):
    own = judging.own_scores(nominated, current_user)
    if posted is None:
        posted = {c: (str(s.value), s.comment) for c, s in own.items()}
    case = nominated.case_study
    page = render_template(
        "awards/judging_nomination.html",
        award_round=award_round,
        nomination=nominated,
        # The public face here; a restricted case study is read in the restricted area, which
        # audits each reading.
        case=case if case.is_public else None,
        restricted_url=None if case.is_public else restricted_url(case),
        conflict=permissions.judging_conflict(current_user, nominated),
        conflict_label=judging.conflict_label,
        form=form,
        conflict_form=ConflictForm(),
        errors=errors,
        posted=posted,
    )
    return page, 400 if errors else 200


def restricted_url(case):
    """Where this judge reads a restricted case study, if anywhere."""
    if permissions.is_officer(current_user):
        return url_for("restricted.case_detail", reference=case.reference)
    if permissions.is_editor(current_user):
        return url_for("editorial.case_review", reference=case.reference)
    return None


@bp.post("/rounds/<int:round_id>/nominations/<int:nomination_id>/conflict")
def declare_conflict(round_id, nomination_id):
    award_round = judged_round_or_404(round_id)
    nominated = nomination_or_404(award_round, nomination_id)
    form = ConflictForm()
    if not form.validate_on_submit():
        abort(400)
    judging.declare_conflict(nominated, current_user, form.reason.data)
    flash(_("Conflict declared: you will not score this nomination."), "success")
    return redirect(url_for("judging.round", round_id=award_round.id))
