"""Public pages of the feedback section: versions and previews of a public document, and the
feedback form on a document (tied to the version read) and on the site as a whole."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from casebank.downloads import file_response
from casebank.extensions import csrf
from casebank.public import bp
from casebank.public.feedback_forms import FeedbackForm
from casebank.services import document_versions, documents
from casebank.services import feedback as feedback_service
from casebank.services.documents import PUBLIC

THUMBNAIL_HEADERS = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}


def public_document(document_id):
    return documents.get_document(document_id, PUBLIC) or abort(404)


def public_version(document, number):
    return document_versions.get_version(document, number) or abort(404)


def document_page(document, form, status=200):
    page = render_template(
        "public/document.html",
        document=document,
        versions=document.versions,
        current=documents.current_version(document),
        form=form,
        feedback=feedback_service.approved(document.id),
        summary=feedback_service.summary(document.id),
    )
    return page, status


def new_form(version=None):
    form = FeedbackForm(formdata=None)
    form.started.data = feedback_service.form_started_token()
    if version is not None:
        form.version.data = str(version.number)
    return form


@bp.get("/documents/<int:document_id>")
def document_detail(document_id):
    document = public_document(document_id)
    return document_page(document, new_form(documents.current_version(document)))


# The feedback form checks its own CSRF token (FlaskForm) instead of the app-wide check, so
# that a visitor whose token expired gets the form back with what they typed, not an error page.
@bp.post("/documents/<int:document_id>/feedback")
@csrf.exempt
def document_feedback(document_id):
    document = public_document(document_id)
    form = FeedbackForm()
    version = version_read(document, form.version.data)
    status = take_feedback(form, document, version)
    if status is None:
        return redirect(url_for("public.document_detail", document_id=document.id) + "#feedback")
    return document_page(document, refreshed(form), status)


def version_read(document, number):
    """The version the visitor read (the form says which); the current one if it is unknown."""
    text = (number or "").strip()
    found = document_versions.get_version(document, int(text)) if text.isdigit() else None
    return found or documents.current_version(document)


@bp.route("/feedback", methods=["GET", "POST"])
@csrf.exempt
def site_feedback():
    if request.method == "GET":
        return site_page(new_form())
    form = FeedbackForm()
    status = take_feedback(form)
    if status is None:
        return redirect(url_for("public.site_feedback") + "#feedback")
    return site_page(refreshed(form), status)


def site_page(form, status=200):
    page = render_template(
        "public/feedback.html",
        form=form,
        feedback=feedback_service.approved(None),
        summary=feedback_service.summary(None),
    )
    return page, status


def take_feedback(form, document=None, version=None):
    """None when the feedback was taken; otherwise the status of the page that re-shows the
    form with its messages and what was typed."""
    if not form.validate_on_submit():
        return 400
    try:
        feedback_service.check_not_a_robot(form.website.data, form.started.data)
        feedback_service.check_rate_limit()
        feedback_service.submit(form.fields(), document, version)
    except feedback_service.FeedbackRefused as refused:  # nothing was written
        for name, messages in refused.errors.items():
            if name in form:
                form[name].errors = [*form[name].errors, *messages]
            else:
                form.form_errors.extend(messages)  # the summary shows them for the whole form
        return refused.status
    flash(_("Thank you. Your feedback will appear once a moderator has read it."), "success")
    return None


def refreshed(form):
    """The form as typed, with a new start time (the person reads the messages first)."""
    form.started.data = feedback_service.form_started_token()
    form.website.data = ""
    return form


@bp.get("/documents/<int:document_id>/versions/<int:number>/download")
def version_download(document_id, number):
    document = public_document(document_id)
    return file_response(public_version(document, number))


@bp.get("/documents/<int:document_id>/versions/<int:number>/preview.png")
def version_preview(document_id, number):
    version = public_version(public_document(document_id), number)
    thumbnail = documents.read_thumbnail(version) or abort(404)
    return Response(thumbnail, mimetype="image/png", headers=THUMBNAIL_HEADERS)
