"""Small files of every accepted type and some that must be refused, built in memory."""

import io
import zipfile


def zipped(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DOCX = zipped(
    [
        ("[Content_Types].xml", "<Types/>"),
        ("_rels/.rels", "<Relationships/>"),
        ("word/document.xml", "<w:document/>"),
    ]
)
ODT = zipped(
    [
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        ("content.xml", "<office:document-content/>"),
    ]
)
TEXT = "Indicateurs de risque: étiquettes incohérentes.\n".encode()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64

ACCEPTED = {
    "report.pdf": (PDF, "application/pdf"),
    "note.docx": (DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "note.odt": (ODT, "application/vnd.oasis.opendocument.text"),
    "indicators.txt": (TEXT, "text/plain; charset=utf-8"),
    "container.jpg": (JPEG, "image/jpeg"),
    "scan.png": (PNG, "image/png"),
}

REFUSED = {
    "renamed executable": ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64),
    "ELF binary": ("notes.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 64),
    "HTML": ("page.txt", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
    "SVG": ("photo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'),
    "XML": ("data.txt", b'<?xml version="1.0"?><root/>'),
    "zip that is not a document": ("report.docx", zipped([("evil.exe", "MZ")])),
    "ODT mimetype of another type": (
        "sheet.odt",
        zipped([("mimetype", "application/vnd.oasis.opendocument.spreadsheet")]),
    ),
    "binary junk": ("x.jpg", bytes(range(256)) * 4),
    "empty": ("empty.txt", b""),
}


def upload_data(content, filename, **fields):
    data = {
        "title": "A test document",
        "kind": "guidance",
        "access_level": "restricted",
        "language": "en",
        "description": "",
        "case_reference": "",
        "hs_codes": "",
        "indicators": "",
        "last_reviewed_date": "",
        "review_due_date": "",
        "case_references": "",
        "file": (io.BytesIO(content), filename),
    }
    data.update(fields)
    return data
