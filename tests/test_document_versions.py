"""Document versions and previews: an editor uploads a new version, the public page shows the
current one and lists the earlier ones (still downloadable), search indexes the current one,
restricted versions and thumbnails are sealed, previews are made at upload (and a broken file
gives none), and the upload form starts on a neutral kind. Also the migration's version 1."""

import io
import re
from html import unescape

import pytest
from PIL import Image
from sqlalchemy import select, text

from casebank import crypto
from casebank.extensions import db
from casebank.models import AuditEvent, Document, DocumentVersion
from casebank.models.case_study import utc_now
from casebank.services import document_versions, documents
from casebank.services.previews import THUMBNAIL_BOX, make_preview
from casebank.storage import file_store
from tests.auth_actions import csrf_token
from tests.document_files import PNG, pdf_with_text, real_png, upload, uploaded
from tests.search_helpers import Officer, search

V1_WORD, V2_WORD = "marmalade", "quokkaberry"
CITES_TITLE = "CITES at the border: appendices, permits and the part customs plays"


FIRST = f"First edition about {V1_WORD}.\n".encode()


def guide(content=FIRST, access="public", **fields):
    document = documents.create_document(
        {"title": "Versioned guide", "kind": "guidance", "access_level": access,
         "status": "published", **fields},
        content,
        "guide.txt",
    )  # fmt: skip
    db.session.commit()
    return document


def post_version(client, document, content, filename="guide-2.txt", **fields):
    path = f"/editorial/documents/{document.id}/versions/new"
    token = csrf_token(client.get(path).get_data(as_text=True))
    data = {"csrf_token": token, "label": "2.0", "version_date": "2026-11-30",
            "changes": "Adds a checklist.", "file": (io.BytesIO(content), filename),
            **fields}  # fmt: skip
    return client.post(path, data=data, content_type="multipart/form-data")


def test_an_editor_uploads_a_new_version_that_becomes_current(client, auth):
    document = guide()
    auth.login("editor")
    response = post_version(client, document, f"Second edition about {V2_WORD}.\n".encode())
    assert response.status_code == 302
    db.session.refresh(document)
    first, second = sorted(document.versions, key=lambda v: v.number)
    assert (first.number, second.number, second.label) == (1, 2, "2.0")
    assert str(second.version_date) == "2026-11-30" and second.changes == "Adds a checklist."
    # The document row is the current version's file: downloads, the API and search read it.
    assert document.stored_name == second.stored_name
    assert documents.read_file(document) == f"Second edition about {V2_WORD}.\n".encode()
    assert documents.read_version_file(first) == f"First edition about {V1_WORD}.\n".encode()


def test_the_public_page_shows_the_current_version_and_lists_earlier_ones(client):
    document = guide()
    document_versions.add_version(
        document, {"label": "2.0", "version_date": document.created_at.date(),
                   "changes": "Adds a checklist."}, b"Second.\n", "guide-2.txt", None)  # fmt: skip
    db.session.commit()
    html = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "Adds a checklist." in html and "guide-2.txt" in html and "guide.txt" in html
    assert client.get(f"/documents/{document.id}/download").data == b"Second.\n"
    old = client.get(f"/documents/{document.id}/versions/1/download")
    assert old.status_code == 200 and old.data.startswith(b"First edition")
    assert old.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"/documents/{document.id}/versions/3/download").status_code == 404


def test_search_indexes_the_current_version(client, auth):
    document = guide()
    assert search(V1_WORD).total == 1
    document_versions.add_version(
        document, {"label": "2", "version_date": document.created_at.date()},
        f"Second edition about {V2_WORD}.\n".encode(), "g2.txt", None)  # fmt: skip
    db.session.commit()
    assert search(V2_WORD).total == 1
    assert search(V1_WORD).total == 0


def test_versions_of_restricted_and_draft_documents_are_not_public(client):
    restricted = guide(access="restricted")
    draft = guide(status="draft")
    for document in (restricted, draft):
        assert client.get(f"/documents/{document.id}/versions/1/download").status_code == 404
        assert client.get(f"/documents/{document.id}/versions/1/preview.png").status_code == 404


def test_officers_see_a_restricted_documents_versions_and_download_each_audited(client, auth):
    document = guide(access="restricted")
    document_versions.add_version(
        document, {"label": "2.0", "version_date": document.created_at.date(),
                   "changes": "Adds a checklist."}, b"Second.\n", "guide-2.txt", None)  # fmt: skip
    db.session.commit()
    path = f"/restricted/documents/{document.id}/versions/1/download"
    auth.login("officer")
    html = client.get(f"/restricted/documents/{document.id}").get_data(as_text=True)
    assert "Adds a checklist." in html and path in html
    old = client.get(path)
    assert old.status_code == 200 and old.data.startswith(b"First edition")
    downloads = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "restricted.document.download")
    ).all()
    assert [e.target_id for e in downloads][-1] == str(document.id)
    assert client.get(f"/restricted/documents/{document.id}/versions/3/download").status_code == 404


def test_a_refused_new_version_keeps_the_current_one(client, auth):
    document = guide()
    auth.login("editor")
    response = post_version(client, document, b"<html><script>x</script></html>", "x.txt")
    assert response.status_code == 400
    assert "This type of file is not accepted" in response.get_data(as_text=True)
    db.session.refresh(document)
    assert [v.number for v in document.versions] == [1]
    response = post_version(client, document, b"Fine.\n", label="")
    assert response.status_code == 400 and "This field is required." in response.get_data(
        as_text=True
    )


# Restricted versions and thumbnails are sealed; a change of access level re-stores them all
def test_restricted_versions_and_thumbnails_are_sealed_at_rest():
    document = guide(real_png(), access="restricted")
    version = document_versions.add_version(
        document, {"label": "2", "version_date": document.created_at.date()},
        real_png(color=(200, 10, 10)), "poster.png", None)  # fmt: skip
    db.session.commit()
    store = file_store()
    for v in document.versions:
        for name in (v.stored_name, v.preview_name):
            blob = store.read(name)
            assert blob.startswith(crypto.MAGIC) and b"PNG" not in blob[:64]
    thumbnail = documents.read_thumbnail(version)
    assert Image.open(io.BytesIO(thumbnail)).format == "PNG"


def test_changing_the_access_level_re_stores_every_version(client):
    document = guide(access="restricted")
    document_versions.add_version(
        document, {"label": "2", "version_date": document.created_at.date()}, b"Two.\n",
        "two.txt", None)  # fmt: skip
    db.session.commit()
    documents.update_document(document, {"access_level": "public"})
    db.session.commit()
    for version in document.versions:
        assert not file_store().read(version.stored_name).startswith(crypto.MAGIC)
    assert client.get(f"/documents/{document.id}/versions/1/download").data.startswith(b"First")
    assert client.get(f"/documents/{document.id}/download").data == b"Two.\n"


# Previews
def test_a_pdf_gets_a_first_page_thumbnail(client):
    document = guide(pdf_with_text("First page of the guide", "Second page"))
    version = document.versions[0]
    assert version.preview_name and version.preview_text is None
    response = client.get(f"/documents/{document.id}/versions/1/preview.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.width <= THUMBNAIL_BOX[0] and image.height <= THUMBNAIL_BOX[1]
    assert f'src="/documents/{document.id}/versions/1/preview.png"' in client.get(
        f"/documents/{document.id}"
    ).get_data(as_text=True)


def test_an_image_gets_a_thumbnail_no_larger_than_the_box():
    preview = make_preview(real_png(size=(1600, 1200)), "image/png")
    image = Image.open(io.BytesIO(preview.thumbnail))
    assert image.size[0] <= THUMBNAIL_BOX[0] and image.size[1] <= THUMBNAIL_BOX[1]


def test_a_text_gets_a_short_excerpt(client):
    document = guide(("word " * 1000).encode())
    assert len(document.versions[0].preview_text) < 700
    assert "word word" in client.get(f"/documents/{document.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    "content, media_type",
    [
        (PNG, "image/png"),
        (b"%PDF-1.4 broken", "application/pdf"),
        (b"\xff\xd8\xff\xe0 not a jpeg", "image/jpeg"),
    ],  # fmt: skip
)
def test_a_broken_file_gives_no_preview_and_no_error(content, media_type):
    assert make_preview(content, media_type).thumbnail is None


def test_a_broken_image_is_still_uploaded_without_a_preview(client, auth):
    auth.login("editor")
    document = uploaded(upload(auth, PNG, "scan.png", kind="image", access_level="public"))
    assert document.versions[0].preview_name is None
    path = f"/editorial/documents/{document.id}"
    assert client.get(path).status_code == 200


# The upload form
def test_the_upload_form_starts_on_a_neutral_kind_and_a_guide_uploads_as_is(client, auth):
    auth.login("editor")
    html = client.get("/editorial/documents/new").get_data(as_text=True)
    assert '<option selected value="other">' in html or 'value="other" selected' in html
    assert 'data-for-kind="risk_indicator"' in html and "js/document-kind.js" in html
    data = {"title": "A guide", "kind": "guidance", "access_level": "public", "language": "en"}
    token = csrf_token(html)
    response = client.post(
        "/editorial/documents/new",
        data={"csrf_token": token, **data, "file": (io.BytesIO(b"Guide.\n"), "guide.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302


# The migration turned every existing document's file into its version 1
def test_every_demo_document_has_a_version_1_holding_its_file():
    for document in db.session.scalars(select(Document)):
        first = min(document.versions, key=lambda v: v.number)
        assert first.number == 1
        current = documents.current_version(document)
        assert current.stored_name == document.stored_name and current.sha256 == document.sha256


@pytest.mark.no_db
def test_the_migration_makes_each_documents_file_its_version_1(scratch_url):
    from flask_migrate import upgrade

    from casebank import create_app

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": scratch_url})
    with app.app_context():
        upgrade(revision="c41d7e2a9b60")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO documents (id, title, kind, access_level, language, status,"
                    " original_filename, stored_name, media_type, size_bytes, sha256,"
                    " extracted_text, created_at, updated_at) VALUES (7, :blob, 'guidance',"
                    " 'public', 'en', 'draft', :name, 'abc', 'text/plain', 5, 'f00',"
                    " :words, '2025-03-04 10:00:00', '2025-03-04 10:00:00')"
                ),
                {"blob": b"sealed title", "name": b"sealed name", "words": b"sealed words"},
            )
        upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT document_id, number, label, version_date, original_filename,"
                    " stored_name, size_bytes, sha256, extracted_text FROM document_versions"
                )
            ).one()
        assert row[:4] == (7, 1, "1", row[3]) and str(row[3]) == "2025-03-04"
        assert bytes(row[4]) == b"sealed name" and bytes(row[8]) == b"sealed words"
        assert row[5:8] == ("abc", 5, "f00")
        db.engine.dispose()


def test_version_rows_are_unique_per_document_and_number():
    document = guide()
    duplicate = DocumentVersion(
        document=document, number=1, label="again", version_date=document.created_at.date(),
        original_filename="x", stored_name="0" * 32, media_type="text/plain", size_bytes=1,
        sha256="x",
    )  # fmt: skip
    db.session.add(duplicate)
    with pytest.raises(Exception, match="(?i)unique"):
        db.session.flush()
    db.session.rollback()


def test_officers_find_restricted_new_versions_in_their_search():
    document = guide(access="restricted")
    document_versions.add_version(
        document, {"label": "2", "version_date": document.created_at.date()},
        f"Second edition about {V2_WORD}.\n".encode(), "g2.txt", None)  # fmt: skip
    db.session.commit()
    assert search(V2_WORD).total == 0
    assert search(V2_WORD, user=Officer()).total == 1


# Library filters: kind, convention, language, year; sorting by date or title
def library(client, query):
    html = client.get(f"/documents?{query}").get_data(as_text=True)
    return re.findall(r'<a href="/documents/\d+">([^<]+)</a>', unescape(html))


def test_the_library_filters_by_convention_kind_language_and_year(client):
    titles = library(client, "convention=MONTREAL")
    assert titles and all(
        t.startswith(("L'amendement de Kigali", "Operation DEMETER", "iPIC")) for t in titles
    )
    assert "CITES at the border" not in " ".join(titles)
    assert library(client, "convention=CITES&kind=guidance&language=en") == [CITES_TITLE]
    assert library(client, "convention=CITES&kind=report") == []
    this_year = utc_now().year
    assert CITES_TITLE in library(client, f"year={this_year}")
    assert library(client, f"year={this_year - 30}") == []
    html = client.get("/documents?year=abcd&convention=NOPE").get_data(as_text=True)
    assert "Year: “abcd” is not a value we know" in html
    assert "Convention: “NOPE” is not a value we know" in html


def test_the_library_sorts_by_title_or_date(client):
    by_title = library(client, "sort=title")
    assert by_title == sorted(by_title, key=str.casefold)
    newest = guide(title="Zz newest guide")
    assert library(client, "sort=date")[0] == newest.title
    assert library(client, "sort=title")[-1] == newest.title


def test_an_editor_sets_the_conventions_a_document_concerns(client, auth):
    document = guide()
    auth.login("editor")
    path = f"/editorial/documents/{document.id}"
    html = client.get(path).get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "title": "Versioned guide", "kind": "guidance",
            "access_level": "public", "language": "en",
            "document_conventions": ["BASEL"]}  # fmt: skip
    assert client.post(path, data=data).status_code == 302
    assert [c.code for c in document.conventions] == ["BASEL"]
    auth.logout()
    assert "Versioned guide" in library(client, "convention=BASEL")
