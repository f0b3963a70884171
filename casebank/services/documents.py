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
from datetime import datetime
from pathlib import PurePosixPath

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, event, func, or_, select
from sqlalchemy.orm import Session

from casebank import crypto, file_types
from casebank.auth.audit_trail import audit_request
from casebank.extensions import db
from casebank.models import CaseStudy, Convention, Document, DocumentVersion
from casebank.models.case_study import utc_now
from casebank.models.vocab import (
    AccessLevel,
    DocumentKind,
    DocumentStatus,
    Language,
    WorkflowStatus,
)
from casebank.services import catalogue, previews
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
    first = new_version(document, 1, {"label": "1", "version_date": utc_now().date()}, user)
    copy_file_fields(document, first)
    store_preview(first, data)
    db.session.add(document)
    flush_or_remove_file(document.stored_name, first.preview_name)
    log.info("document %s uploaded by %s", document.id, getattr(user, "id", None))
    return document


def update_document(document, fields):
    """Change a document's metadata; a change of access level re-stores its file (sealed or
    in clear) under a new name. Flushes only."""
    restricted_before = document.is_restricted
    for name, value in fields.items():
        setattr(document, name, value)
    if document.is_restricted != restricted_before:
        restore_versions(document, restricted_before)
    else:
        db.session.flush()
    return document


def restore_versions(document, restricted_before):
    """After a change of access level: every version's file and thumbnail stored again,
    sealed or in clear, under new names; the old files go once the change is committed."""
    old_names, new_names = [], []
    for version in document.versions:
        data = read_version_file(version, restricted=restricted_before)
        thumbnail = read_thumbnail(version, restricted=restricted_before)
        old_names += [version.stored_name, version.preview_name]
        version.stored_name = write_sealed(data, document.is_restricted)
        version.preview_name = thumbnail and write_sealed(thumbnail, document.is_restricted)
        new_names += [version.stored_name, version.preview_name]
    copy_file_fields(document, current_version(document))
    flush_or_remove_file(*new_names)
    db.session.info.setdefault(DISCARD_ON_COMMIT, []).extend(n for n in old_names if n)


# Versions: the document row mirrors its current version's file (search and the API read it).
VERSION_FILE_FIELDS = ("original_filename", "stored_name", "media_type", "size_bytes", "sha256",
                       "extracted_text")  # fmt: skip


def new_version(document, number, fields, user=None):
    """A version holding the file just stored for document (store_file), with fields: label,
    version_date and changes."""
    version = DocumentVersion(
        number=number,
        **fields,
        **{name: getattr(document, name) for name in VERSION_FILE_FIELDS},
        created_by_id=getattr(user, "id", None),
    )
    document.versions.append(version)
    return version


def copy_file_fields(document, version):
    for name in VERSION_FILE_FIELDS:
        setattr(document, name, getattr(version, name))
    return version


def current_version(document):
    return max(document.versions, key=lambda v: v.number)


def store_preview(version, data):
    """The version's thumbnail (stored, sealed like its file) or text excerpt, if any."""
    preview = previews.make_preview(data, version.media_type, version.extracted_text)
    version.preview_text = preview.text
    if preview.thumbnail:
        version.preview_name = write_sealed(preview.thumbnail, version.document.is_restricted)


def write_sealed(data, restricted):
    """data under a fresh stored name, sealed (bound to the name) when restricted."""
    store = file_store()
    name = store.new_name()
    if restricted:
        data = crypto.seal(data, keyring(), aad=name.encode())
    store.write(name, data)
    return name


def read_stored(name, restricted):
    data = file_store().read(name)
    return crypto.open_sealed(data, keyring(), aad=name.encode()) if restricted else data


def read_version_file(version, restricted=None):
    """A version's bytes, checked like read_file's (StoredFileError when they fail)."""
    restricted = version.document.is_restricted if restricted is None else restricted
    return checked_file("version", version, restricted)


def read_thumbnail(version, restricted=None):
    """The version's PNG thumbnail, or None when it has none or it cannot be read."""
    if not version.preview_name:
        return None
    restricted = version.document.is_restricted if restricted is None else restricted
    try:
        return read_stored(version.preview_name, restricted)
    except (OSError, crypto.DecryptionError) as error:
        log.error("thumbnail of version %s cannot be read: %s", version.id, error)
        return None


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


def flush_or_remove_file(*stored_names):
    try:
        db.session.flush()
    except Exception:
        for name in stored_names:
            if name:
                file_store().remove(name)
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
    return checked_file("document", document, restricted)


def checked_file(what, holder, restricted):
    """The bytes under holder.stored_name (a document or a version), opened when restricted
    and checked against holder.sha256; StoredFileError (logged) when they fail."""
    try:
        data = read_stored(holder.stored_name, restricted)
    except (OSError, crypto.DecryptionError) as error:
        log.error("stored file of %s %s cannot be read: %s", what, holder.id, error)
        raise StoredFileError(f"{what} {holder.id}: unreadable") from error
    if hashlib.sha256(data).hexdigest() != holder.sha256:
        log.error("stored file of %s %s does not match its SHA-256", what, holder.id)
        raise StoredFileError(f"{what} {holder.id}: checksum mismatch")
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
    convention: str | None = None
    year: int | None = None
    sort: str = "date"  # or "title"

    @classmethod
    def from_args(cls, args):
        filters = cls(text=(args.get("q") or "").strip()[:100])
        filters.sort = "title" if args.get("sort") == "title" else "date"
        convention = (args.get("convention") or "").strip().upper()
        if convention in {c.code for c in catalogue.all_conventions()}:
            filters.convention = convention
        elif convention:
            filters.errors.append(catalogue.filter_ignored(_l("Convention"), convention))
        year = (args.get("year") or "").strip()
        if year.isdigit() and len(year) == 4:
            filters.year = int(year)
        elif year:
            filters.errors.append(catalogue.filter_ignored(_l("Year"), year))
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
        if self.convention:
            query = query.where(Document.conventions.any(Convention.code == self.convention))
        if self.year:
            start, end = datetime(self.year, 1, 1), datetime(self.year + 1, 1, 1)
            query = query.where(DOCUMENT_DATE >= start, DOCUMENT_DATE < end)
        return query


# A document's date in the library: when it was published (else uploaded).
DOCUMENT_DATE = func.coalesce(Document.published_at, Document.created_at)


def filter_options(audience):
    """What the library's convention and year filters offer."""
    conventions = [(c.code, c.translated_short_name) for c in catalogue.all_conventions()]
    return {"conventions": conventions, "years": document_years(audience)}


def document_years(audience):
    """The years of the documents audience may see, newest first (the year filter's options)."""
    query = visible_documents(audience).with_only_columns(DOCUMENT_DATE).distinct()
    years = {value.year if hasattr(value, "year") else int(str(value)[:4])
             for value in db.session.scalars(query)}  # fmt: skip
    return sorted(years, reverse=True)


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
    if filters.sort == "date":
        query = query.order_by(None).order_by(DOCUMENT_DATE.desc(), Document.id.desc())
    found = title_matches(db.session.scalars(filters.apply(query)), filters.text)
    return by_title(found) if filters.sort == "title" else found


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
    rows = restricted_stored_names()
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
    store, left = file_store(), 0
    for _document_id, stored_name in restricted_stored_names():
        try:
            left += crypto.needs_rewrap(store.read(stored_name), keyring)
        except FileNotFoundError:
            left += 1
    return left


def restricted_stored_names():
    """(document id, stored name) of every sealed file: each version's file and thumbnail
    (the current version's file is the document's own), once each, by document."""
    restricted = Document.access_level == AccessLevel.RESTRICTED
    files = select(Document.id, Document.stored_name).where(restricted)
    versions = (
        select(
            DocumentVersion.document_id, DocumentVersion.stored_name, DocumentVersion.preview_name
        )
        .join(Document)
        .where(restricted)
    )
    names = set(db.session.execute(files))
    for document_id, stored_name, preview_name in db.session.execute(versions):
        names.add((document_id, stored_name))
        if preview_name:
            names.add((document_id, preview_name))
    return sorted(names)
