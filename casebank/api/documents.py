"""/api/v1/documents: published documents' metadata and files, public ones for everyone and
restricted ones for officers' tokens (each view and download of those audited)."""

from flask import abort, request, url_for

from casebank.api import bp
from casebank.api.paging import page_args, page_response
from casebank.auth.permissions import current_user, is_officer
from casebank.downloads import file_response
from casebank.models.vocab import DocumentStatus
from casebank.services import documents


def audience(user):
    return documents.OFFICER if is_officer(user) else documents.PUBLIC


def document_json(document):
    published = document.status == DocumentStatus.PUBLISHED
    return {
        "id": document.id,
        "title": document.title,
        "kind": str(document.kind),
        "language": str(document.language),
        "access_level": str(document.access_level),
        "status": str(document.status),
        "description": document.description,
        "media_type": document.media_type,
        "size_bytes": document.size_bytes,
        "sha256": document.sha256,
        "case_reference": document.case_study.reference if document.case_study else None,
        "published_at": document.published_at.isoformat() if document.published_at else None,
        "download_url": url_for("api.document_file", document_id=document.id, _external=True)
        if published
        else None,
    }


@bp.get("/documents")
def document_list():
    page, per_page = page_args()
    filters = documents.DocumentFilters.from_args(request.args)
    if audience(current_user()) == documents.PUBLIC:
        filters.access_level = None  # the public list holds public documents only anyway
    found = documents.list_documents(audience(current_user()), filters)
    shown = found[(page - 1) * per_page : page * per_page]
    return page_response([document_json(d) for d in shown], len(found), page, per_page,
                         filters.errors)  # fmt: skip


def visible_or_404(document_id):
    document = documents.get_document(document_id, audience(current_user())) or abort(404)
    return document


@bp.get("/documents/<int:document_id>")
def document_detail(document_id):
    document = visible_or_404(document_id)
    documents.record_access("api.restricted.document.view", document)
    return document_json(document)


@bp.get("/documents/<int:document_id>/file")
def document_file(document_id):
    document = visible_or_404(document_id)
    documents.record_access("api.restricted.document.download", document)
    return file_response(document)
