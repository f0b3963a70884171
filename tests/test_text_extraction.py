"""Every accepted type of document gives its text for search; images give none; a damaged or
hostile file gives "" and a warning, cheaply, and never an exception."""

import io
import logging
import time
import tracemalloc
import zipfile

import pytest

from casebank import file_types
from casebank.services import text_extraction
from casebank.services.text_extraction import MAX_CHARS, extract_text
from tests.document_files import (
    DOCX,
    JPEG,
    PNG,
    docx_with_body,
    odt_with_text,
    pdf_with_text,
    zipped,
)

pytestmark = pytest.mark.no_db
PDF_TYPE = file_types.PDF.media_type
DOCX_TYPE = file_types.DOCX.media_type
ODT_TYPE = file_types.ODT.media_type
TEXT_TYPE = file_types.TEXT.media_type


def test_plain_text_is_kept_with_its_paragraphs_and_whitespace_collapsed():
    data = "\ufeff  Civelles\tsaisies \x00 à Orly.\r\n\r\n\r\n\r\nSecond   paragraphe.\n".encode()
    assert extract_text(data, TEXT_TYPE) == "Civelles saisies à Orly.\n\nSecond paragraphe."


def test_pdf_text_is_read_page_by_page():
    data = pdf_with_text("Seizure of glass eels\nat Orly airport", "Saisie à Roissy")
    text = extract_text(data, PDF_TYPE)
    assert text.split("\n") == ["Seizure of glass eels", "at Orly airport", "", "Saisie à Roissy"]


def test_pdf_pages_read_are_capped(monkeypatch):
    monkeypatch.setattr(text_extraction, "MAX_PDF_PAGES", 1)
    assert extract_text(pdf_with_text("first page", "second page"), PDF_TYPE) == "first page"


def test_docx_paragraphs_become_lines_without_deleted_text():
    body = (
        "<w:p><w:r><w:t>Licence</w:t></w:r><w:r><w:tab/><w:t xml:space='preserve'> number"
        " </w:t></w:r></w:p>"
        "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>HFC-134a</w:t><w:br/><w:t>cylinders</w:t>"
        "</w:r></w:p></w:tc></w:tr></w:tbl>"
        "<w:p><w:r><w:delText>withdrawn words</w:delText><w:t>Kept</w:t></w:r></w:p>"
    )
    assert (
        extract_text(docx_with_body(body), DOCX_TYPE) == "Licence number\nHFC-134a\ncylinders\nKept"
    )


def test_odt_paragraphs_become_lines_without_tracked_deletions():
    text = (
        "<text:h>Titre</text:h>"
        "<text:p>Un<text:s/>deux <text:span>trois</text:span> quatre<text:line-break/>cinq</text:p>"
        "<text:tracked-changes><text:p>supprimé</text:p></text:tracked-changes>"
        "<text:p>Fin</text:p>"
    )
    assert extract_text(odt_with_text(text), ODT_TYPE) == "Titre\nUn deux trois quatre\ncinq\nFin"


@pytest.mark.parametrize("data, media_type", [(JPEG, "image/jpeg"), (PNG, "image/png")])
def test_images_have_no_text(data, media_type):
    assert extract_text(data, media_type) == ""


def test_output_is_capped():
    data = ("word " * (MAX_CHARS // 4)).encode()
    assert len(extract_text(data, TEXT_TYPE)) == MAX_CHARS


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'>"
    "<w:body><w:p><w:r><w:t>&lol3;</w:t></w:r></w:p></w:body></w:document>"
)
DAMAGED = {
    "PDF cut short": (pdf_with_text("lost words")[:200], PDF_TYPE),
    "PDF header on junk": (b"%PDF-1.7\n" + bytes(range(256)) * 8, PDF_TYPE),
    "DOCX cut short": (DOCX[:60], DOCX_TYPE),
    "DOCX without its document part": (
        zipped([("[Content_Types].xml", "<Types/>"), ("word/other.xml", "<x/>")]),
        DOCX_TYPE,
    ),
    "DOCX with broken XML": (docx_with_body("<w:p><w:r><w:t>open"), DOCX_TYPE),
    "DOCX with an entity bomb": (
        zipped([("[Content_Types].xml", "<Types/>"), ("word/document.xml", BILLION_LAUGHS)]),
        DOCX_TYPE,
    ),
    "ODT without content": (
        zipped([("mimetype", "application/vnd.oasis.opendocument.text")]),
        ODT_TYPE,
    ),
    "text that is not UTF-8": (b"caf\xe9 cr\xe8me", TEXT_TYPE),
}


@pytest.mark.parametrize("case", DAMAGED)
def test_a_damaged_file_gives_no_text_and_a_warning(case, caplog):
    data, media_type = DAMAGED[case]
    with caplog.at_level(logging.WARNING, logger=text_extraction.__name__):
        assert extract_text(data, media_type) == ""
    (record,) = [r for r in caplog.records if r.name == text_extraction.__name__]
    assert record.levelno == logging.WARNING
    assert "no text extracted from a" in record.getMessage()


def zip_bomb(unpacked_mib):
    """A DOCX whose document part unpacks to unpacked_mib MiB of spaces (about 0.1% of
    that on disk), written in chunks so that building it costs no memory either."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(b"<w:document>")
            for _ in range(unpacked_mib):
                member.write(b" " * 2**20)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(caplog):
    bomb = zip_bomb(512)
    assert len(bomb) < 2**20
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with caplog.at_level(logging.WARNING, logger=text_extraction.__name__):
            assert extract_text(bomb, DOCX_TYPE) == ""
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "TooLarge" in caplog.text
    assert peak < 4 * 2**20
    assert elapsed < 1


def test_a_zip_whose_directory_understates_a_member_gives_no_text():
    bomb = zip_bomb(64)
    # The central directory's "uncompressed size" of the document part, rewritten to 100.
    entry = bomb.rindex(b"PK\x01\x02")
    lying = bytearray(bomb)
    lying[entry + 24 : entry + 28] = (100).to_bytes(4, "little")
    tracemalloc.start()
    try:
        assert extract_text(bytes(lying), DOCX_TYPE) == ""
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20


def test_an_unknown_type_has_no_text():
    assert extract_text(b"MZ\x90\x00", "application/x-msdownload") == ""
