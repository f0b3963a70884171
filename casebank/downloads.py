"""Serving a stored document: always as an attachment, never sniffed, never cached when
restricted, and never at all when its integrity check fails (a 500 page instead)."""

import unicodedata
from urllib.parse import quote

from flask import Response, abort

from casebank.services import documents

ATTACHMENT_CSP = "sandbox; default-src 'none'"


def ascii_filename(name):
    """A plain-ASCII fallback for old clients: letters, digits, dot, dash, underscore."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in folded).strip("._")
    return safe or "document"


def content_disposition(name):
    return f"attachment; filename=\"{ascii_filename(name)}\"; filename*=UTF-8''{quote(name)}"


def file_response(document):
    """The document's (or a document version's) bytes as a download; 500 (logged by the
    service) if they fail the check."""
    read = documents.read_version_file if hasattr(document, "number") else documents.read_file
    try:
        data = read(document)
    except documents.StoredFileError:
        abort(500)
    response = Response(data, mimetype=document.media_type.split(";")[0])
    if document.media_type.startswith("text/"):
        response.charset = "utf-8"
    response.headers["Content-Disposition"] = content_disposition(document.original_filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = ATTACHMENT_CSP
    response.headers["Cache-Control"] = "no-store" if document.is_restricted else "private"
    return response
