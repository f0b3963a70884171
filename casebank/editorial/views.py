"""Editorial views: parse the form, call the documents and risk-indicator services, render."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casebank.downloads import file_response
from casebank.editorial import bp
from casebank.editorial import submissions as submitted
from casebank.editorial.forms import DocumentForm, PublishForm, UploadForm
from casebank.services import documents
from casebank.services.documents import EDITOR


def editable(document_id):
    return documents.get_document(document_id, EDITOR) or abort(404)


@bp.get("/documents")
def document_list():
    filters = documents.DocumentFilters.from_args(request.args)
    return render_template(
        "editorial/documents.html",
        documents=documents.list_documents(EDITOR, filters),
        filters=filters,
        options=documents.filter_options(EDITOR),
    )


@bp.route("/documents/new", methods=["GET", "POST"])
def new_document():
    form = UploadForm()
    if form.validate_on_submit():
        document = submitted.create(form, current_user)
        if document is not None:
            flash(_("“%(title)s” uploaded as a draft.", title=document.title), "success")
            return redirect(url_for("editorial.edit_document", document_id=document.id))
    status = 400 if form.is_submitted() else 200
    return render_template("editorial/upload.html", form=form), status


@bp.get("/documents/<int:document_id>")
def edit_document(document_id):
    document = editable(document_id)
    documents.record_access("restricted.document.view", document)
    return render_template(
        "editorial/document.html",
        document=document,
        form=DocumentForm(data=submitted.form_data(document)),
        publish_form=PublishForm(),
    )


@bp.post("/documents/<int:document_id>")
def update_document(document_id):
    document = editable(document_id)
    form = DocumentForm()
    if form.validate_on_submit() and submitted.update(document, form):
        flash(_("Saved."), "success")
        return redirect(url_for("editorial.edit_document", document_id=document.id))
    page = render_template(
        "editorial/document.html", document=document, form=form, publish_form=PublishForm()
    )
    return page, 400


@bp.post("/documents/<int:document_id>/publication")
def publication(document_id):
    document = editable(document_id)
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    if form.publish.data:
        documents.publish(document, current_user)
        flash(_("Published."), "success")
    else:
        documents.unpublish(document, current_user)
        flash(_("Returned to draft: readers no longer see it."), "success")
    return redirect(url_for("editorial.edit_document", document_id=document.id))


@bp.get("/documents/<int:document_id>/download")
def download(document_id):
    document = editable(document_id)
    documents.record_access("restricted.document.download", document)
    return file_response(document)
