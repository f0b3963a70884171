"""Editorial case-study views: the review queue, the review page (edit, move through the
workflow, converse, keep internal notes, compare and restore revisions), writing a case."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from casebank import case_pages
from casebank.auth.permissions import can_edit_case
from casebank.case_forms import (
    AssignForm,
    CaseStudyForm,
    MessageForm,
    NewCaseForm,
    RestoreForm,
    TransitionForm,
)
from casebank.editorial import bp
from casebank.extensions import db
from casebank.models import Partner, User
from casebank.request_numbers import is_id
from casebank.services.cases import editing, queue, revisions
from casebank.services.catalogue import all_conventions


def review_page(case, status=200, form=None, **extra):
    context = case_pages.page_context(case, current_user, **extra)
    assign_form = AssignForm(formdata=None, editor_id=str(case.assigned_editor_id or ""))
    assign_form.editor_id.choices = [("", _("Nobody"))] + [
        (str(e.id), e.name or e.email) for e in queue.editors()
    ]
    page = render_template(
        "editorial/case.html",
        form=form or case_pages.edit_form(case),
        assign_form=assign_form,
        **context,
    )
    return page, status


@bp.get("/cases")
def case_queue():
    filters = queue.QueueFilters.from_args(request.args)
    return render_template(
        "editorial/cases.html",
        cases=queue.editor_queue(filters, current_user),
        counts=queue.status_counts(),
        filters=filters,
        conventions=all_conventions(),
        partners=db.session.scalars(select(Partner).order_by(Partner.acronym)).all(),
        ages=queue.AGES,
    )


@bp.route("/cases/new", methods=["GET", "POST"])
def new_case():
    form = NewCaseForm()
    if form.validate_on_submit():
        case = case_pages.create(form, current_user, form.partner.partner)
        if case is not None:
            flash(_("Draft %(reference)s saved.", reference=case.reference), "success")
            return redirect(url_for("editorial.case_review", reference=case.reference))
    status = 400 if form.is_submitted() else 200
    return render_template("editorial/new_case.html", form=form), status


@bp.get("/cases/<reference>")
def case_review(reference):
    return review_page(case_pages.case_or_404(reference))


@bp.post("/cases/<reference>")
def save_case(reference):
    case = case_pages.case_or_404(reference, can_edit_case)
    form = CaseStudyForm()
    if not form.validate_on_submit():
        return review_page(case, 400, form=form)
    saved, conflict = case_pages.save(form, case, current_user)
    if saved:
        flash(_("Saved as a new revision."), "success")
        return redirect(url_for("editorial.case_review", reference=case.reference))
    return review_page(case, 409 if conflict else 400, form=form, conflict=conflict)


@bp.post("/cases/<reference>/transition")
def case_transition(reference):
    case = case_pages.case_or_404(reference)
    form = TransitionForm()
    if not form.validate_on_submit():
        return review_page(case, 400)
    done, errors, _ = case_pages.move(case, form, current_user)
    if done:
        flash(case_pages.now_in(case), "success")
        return redirect(url_for("editorial.case_review", reference=case.reference))
    return review_page(case, 400, transition_errors=errors, transition_form=form)


@bp.post("/cases/<reference>/messages")
def case_message(reference):
    case = case_pages.case_or_404(reference)
    form = MessageForm()
    internal = form.internal.data == "1"
    if form.validate_on_submit() and case_pages.post(case, form, current_user, internal):
        flash(_("Internal note added.") if internal else _("Message sent."), "success")
        return redirect(url_for("editorial.case_review", reference=case.reference))
    return review_page(case, 400, message_form=form)


@bp.post("/cases/<reference>/assign")
def assign_case(reference):
    case = case_pages.case_or_404(reference)
    form = AssignForm()
    if not form.validate_on_submit():
        abort(400)
    editor_id = request.form.get("editor_id", type=int)
    editor = db.session.get(User, editor_id) if is_id(editor_id) else None
    if editor_id and editor is None:  # no such user (an id no row can hold included)
        abort(400)
    try:
        queue.assign(case, editor, current_user)
    except queue.AssignmentRefused:
        abort(400)
    flash(
        _("Assigned to %(editor)s.", editor=editor.name or editor.email) if editor
        else _("Unassigned."), "success",
    )  # fmt: skip
    return redirect(url_for("editorial.case_review", reference=case.reference))


@bp.get("/cases/<reference>/compare")
def compare_revisions(reference):
    case = case_pages.case_or_404(reference)
    first, second, changes = case_pages.compare(case, request.args)
    return render_template(
        "cases/compare.html", case=case, first=first, second=second, changes=changes,
        back=url_for("editorial.case_review", reference=case.reference),
    )  # fmt: skip


@bp.post("/cases/<reference>/revisions/<int:number>/restore")
def restore_revision(reference, number):
    case = case_pages.case_or_404(reference, can_edit_case)
    form = RestoreForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        restored = revisions.restore(case, number, current_user, int(form.version.data or -1))
    except (editing.EditConflict, ValueError):
        flash(_("The case changed since you opened it: look at the history again."), "error")
        return redirect(url_for("editorial.case_review", reference=case.reference))
    except editing.CaseInvalid:
        flash(_("That revision is incomplete; a case under review must stay complete."), "error")
        return redirect(url_for("editorial.case_review", reference=case.reference))
    if restored is None:
        abort(404)
    flash(
        _("Revision %(number)s restored as revision %(new)s.", number=number,
          new=restored.number), "success",
    )  # fmt: skip
    return redirect(url_for("editorial.case_review", reference=case.reference))
