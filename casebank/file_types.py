"""What an uploaded file is, judged by its content only (never by its name or the browser's say).

Accepted: PDF, DOCX, ODT, plain UTF-8 text, JPEG and PNG. Anything else, including HTML, SVG
and executables renamed to .pdf, is refused.
"""

import io
import zipfile
from dataclasses import dataclass

from flask_babel import gettext

from casebank.models.vocab import N_


@dataclass(frozen=True)
class FileType:
    media_type: str
    extension: str
    label: str


PDF = FileType("application/pdf", ".pdf", "PDF")
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", "DOCX"
)
ODT = FileType("application/vnd.oasis.opendocument.text", ".odt", "ODT")
TEXT = FileType("text/plain; charset=utf-8", ".txt", N_("plain text"))
JPEG = FileType("image/jpeg", ".jpg", "JPEG")
PNG = FileType("image/png", ".png", "PNG")
ACCEPTED = (PDF, DOCX, ODT, TEXT, JPEG, PNG)


def accepted_labels():
    """The accepted types, named for the reader ("PDF, DOCX, ..., texte brut, ...")."""
    return ", ".join(gettext(t.label) for t in ACCEPTED)


ODT_MIMETYPE = ODT.media_type.encode()
# Text that a browser would treat as markup is refused even though it is valid UTF-8.
MARKUP_STARTS = (b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script", b"<body", b"<head")


def detect(data):
    """The FileType of data, or None when it is none of the accepted types."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"PK\x03\x04"):
        return office_type(data)
    if is_plain_text(data):
        return TEXT
    return None


def office_type(data):
    """DOCX or ODT by their zip entries; only the names and a few bytes are read (no bombs)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
                return DOCX
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    if entry.read(len(ODT_MIMETYPE) + 1).strip() == ODT_MIMETYPE:
                        return ODT
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, NotImplementedError):
        return None
    return None


def is_plain_text(data):
    if not data or b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return not any(marker in head for marker in MARKUP_STARTS)
