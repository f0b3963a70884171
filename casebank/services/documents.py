"""Documents and attachments: upload checks, storage (sealed when restricted), integrity,
searchable text, who sees which document, publication, and re-wrapping stored files after a
key rotation.

The database row and the stored file must agree: a file is written before its row is flushed
and removed again when the flush fails; a file replaced by another (a change of access level)
is removed only once the new row is committed.
"""

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, event, or_, select
from sqlalchemy.orm import Session

from casebank import crypto, file_types
from casebank.auth.audit_trail import audit_request
from casebank.extensions import db
from casebank.models import CaseStudy, Document
from casebank.models.case_study import utc_now
from casebank.models.vocab import (
    AccessLevel,
    DocumentKind,
    DocumentStatus,
    Language,
    WorkflowStatus,
)
from casebank.services import catalogue
from casebank.services.text_extraction import extract_text
from casebank.storage import file_store

log = logging.getLogger(__name__)

PUBLIC, OFFICER, EDITOR = "public", "officer", "editor"  # who is looking
DISCARD_ON_COMMIT = "casebank.discard_files_on_commit"
UNSAFE_NAME_CHARS = re.compile(r"[^\w.\- ()]+")


class UploadRejected(ValueError):
    """The upload is empty, too big or not an accepted type; the message says which."""


class StoredFileError(Exception):
    """The stored file is missing, does not decrypt or does not match its SHA-256."""


def keyring():
    return crypto.Keyring.from_text(current_app.config["ENCRYPTION_KEY"])


def checked_type(data):
    """The content's FileType, or UploadRejected with a message for the editor."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    if not data:
        raise UploadRejected(_("The file is empty."))
    if len(data) > limit:
        raise UploadRejected(
            _("The file is larger than the limit of %(size)s MiB.", size=limit // 2**20)
        )
    file_type = file_types.detect(data)
    if file_type is None:
        raise UploadRejected(
            _(
                "This type of file is not accepted (judged by its content, not its name). "
                "Accepted: %(types)s.",
                types=file_types.accepted_labels(),
            )
        )
    return file_type


def display_name(filename, file_type):
    """The uploaded name, cleaned for display and downloads: no directories, control
    characters or NUL, and an extension that matches the content."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/")
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = PurePosixPath(name).name if name.strip("/ .") else ""
    stem = UNSAFE_NAME_CHARS.sub("_", PurePosixPath(name).stem).strip(" ._")[:150] or "document"
    suffix = PurePosixPath(name).suffix.lower()
    extension = suffix if suffix in EQUIVALENT_EXTENSIONS.get(file_type, ()) else ""
    return stem + (extension or file_type.extension)


EQUIVALENT_EXTENSIONS = {
    file_types.JPEG: (".jpg", ".jpeg"),
    file_types.TEXT: (".txt", ".text", ".md", ".csv"),
    file_types.PDF: (".pdf",),
    file_types.DOCX: (".docx",),
    file_types.ODT: (".odt",),
    file_types.PNG: (".png",),
}


def create_document(fields, data, filename, user=None):
    """A new document (draft unless fields say otherwise) holding data; flushes only.

    fields: title, kind, access_level, language, description, case_study, status.
    Raises UploadRejected for a file that is empty, too big or of a type not accepted.
    """
    file_type = checked_type(data)
    # The defaults are set here, not left to the flush: the file is sealed (or not) before it.
    fields = {"access_level": AccessLevel.RESTRICTED, "status": DocumentStatus.DRAFT, **fields}
    document = Document(
        **fields,
        original_filename=display_name(filename, file_type),
        media_type=file_type.media_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        extracted_text=extract_text(data, file_type.media_type),  # from the plaintext
        created_by_id=getattr(user, "id", None),
    )
    if document.status == DocumentStatus.PUBLISHED:
        document.published_at = utc_now()
    store_file(document, data)
    db.session.add(document)
    flush_or_remove_file(document.stored_name)
    log.info("document %s uploaded by %s", document.id, getattr(user, "id", None))
    return document


def update_document(document, fields):
    """Change a document's metadata; a change of access level re-stores its file (sealed or
    in clear) under a new name. Flushes only."""
    restricted_before = document.is_restricted
    for name, value in fields.items():
        setattr(document, name, value)
    if document.is_restricted != restricted_before:
        data = read_file(document, restricted=restricted_before)
        old_name = document.stored_name
        store_file(document, data)
        flush_or_remove_file(document.stored_name)
        db.session.info.setdefault(DISCARD_ON_COMMIT, []).append(old_name)
    else:
        db.session.flush()
    return document


def publish(document, user):
    document.status = DocumentStatus.PUBLISHED
    document.published_at = document.published_at or utc_now()
    audit_request("document.publish", target=document, actor=user, level=document.access_level)
    db.session.flush()
    return document


def unpublish(document, user):
    document.status = DocumentStatus.DRAFT
    audit_request("document.unpublish", target=document, actor=user)
    db.session.flush()
    return document


def store_file(document, data):
    """Write data under a fresh stored name, sealed when the document is restricted."""
    store = file_store()
    document.stored_name = store.new_name()
    if document.is_restricted:
        data = crypto.seal(data, keyring(), aad=document.stored_name.encode())
    store.write(document.stored_name, data)


def flush_or_remove_file(stored_name):
    try:
        db.session.flush()
    except Exception:
        file_store().remove(stored_name)
        raise


@event.listens_for(Session, "after_commit")
def discard_replaced_files(session):
    for name in session.info.pop(DISCARD_ON_COMMIT, []):
        file_store().remove(name)


@event.listens_for(Session, "after_soft_rollback")
def keep_replaced_files(session, previous_transaction):
    session.info.pop(DISCARD_ON_COMMIT, None)


def read_file(document, restricted=None):
    """The document's bytes, decrypted and checked against the SHA-256 taken at upload.

    Raises StoredFileError (and logs an error) when the file is missing, altered or does not
    decrypt; the caller must then serve an error page, never the bytes.
    """
    restricted = document.is_restricted if restricted is None else restricted
    try:
        data = file_store().read(document.stored_name)
        if restricted:
            data = crypto.open_sealed(data, keyring(), aad=document.stored_name.encode())
    except (OSError, crypto.DecryptionError) as error:
        log.error("stored file of document %s cannot be read: %s", document.id, error)
        raise StoredFileError(f"document {document.id}: unreadable") from error
    if hashlib.sha256(data).hexdigest() != document.sha256:
        log.error("stored file of document %s does not match its SHA-256", document.id)
        raise StoredFileError(f"document {document.id}: checksum mismatch")
    return data


TEXT_BATCH = 20  # documents per commit; each may carry up to a million characters


@dataclass
class TextExtractionReport:
    filled: int = 0
    unreadable: int = 0  # stored files missing or altered; left NULL for a later run


def extract_missing_text(commit):
    """Fill extracted_text of every document that has none yet (uploaded before extraction
    existed), TEXT_BATCH at a time, calling commit() after each batch; safe to interrupt."""
    report, last_id = TextExtractionReport(), 0
    while batch := missing_text_batch(last_id):
        for document in batch:
            fill_extracted_text(document, report)
            last_id = document.id
        db.session.flush()
        commit()
    return report


def missing_text_batch(last_id):
    query = (
        select(Document)
        .where(Document.extracted_text.is_(None), Document.id > last_id)
        .order_by(Document.id)
        .limit(TEXT_BATCH)
    )
    return list(db.session.scalars(query))


def fill_extracted_text(document, report):
    try:
        data = read_file(document)
    except StoredFileError:
        report.unreadable += 1  # read_file has logged why
        return
    document.extracted_text = extract_text(data, document.media_type)
    # Extracting is not editing: keep updated_at (an SQL expression, so onupdate stays out).
    document.updated_at = Document.updated_at
    report.filled += 1


def record_access(action, document):
    """Audit a view or download of restricted material by the current request's user (public
    material is not logged)."""
    if document.is_restricted:
        audit_request(action, target=document)  # no title: the audit log is not encrypted


# Who sees what: everything below starts from visible_documents().
def visible_documents(audience):
    """public: published public documents that are not attached to a case the public cannot
    see; officer: every published one; editor: all."""
    query = select(Document)
    if audience == EDITOR:
        return query
    query = query.where(Document.status == DocumentStatus.PUBLISHED)
    if audience == OFFICER:
        return query
    public_case = Document.case_study.has(
        and_(
            CaseStudy.status == WorkflowStatus.PUBLISHED,
            CaseStudy.access_level == AccessLevel.PUBLIC,
        )
    )
    return query.where(
        Document.access_level == AccessLevel.PUBLIC,
        or_(Document.case_study_id.is_(None), public_case),
    )


def get_document(document_id, audience):
    return db.session.scalar(visible_documents(audience).where(Document.id == document_id))


@dataclass
class DocumentFilters:
    """Filters of a document list, from query arguments; unknown values are reported."""

    kind: str | None = None
    language: str | None = None
    access_level: str | None = None
    text: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args):
        filters = cls(text=(args.get("q") or "").strip()[:100])
        for name, vocabulary, label in (
            ("kind", DocumentKind, _l("Kind")),
            ("language", Language, _l("Language")),
            ("access_level", AccessLevel, _l("Access")),
        ):
            raw = (args.get(name) or "").strip()
            if raw in vocabulary._value2member_map_:
                setattr(filters, name, raw)
            elif raw:
                filters.errors.append(catalogue.filter_ignored(label, raw))
        return filters

    def apply(self, query):
        for name in ("kind", "language", "access_level"):
            if getattr(self, name):
                query = query.where(getattr(Document, name) == getattr(self, name))
        return query


def title_matches(documents, text):
    """Documents whose title holds every word of text. Titles are encrypted, so this runs
    here, not in SQL; the lists it filters are a few hundred rows at most."""
    words = [w.casefold() for w in text.split()[:8]]
    return [d for d in documents if all(w in d.title.casefold() for w in words)]


def by_title(documents):
    return sorted(documents, key=lambda d: (d.title.casefold(), d.id))


def list_documents(audience, filters=None):
    query = visible_documents(audience).order_by(Document.updated_at.desc(), Document.id)
    if filters is None:
        return list(db.session.scalars(query))
    return title_matches(db.session.scalars(filters.apply(query)), filters.text)


def attachments_of(case, audience):
    query = visible_documents(audience).where(Document.case_study_id == case.id)
    return by_title(db.session.scalars(query))


def rewrap_files(keyring, progress):
    """Re-wrap every restricted file's data key under keyring's primary key, in place; returns
    how many files it rewrote (casebank.services.key_rotation's file_rewrappers contract).

    progress(total, label) is a context manager with update(n), like click.progressbar.
    Each file is rewritten atomically and files already under the primary key are skipped,
    so an interrupted run loses nothing and the next run finishes the job.
    """
    store = file_store()
    query = select(Document.id, Document.stored_name).where(
        Document.access_level == AccessLevel.RESTRICTED
    )
    rows = list(db.session.execute(query.order_by(Document.id)))
    rewrapped = 0
    with progress(len(rows), "Re-wrapping stored files") as bar:
        for document_id, stored_name in rows:
            try:
                blob = store.read(stored_name)
            except FileNotFoundError:
                log.error("stored file of document %s is missing; not re-wrapped", document_id)
            else:
                if crypto.needs_rewrap(blob, keyring):
                    store.write(stored_name, crypto.rewrap(blob, keyring))
                    rewrapped += 1
            bar.update(1)
    return rewrapped


def files_left_to_rotate(keyring):
    """How many restricted files are still wrapped by an older key (missing ones count too):
    the old key must stay configured until this is 0."""
    query = select(Document.stored_name).where(Document.access_level == AccessLevel.RESTRICTED)
    store, left = file_store(), 0
    for stored_name in db.session.scalars(query):
        try:
            left += crypto.needs_rewrap(store.read(stored_name), keyring)
        except FileNotFoundError:
            left += 1
    return left
