"""Small files of every accepted type and some that must be refused, built in memory."""

import io
import re
import zipfile

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from casebank.extensions import db
from casebank.models import Document

UPLOAD = "/editorial/documents/new"


def zipped(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


def pdf_with_text(*pages):
    """A real PDF, one page per string, each line drawn in Helvetica (WinAnsi: Latin-1 text)."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    for text in pages:
        page = writer.add_blank_page(595, 842)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        lines = " 0 -16 Td ".join(f"({line}) Tj" for line in text.splitlines())
        content = DecodedStreamObject()
        content.set_data(f"BT /F1 12 Tf 72 770 Td {lines} ET".encode("cp1252"))
        page.replace_contents(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def docx_with_body(body_xml):
    """A DOCX whose word/document.xml has body_xml (w: elements) as its body."""
    document = f'<w:document xmlns:w="{W_NS}"><w:body>{body_xml}</w:body></w:document>'
    return zipped(
        [
            ("[Content_Types].xml", "<Types/>"),
            ("_rels/.rels", "<Relationships/>"),
            ("word/document.xml", document),
        ]
    )


def odt_with_text(text_xml):
    """An ODT whose content.xml has text_xml (text: elements) as its office:text."""
    content = (
        f"<office:document-content {ODF_NS}><office:body><office:text>{text_xml}"
        "</office:text></office:body></office:document-content>"
    )
    return zipped(
        [("mimetype", "application/vnd.oasis.opendocument.text"), ("content.xml", content)]
    )


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


def upload(auth, content, filename, **fields):
    """Post the editorial upload form as an editor does (auth must be logged in)."""
    return auth.post_form(UPLOAD, upload_data(content, filename, **fields))


def uploaded(response):
    """The document an upload created, from the redirect to its page."""
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    document_id = int(re.search(r"/editorial/documents/(\d+)$", response.location).group(1))
    return db.session.get(Document, document_id)


def real_png(size=(40, 30), color=(40, 120, 80)):
    """A real, decodable PNG (the PNG above is only a signature) for thumbnail tests."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()
