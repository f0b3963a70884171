"""Editorial award pages: rounds, their transitions, nominations by the secretariat, the
results once a round has closed; and featuring case studies."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casebank import award_pages, case_pages
from casebank.auth.permissions import can_read_round_results
from casebank.award_forms import (
    FeatureForm,
    ResultsForm,
    RoundForm,
    TransitionForm,
)
from casebank.editorial import bp
from casebank.models.vocab import AwardCategory
from casebank.services.awards import judging, nominations, publicity, rounds


def round_or_404(round_id):
    return rounds.get_round(round_id) or abort(404)


@bp.get("/awards")
def award_rounds():
    return render_template("awards/editorial_rounds.html", rounds=rounds.all_rounds())


@bp.route("/awards/new", methods=["GET", "POST"])
def new_award_round():
    form = RoundForm()
    if form.validate_on_submit():
        try:
            award_round = rounds.save_round(None, form.data_for_service(), current_user)
        except rounds.RoundInvalid as invalid:
            form.show_errors(invalid.errors)
        else:
            flash(_("Round saved as a draft."), "success")
            return redirect(url_for("editorial.award_round", round_id=award_round.id))
    status = 400 if form.is_submitted() else 200
    return render_template("awards/round_form.html", form=form, award_round=None), status


@bp.route("/awards/<int:round_id>/edit", methods=["GET", "POST"])
def edit_award_round(round_id):
    award_round = round_or_404(round_id)
    if request.method == "GET":
        form = RoundForm(obj=award_round)
        form.criteria.data = rounds.criteria_text(award_round)
        form.judges.data = rounds.judges_text(award_round)
    else:
        form = RoundForm()
    if form.validate_on_submit():
        try:
            rounds.save_round(award_round, form.data_for_service(), current_user)
        except rounds.RoundInvalid as invalid:
            form.show_errors(invalid.errors)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("editorial.award_round", round_id=award_round.id))
    status = 400 if form.is_submitted() else 200
    return render_template("awards/round_form.html", form=form, award_round=award_round), status


@bp.get("/awards/<int:round_id>")
def award_round(round_id):
    award_round = round_or_404(round_id)
    return round_page(award_round, ResultsForm(announcement=award_round.announcement))


def round_page(award_round, results_form, status=200):
    results = None
    if can_read_round_results(current_user, award_round):
        results = judging.results(award_round, current_user)
    page = render_template(
        "awards/editorial_round.html",
        award_round=award_round,
        transitions=rounds.allowed_transitions(award_round, current_user),
        transition_form=TransitionForm(),
        progress=judging.progress(award_round),
        results=results,
        results_form=results_form,
        categories=AwardCategory,
        editable=award_round.status in rounds.EDITABLE,
        accepting=nominations.accepting(award_round),
    )
    return page, status


@bp.post("/awards/<int:round_id>/transition")
def award_transition(round_id):
    award_round = round_or_404(round_id)
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        rounds.apply(award_round, form.transition.data, current_user)
    except (rounds.TransitionRefused, rounds.RoundInvalid) as refused:
        # Said on the page: a stale second tab, or a window or an input still missing.
        errors = getattr(refused, "errors", None) or {"status": [
            _("Not possible now: the round is %(status)s.",
              status=award_round.status.translated_label)
        ]}  # fmt: skip
        for messages in errors.values():
            for message in messages:
                flash(message, "error")
        results_form = ResultsForm(announcement=award_round.announcement)
        return round_page(award_round, results_form, 400 if hasattr(refused, "errors") else 409)
    flash(_("The round is now: %(status)s.", status=award_round.status.translated_label),
          "success")  # fmt: skip
    return redirect(url_for("editorial.award_round", round_id=award_round.id))


@bp.post("/awards/<int:round_id>/results")
def award_results(round_id):
    award_round = round_or_404(round_id)
    form = ResultsForm()
    if not form.validate_on_submit():
        return round_page(award_round, form, 400)
    categories = {n.id: request.form.get(f"category-{n.id}", "") for n in award_round.nominations}
    try:
        rounds.set_results(award_round, categories, form.announcement.data, current_user)
    except rounds.RoundInvalid as invalid:
        for messages in invalid.errors.values():
            form.announcement.errors = list(form.announcement.errors) + list(messages)
        return round_page(award_round, form, 400)
    flash(_("Results saved. Announce them when they are final."), "success")
    return redirect(url_for("editorial.award_round", round_id=award_round.id))


@bp.route("/awards/<int:round_id>/nominate", methods=["GET", "POST"])
def nominate(round_id):
    award_round = round_or_404(round_id)
    return award_pages.nomination_page(
        award_round, url_for("editorial.award_round", round_id=award_round.id)
    )


@bp.post("/cases/<reference>/featured")
def feature_case(reference):
    case = case_pages.case_or_404(reference)
    form = FeatureForm()
    if not form.validate_on_submit():
        abort(400)
    publicity.set_featured(case, form.featured.data == "1", current_user)
    flash(_("Featured on the home page.") if case.featured else _("No longer featured."),
          "success")  # fmt: skip
    return redirect(url_for("editorial.case_review", reference=case.reference))
