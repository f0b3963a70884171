"""Files attached to a case study (photos, X-ray images, documents), each with its own access
level, through the document store and its checks. They start as drafts: an editor publishes
each one on its document page."""

import logging

from flask_babel import gettext as _
from sqlalchemy import select

from casebank.extensions import db
from casebank.models import Document
from casebank.models.vocab import AccessLevel, DocumentKind, DocumentStatus, Language
from casebank.services import documents

log = logging.getLogger(__name__)
ATTACHMENT_KINDS = (DocumentKind.IMAGE, DocumentKind.REPORT, DocumentKind.OTHER)


class AttachmentInvalid(Exception):
    """errors maps a field of the upload form to its messages."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def attach(case, user, data, filename, title, kind, access_level):
    """A draft document attached to case; flushes. Raises AttachmentInvalid (with the store's
    refusal of the file, if any, under "file")."""
    title = (title or "").strip()
    errors = {}
    if not 1 <= len(title) <= 200:
        errors["title"] = [_("Give the file a title of at most 200 characters.")]
    if kind not in ATTACHMENT_KINDS:
        errors["kind"] = [_("Choose what the file is.")]
    if access_level not in AccessLevel._value2member_map_:
        errors["access_level"] = [_("Choose who may read it.")]
    if errors:
        raise AttachmentInvalid(errors)
    fields = {
        "title": title,
        "kind": kind,
        "access_level": access_level,
        "language": Language.EN,
        "status": DocumentStatus.DRAFT,
        "case_study": case,
    }
    try:
        document = documents.create_document(fields, data, filename, user)
    except documents.UploadRejected as rejected:
        raise AttachmentInvalid({"file": [str(rejected)]}) from rejected
    log.info("document %s attached to case %s by user %s", document.id, case.id, user.id)
    return document


def attachments_of(case):
    """Every file of the case, drafts included (for its organisation and the editors)."""
    query = select(Document).filter_by(case_study_id=case.id).order_by(Document.id)
    return list(db.session.scalars(query))


def attachment(case, document_id):
    return db.session.scalar(select(Document).filter_by(id=document_id, case_study_id=case.id))
