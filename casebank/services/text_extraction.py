"""The words of an uploaded document, for search: extract_text(data, media_type).

Uploads are untrusted. Each reader bounds its work (pages read, a zip member's unpacked size,
characters kept), and a damaged or hostile file gives "" and a warning, never an exception:
a file that cannot be read is still a document, only one that search cannot look into.
"""

import io
import logging
import re
import unicodedata
import zipfile

import defusedxml.ElementTree
import pypdf

from casebank import file_types

log = logging.getLogger(__name__)

MAX_CHARS = 1_000_000  # kept per document; more adds little to search and much to the index
# Raw text read before whitespace is collapsed: runs of blanks shrink, so read some more.
MAX_RAW_CHARS = 4 * MAX_CHARS
MAX_PDF_PAGES = 2_000
# A zip member's unpacked size; a zip bomb stops here. Parsed, XML takes about ten times its
# size in memory; 8 MiB of Word XML holds some 2.5 million characters, more than MAX_CHARS.
MAX_XML_BYTES = 8 * 2**20

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ODF_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
ODF_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
BLANK_LINES = re.compile(r"\n{3,}")


class TooLarge(ValueError):
    """A part of the file is larger than this module agrees to read."""


def extract_text(data: bytes, media_type: str) -> str:
    """The text of data, whitespace normalised, one paragraph per line (blank lines kept
    between paragraphs of plain text), at most MAX_CHARS characters; "" for an image, an
    unknown type or a file that cannot be read."""
    reader = READERS.get(media_type)
    if reader is None:
        return ""
    try:
        raw = reader(data)
    except Exception as error:  # hostile input can break a parser in any way at all
        log.warning("no text extracted from a %s file: %r", media_type, error)
        return ""
    return normalised(raw[:MAX_RAW_CHARS])[:MAX_CHARS]


def normalised(text):
    """NFC; in each line, runs of spaces, tabs and control characters become one space; at
    most one blank line in a row; no blanks at either end."""
    lines = unicodedata.normalize("NFC", text).splitlines()
    joined = "\n".join(SPACE_OR_CONTROL.sub(" ", line).strip() for line in lines)
    return BLANK_LINES.sub("\n\n", joined).strip()


def plain_text(data):
    return data.decode("utf-8-sig")


def pdf_text(data):
    """The text of the first MAX_PDF_PAGES pages, stopping once MAX_RAW_CHARS are read."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt("")  # many PDFs are encrypted only with an empty user password
    pages, length = [], 0
    for page in reader.pages[:MAX_PDF_PAGES]:
        pages.append(page.extract_text() or "")
        length += len(pages[-1])
        if length >= MAX_RAW_CHARS:
            break
    return "\n\n".join(pages)


def zip_member_xml(data, name):
    """The parsed XML of one zip member, refused when it unpacks to more than MAX_XML_BYTES.

    The size the zip declares is checked before anything is unpacked, and exactly that much
    is read: zipfile unpacks no further, so a zip that understates a member's size gives
    truncated XML (which fails to parse), never more bytes than it declared."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
        if info.file_size > MAX_XML_BYTES:
            raise TooLarge(f"{name} unpacks to {info.file_size} bytes")
        with archive.open(info) as member:
            content = member.read(info.file_size)
    # No DTD at all: office documents have none, and entities are how XML bombs explode.
    return defusedxml.ElementTree.fromstring(content, forbid_dtd=True)


def docx_text(data):
    """The body's paragraphs; text sits in w:t runs only (deleted text and field codes have
    tags of their own and are left out)."""
    parts = []
    for element in zip_member_xml(data, "word/document.xml").iter():
        if element.tag == W + "p":
            parts.append("\n")  # iter() is in document order: a paragraph starts a line
        elif element.tag == W + "t":
            parts.append(element.text or "")
        elif element.tag == W + "tab":
            parts.append(" ")
        elif element.tag in (W + "br", W + "cr"):
            parts.append("\n")
    return "".join(parts)


ODF_PARAGRAPHS = {ODF_TEXT + "p", ODF_TEXT + "h"}
ODF_SPACES = {ODF_TEXT + "s": " ", ODF_TEXT + "tab": " ", ODF_TEXT + "line-break": "\n"}
ODF_SKIPPED = {ODF_TEXT + "tracked-changes"}  # deleted text lives there


def odt_text(data):
    """The text of office:body; ODF text is mixed content (words between child elements)."""
    body = zip_member_xml(data, "content.xml").find(ODF_OFFICE + "body")
    parts = []
    if body is not None:
        collect_odf_text(body, parts)
    return "".join(parts)


def collect_odf_text(element, parts):
    if element.tag in ODF_PARAGRAPHS:
        parts.append("\n")
    parts.append(ODF_SPACES.get(element.tag, element.text or ""))
    for child in element:
        if child.tag not in ODF_SKIPPED:
            collect_odf_text(child, parts)
        parts.append(child.tail or "")


def no_text(data):
    return ""


READERS = {
    file_types.PDF.media_type: pdf_text,
    file_types.DOCX.media_type: docx_text,
    file_types.ODT.media_type: odt_text,
    file_types.TEXT.media_type: plain_text,
    file_types.JPEG.media_type: no_text,
    file_types.PNG.media_type: no_text,
}
