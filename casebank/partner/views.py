"""Partner views: parse the form, call the case services (through case_pages), render."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casebank import award_pages, case_pages
from casebank.auth.permissions import (
    can_revise_submission,
    has_organisation,
    is_case_submitter,
)
from casebank.case_forms import AttachmentForm, CaseStudyForm, MessageForm, TransitionForm
from casebank.downloads import file_response
from casebank.partner import bp
from casebank.services import documents
from casebank.services.awards import nominations, rounds
from casebank.services.cases import attachments, queue


def page(case, status=200, **extra):
    context = case_pages.page_context(case, current_user, **extra)
    return render_template("partner/case.html", **context), status


@bp.get("/cases")
def case_list():
    return render_template(
        "partner/cases.html",
        cases=queue.organisation_cases(current_user),
        can_submit=has_organisation(current_user),
    )


@bp.route("/cases/new", methods=["GET", "POST"])
def new_case():
    if not has_organisation(current_user):
        return render_template("partner/no_organisation.html")
    form = CaseStudyForm()
    if form.validate_on_submit():
        case = case_pages.create(form, current_user, current_user.partner)
        if case is not None:
            flash(
                _("Draft %(reference)s saved. Come back to it at any time.",
                  reference=case.reference), "success",
            )  # fmt: skip
            return redirect(url_for("partner.edit_case", reference=case.reference))
    status = 400 if form.is_submitted() else 200
    return render_template("partner/edit.html", form=form, case=None), status


@bp.get("/cases/<reference>")
def case_page(reference):
    return page(case_pages.case_or_404(reference, is_case_submitter))


@bp.route("/cases/<reference>/edit", methods=["GET", "POST"])
def edit_case(reference):
    case = case_pages.case_or_404(reference, is_case_submitter)
    # A save from a page opened before the case was submitted (a second tab, an editor who
    # moved it on) is refused with the typed text given back, not a 404 that loses it.
    locked = not can_revise_submission(current_user, case)
    if locked and request.method == "GET":
        abort(404)
    form = CaseStudyForm() if request.method == "POST" else case_pages.edit_form(case)
    conflict = None
    if form.validate_on_submit() and not locked:
        saved, conflict = case_pages.save(form, case, current_user)
        if saved:
            flash(_("Saved."), "success")
            return redirect(url_for("partner.edit_case", reference=case.reference))
    status = 409 if conflict or locked else 400 if form.is_submitted() else 200
    page_ = render_template(
        "partner/edit.html", form=form, case=case, conflict=conflict, locked=locked
    )
    return page_, status


@bp.post("/cases/<reference>/transition")
def transition(reference):
    case = case_pages.case_or_404(reference, is_case_submitter)
    form = TransitionForm()
    if not form.validate_on_submit():
        return page(case, 400)
    done, errors, findings = case_pages.move(case, form, current_user)
    if done:
        flash(case_pages.now_in(case), "success")
        return redirect(url_for("partner.case_page", reference=case.reference))
    return page(case, 400, transition_errors=errors, findings=findings, transition_form=form)


@bp.post("/cases/<reference>/messages")
def post_message(reference):
    case = case_pages.case_or_404(reference, is_case_submitter)
    form = MessageForm()
    if form.validate_on_submit() and case_pages.post(case, form, current_user):
        flash(_("Message sent."), "success")
        return redirect(url_for("partner.case_page", reference=case.reference))
    return page(case, 400, message_form=form)


@bp.get("/cases/<reference>/compare")
def compare(reference):
    case = case_pages.case_or_404(reference, is_case_submitter)
    first, second, changes = case_pages.compare(case, request.args)
    return render_template(
        "cases/compare.html", case=case, first=first, second=second, changes=changes,
        back=url_for("partner.case_page", reference=case.reference),
    )  # fmt: skip


@bp.post("/cases/<reference>/attachments")
def attach_file(reference):
    case = case_pages.case_or_404(reference, can_revise_submission)
    form = AttachmentForm()
    if form.validate_on_submit() and case_pages.attach(case, form, current_user):
        flash(_("File attached. The editors publish it with the case study."), "success")
        return redirect(url_for("partner.case_page", reference=case.reference))
    return page(case, 400, attachment_form=form)


@bp.get("/cases/<reference>/attachments/<int:document_id>")
def download_attachment(reference, document_id):
    case = case_pages.case_or_404(reference, is_case_submitter)
    document = attachments.attachment(case, document_id) or abort(404)
    documents.record_access("restricted.document.download", document)
    return file_response(document)


# The award: rounds taking nominations, and the organisation's nominations.
@bp.get("/awards")
def award_rounds():
    if not has_organisation(current_user):
        return render_template("partner/no_organisation.html")
    return render_template(
        "awards/partner_rounds.html",
        rounds=nominations.open_rounds(),
        nominations=nominations.organisation_nominations(current_user.partner_id),
    )


@bp.route("/awards/<int:round_id>/nominate", methods=["GET", "POST"])
def nominate(round_id):
    award_round = rounds.get_round(round_id)
    if award_round is None or award_round not in nominations.open_rounds():
        abort(404)
    if not has_organisation(current_user):
        return render_template("partner/no_organisation.html")
    return award_pages.nomination_page(award_round, url_for("partner.award_rounds"))
