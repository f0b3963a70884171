"""Editorial pages for document versions and public feedback: upload a new version, the
moderation queue (one at a time or many at once), replies, and per document the ratings over
time, the count per version, the CSV export and "addressed in a later version"."""

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casebank.auth.permissions import can_read_reply_addresses
from casebank.charts import line_chart, svg_response
from casebank.downloads import content_disposition, file_response
from casebank.editorial import bp
from casebank.editorial.forms import AddressedForm, ModerationForm, ReplyForm, VersionForm
from casebank.editorial.views import editable
from casebank.public.feedback import THUMBNAIL_HEADERS
from casebank.services import document_versions, documents
from casebank.services import feedback as feedback_service
from casebank.services.feedback import FeedbackRefused


def version_of(document, number):
    return document_versions.get_version(document, number) or abort(404)


@bp.route("/documents/<int:document_id>/versions/new", methods=["GET", "POST"])
def new_version(document_id):
    document = editable(document_id)
    form = VersionForm()
    if form.validate_on_submit():
        upload = form.file.data
        if not upload:
            form.file.errors.append(_("Choose a file to upload."))
        else:
            try:
                version = document_versions.add_version(
                    document, form.fields(), upload.read(), upload.filename, current_user
                )
            except documents.UploadRejected as error:
                form.file.errors.append(str(error))
            else:
                flash(_("Version %(label)s is now the current version.", label=version.label),
                      "success")  # fmt: skip
                return redirect(url_for("editorial.edit_document", document_id=document.id))
    status = 400 if form.is_submitted() else 200
    return render_template("editorial/new_version.html", document=document, form=form), status


@bp.get("/documents/<int:document_id>/versions/<int:number>/download")
def version_download(document_id, number):
    document = editable(document_id)
    documents.record_access("restricted.document.download", document)
    return file_response(version_of(document, number))


@bp.get("/documents/<int:document_id>/versions/<int:number>/preview.png")
def version_preview(document_id, number):
    document = editable(document_id)
    version = version_of(document, number)
    documents.record_access("restricted.document.view", document)  # restricted ones only
    thumbnail = documents.read_thumbnail(version) or abort(404)
    response = Response(thumbnail, mimetype="image/png", headers=THUMBNAIL_HEADERS)
    if version.is_restricted:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/feedback")
def feedback_queue():
    filters = feedback_service.QueueFilters.from_args(request.args)
    return render_template(
        "editorial/feedback_queue.html",
        items=feedback_service.queue(filters),
        filters=filters,
        documents=feedback_service.documents_with_feedback(),
        moderations=feedback_service.MODERATIONS,
        form=ModerationForm(),
        show_addresses=can_read_reply_addresses(current_user),
    )


@bp.post("/feedback/moderation")
def moderate_feedback():
    form = ModerationForm()
    action = request.form.get("action", "")
    if not form.validate_on_submit() or action not in feedback_service.MODERATIONS:
        abort(400)
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit() and len(i) < 10]
    if not ids:
        flash(_("Tick at least one piece of feedback first."), "error")
    else:
        changed = feedback_service.moderate(ids, action, current_user)
        flash(_("%(num)s changed.", num=changed), "success")
    return redirect(back_to_queue())


def back_to_queue():
    """The queue with the filters it was seen with (only ours: a path of this site)."""
    filters = {k: request.form.get(k) for k in ("status", "document", "rating")}
    return url_for("editorial.feedback_queue", **{k: v for k, v in filters.items() if v})


@bp.post("/feedback/<int:feedback_id>/reply")
def reply_to_feedback(feedback_id):
    item = feedback_service.get(feedback_id) or abort(404)
    form = ReplyForm()
    if not form.validate_on_submit():
        flash(_("The reply was not saved: at most 2000 characters."), "error")
    else:
        try:
            feedback_service.reply(item, form.reply.data, current_user)
            flash(_("Reply saved. It is shown beneath the feedback once approved."), "success")
        except FeedbackRefused as refused:
            flash(" ".join(refused.errors["reply"]), "error")
    return redirect(back_to_queue() + f"#feedback-{item.id}")


@bp.post("/feedback/<int:feedback_id>/addressed")
def mark_addressed(feedback_id):
    item = feedback_service.get(feedback_id) or abort(404)
    if item.document is None:
        abort(404)
    form = addressed_form(item)
    if not form.validate_on_submit():
        abort(400)
    number = int(form.version.data) if form.version.data else None
    version = document_versions.get_version(item.document, number) if number else None
    try:
        feedback_service.mark_addressed(item, version, current_user)
        flash(_("Saved."), "success")
    except FeedbackRefused as refused:
        flash(" ".join(refused.errors["version"]), "error")
    return redirect(url_for("editorial.document_feedback", document_id=item.document_id))


def addressed_form(item, **kwargs):
    form = AddressedForm(**kwargs)
    later = [
        v for v in item.document.versions if not item.version or v.number > item.version.number
    ]
    form.version.choices = [("", _("Not addressed")), *((str(v.number), v.label) for v in later)]
    return form


@bp.get("/documents/<int:document_id>/feedback")
def document_feedback(document_id):
    document = editable(document_id)
    items = feedback_service.for_document(document.id)
    return render_template(
        "editorial/document_feedback.html",
        document=document,
        items=items,
        months=feedback_service.ratings_by_month(items),
        per_version=feedback_service.count_by_version(document, items),
        summary=feedback_service.summary(document.id),
        addressed_forms={
            item.id: addressed_form(
                item, data={"version": str(item.addressed_in.number) if item.addressed_in else ""}
            )
            for item in items
        },
        show_addresses=can_read_reply_addresses(current_user),
    )


@bp.get("/documents/<int:document_id>/feedback/chart.svg")
def feedback_chart(document_id):
    document = editable(document_id)
    months = feedback_service.ratings_by_month(feedback_service.for_document(document.id))
    svg = line_chart(
        _("Average rating per month (approved feedback)"),
        [month for month, _count, _average in months],
        [(_("Average rating"), [average for _month, _count, average in months])],
        y_range=(0, 5),
    )
    return svg_response(svg)


@bp.get("/documents/<int:document_id>/feedback.csv")
def feedback_csv(document_id):
    document = editable(document_id)
    out = io.StringIO()
    csv.writer(out).writerows(feedback_service.csv_rows(feedback_service.for_document(document.id)))
    response = Response(out.getvalue(), mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = content_disposition(
        f"feedback-document-{document.id}.csv"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
