"""A new version of a document: its file is checked like any upload, stored (sealed when the
document is restricted), previewed, and becomes the document's current file, so search
indexes it; earlier versions stay downloadable."""

import hashlib
import logging

from casebank.auth.audit_trail import audit_request
from casebank.services.documents import (
    checked_type,
    copy_file_fields,
    current_version,
    display_name,
    flush_or_remove_file,
    new_version,
    store_file,
    store_preview,
)
from casebank.services.text_extraction import extract_text

log = logging.getLogger(__name__)


def add_version(document, fields, data, filename, user):
    """fields: label, version_date, changes. Raises UploadRejected for a file not accepted;
    flushes only."""
    file_type = checked_type(data)
    number = current_version(document).number + 1
    document.original_filename = display_name(filename, file_type)
    document.media_type = file_type.media_type
    document.size_bytes = len(data)
    document.sha256 = hashlib.sha256(data).hexdigest()
    document.extracted_text = extract_text(data, file_type.media_type)
    store_file(document, data)
    version = new_version(document, number, fields, user)
    copy_file_fields(document, version)
    store_preview(version, data)
    flush_or_remove_file(version.stored_name, version.preview_name)
    audit_request("document.new_version", target=document, actor=user, level=document.access_level)
    log.info(
        "document %s version %s uploaded by %s", document.id, number, getattr(user, "id", None)
    )
    return version


def get_version(document, number):
    return next((v for v in document.versions if v.number == number), None)
