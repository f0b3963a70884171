"""Every document carries its text for search, sealed in the database: filled at upload from
the plaintext, and by `flask casebank extract-text` for documents stored before."""

import pytest
from sqlalchemy import select, text, update

from casebank.models import Document
from casebank.services import documents
from casebank.storage import file_store
from tests.document_files import (
    JPEG,
    docx_with_body,
    pdf_with_text,
    upload,
    uploaded,
)

CANARY = "canary-extracted-okapi-4417"
UPLOADS = {
    "note.txt": f"Routing notes.\n\nThe {CANARY} shipment.\n".encode(),
    "report.pdf": pdf_with_text(f"Routing notes\nThe {CANARY} shipment"),
    "note.docx": docx_with_body(f"<w:p><w:r><w:t>The {CANARY} shipment</w:t></w:r></w:p>"),
}


def raw_extracted_text(db, document):
    query = text("SELECT extracted_text FROM documents WHERE id = :id")
    return bytes(db.session.execute(query, {"id": document.id}).scalar_one())


def make_document(content, filename, **fields):
    fields = {"title": "A document", "kind": "report", "access_level": "public", **fields}
    return documents.create_document(fields, content, filename)


@pytest.mark.parametrize("access_level", ["public", "restricted"])
@pytest.mark.parametrize("filename", UPLOADS)
def test_an_upload_stores_its_text_sealed(auth, db, filename, access_level):
    auth.login("editor")
    document = uploaded(upload(auth, UPLOADS[filename], filename, access_level=access_level))
    assert CANARY in document.extracted_text
    assert CANARY.encode() not in raw_extracted_text(db, document)
    assert b"shipment" not in raw_extracted_text(db, document)


def test_an_image_has_empty_text_not_missing_text(db):
    assert make_document(JPEG, "seizure.jpg", kind="image").extracted_text == ""


def forget_text(db, *document_list):
    ids = [d.id for d in document_list]
    db.session.execute(update(Document).where(Document.id.in_(ids)).values(extracted_text=None))
    db.session.expire_all()


def test_extract_text_fills_documents_without_text(db, runner, monkeypatch):
    monkeypatch.setattr(documents, "TEXT_BATCH", 2)  # several batches, each committed
    made = [
        make_document(UPLOADS["note.txt"], "a.txt", access_level="public"),
        make_document(UPLOADS["report.pdf"], "b.pdf", access_level="restricted"),
        make_document(UPLOADS["note.docx"], "c.docx", access_level="restricted"),
        make_document(JPEG, "d.jpg", kind="image", access_level="restricted"),
    ]
    db.session.commit()
    forget_text(db, *made)
    edited = {d.id: d.updated_at for d in made}
    result = runner.invoke(args=["casebank", "extract-text"])
    assert result.exit_code == 0, result.output
    assert "Text extracted from 4 document(s)." in result.output
    db.session.expire_all()
    assert [CANARY in d.extracted_text for d in made] == [True, True, True, False]
    assert made[3].extracted_text == ""
    assert {d.id: d.updated_at for d in made} == edited  # extracting is not editing
    missing = db.session.scalars(select(Document).where(Document.extracted_text.is_(None)))
    assert list(missing) == []


def test_extract_text_leaves_an_unreadable_file_for_a_later_run(db, runner):
    kept = make_document(UPLOADS["note.txt"], "kept.txt")
    lost = make_document(UPLOADS["note.txt"], "lost.txt")
    db.session.commit()
    file_store().remove(lost.stored_name)
    forget_text(db, kept, lost)
    result = runner.invoke(args=["casebank", "extract-text"])
    assert result.exit_code == 0, result.output
    assert "Text extracted from 1 document(s)." in result.output
    assert "1 stored file(s) missing or altered" in result.output
    db.session.expire_all()
    assert CANARY in kept.extracted_text
    assert lost.extracted_text is None


def test_extract_text_with_nothing_to_do_changes_nothing(runner):
    result = runner.invoke(args=["casebank", "extract-text"])
    assert result.exit_code == 0, result.output
    assert "Text extracted from 0 document(s)." in result.output
