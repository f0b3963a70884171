"""Documents and attachments: what an upload must be, where and how it is stored, who gets it
back, with which headers, and what the audit log keeps of it."""

import hashlib
import io
import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import select, text

from casebank import crypto
from casebank.extensions import db as _db
from casebank.models import AuditEvent, Document
from casebank.services import documents
from casebank.storage import file_store
from tests.document_files import (
    ACCEPTED,
    PDF,
    REFUSED,
    TEXT,
    UPLOAD,
    upload,
    uploaded,
)
from tests.factories import make_case

CANARY = "canary-document-narwhal-5521"


def stored_paths(app):
    return {p for p in Path(app.config["FILE_STORE_DIR"]).rglob("*") if p.is_file()}


def make_document(content=TEXT, filename="note.txt", **fields):
    fields = {"title": "A document", "kind": "guidance", **fields}
    return documents.create_document(fields, content, filename)


def without_tokens(response):
    return re.sub(r'value="[^"]+"', "", response.get_data(as_text=True))


def events(action):
    return list(_db.session.scalars(select(AuditEvent).filter_by(action=action)))


# Uploads: what is accepted, what is refused and why
@pytest.mark.parametrize("filename", ACCEPTED)
def test_editor_uploads_each_accepted_type(auth, filename):
    content, media_type = ACCEPTED[filename]
    auth.login("editor")
    document = uploaded(upload(auth, content, filename, access_level="public"))
    assert document.media_type == media_type
    assert document.size_bytes == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.original_filename == filename
    assert document.status == "draft"
    assert documents.read_file(document) == content


@pytest.mark.parametrize("case", REFUSED)
def test_uploads_are_judged_by_content_not_name(app, auth, db, case):
    filename, content = REFUSED[case]
    auth.login("editor")
    before = stored_paths(app)
    response = upload(auth, content, filename, title="Kept title")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "not accepted" in page or "empty" in page
    assert "Kept title" in page
    assert all(d.title != "Kept title" for d in db.session.scalars(select(Document)))
    assert stored_paths(app) == before


def test_an_upload_without_a_file_asks_for_one(auth):
    auth.login("editor")
    response = upload(auth, b"", "")
    assert response.status_code == 400
    assert "Choose a file to upload" in response.get_data(as_text=True)


def test_a_file_over_the_cap_is_refused_with_a_message(app, auth, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    auth.login("editor")
    response = upload(auth, PDF + b"0" * 2048, "big.pdf")
    assert response.status_code == 400
    assert "larger than the limit of" in response.get_data(as_text=True)


def test_a_body_over_the_request_limit_answers_413_without_being_read(app, auth, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    auth.login("editor")
    response = upload(auth, PDF + b"0" * 8192, "huge.pdf")
    assert response.status_code == 413
    assert "Go back and choose a smaller file" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "filename",
    ["../../etc/passwd", "..\\..\\windows\\win.ini", "/tmp/abs.txt", "a\x00b.txt", "....//x.txt",
     "\u202egnp.txt", "con"],
)  # fmt: skip
def test_uploaded_names_never_become_paths(app, auth, filename):
    auth.login("editor")
    before = stored_paths(app)
    document = uploaded(upload(auth, TEXT, filename))
    name = document.original_filename
    assert "/" not in name and "\\" not in name and "\x00" not in name and ".." not in name
    assert name.endswith(".txt") and not name.startswith(".")
    new = stored_paths(app) - before
    assert len(new) == 1
    (path,) = new
    assert path.name == document.stored_name
    assert path.is_relative_to(Path(app.config["FILE_STORE_DIR"]))
    assert re.fullmatch(r"[0-9a-f]{32}", document.stored_name)


def test_a_name_that_does_not_match_the_content_gets_the_content_extension(db):
    assert make_document(PDF, "report.html").original_filename == "report.pdf"


def test_a_failed_database_write_leaves_no_file(app, db):
    before = stored_paths(app)
    with pytest.raises(Exception):  # noqa: B017 - whatever the database raises
        make_document(kind="not-a-kind")
    db.session.rollback()
    assert stored_paths(app) == before


# Encryption at rest and integrity
def test_restricted_files_are_encrypted_at_rest_public_ones_are_not(app, db):
    restricted = make_document(f"Restricted {CANARY}\n".encode(), access_level="restricted")
    public = make_document(f"Public {CANARY}-public\n".encode(), access_level="public")
    found = {
        path
        for path in Path(app.config["DATA_DIR"]).rglob("*")
        if path.is_file() and CANARY.encode() in path.read_bytes()
    }
    assert found == {file_store().path_for(public.stored_name)}  # so the search can find one
    assert CANARY.encode() in documents.read_file(restricted)


def test_a_document_uploaded_without_an_access_level_is_restricted_and_sealed(app, db):
    document = make_document(f"Unmarked {CANARY}\n".encode())
    assert document.access_level == "restricted"
    assert CANARY.encode() not in file_store().path_for(document.stored_name).read_bytes()
    assert CANARY.encode() in documents.read_file(document)


def test_a_tampered_file_is_never_served(app, auth, db, caplog):
    document = make_document(f"Orders {CANARY}\n".encode(), access_level="public")
    documents.publish(document, None)
    path = file_store().path_for(document.stored_name)
    path.write_bytes(path.read_bytes().replace(b"Orders", b"Ordres"))
    with caplog.at_level(logging.ERROR, logger="casebank.services.documents"):
        response = auth.client.get(f"/documents/{document.id}/download")
    assert response.status_code == 500
    assert CANARY not in response.get_data(as_text=True)
    assert "does not match its SHA-256" in caplog.text


def test_a_tampered_sealed_file_is_never_served(app, auth, db, caplog):
    document = make_document(access_level="restricted", status="published")
    path = file_store().path_for(document.stored_name)
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1
    path.write_bytes(bytes(blob))
    auth.login("officer")
    with caplog.at_level(logging.ERROR, logger="casebank.services.documents"):
        response = auth.client.get(f"/restricted/documents/{document.id}/download")
    assert response.status_code == 500
    assert "cannot be read" in caplog.text


def test_changing_the_access_level_reseals_the_file(app, db):
    document = make_document(f"Plain {CANARY}\n".encode(), access_level="public")
    old_path = file_store().path_for(document.stored_name)
    documents.update_document(document, {"access_level": "restricted"})
    new_path = file_store().path_for(document.stored_name)
    assert CANARY.encode() not in new_path.read_bytes()
    db.session.commit()  # a savepoint here; the old file goes once the change is committed
    assert not old_path.exists()
    assert CANARY.encode() in documents.read_file(document)


# Who gets a file
RESTRICTED_DOWNLOADS = ["/documents/{id}/download", "/restricted/documents/{id}/download",
                        "/restricted/documents/{id}"]  # fmt: skip


@pytest.mark.parametrize("role", ["anonymous", "partner", "expired_officer"])
@pytest.mark.parametrize("state", [("restricted", "published"), ("public", "draft")])
def test_restricted_and_draft_documents_answer_404_like_missing_ones(auth, db, role, state):
    access_level, status = state
    document = make_document(access_level=access_level, status=status)
    auth.login(role)
    auth.client.get("/")  # shows, and so clears, the login's flashed message
    missing = auth.client.get("/documents/999999/download")
    answer = auth.client.get(f"/documents/{document.id}/download")
    assert answer.status_code == missing.status_code == 404
    assert without_tokens(answer) == without_tokens(missing)
    if role != "anonymous":
        for path in RESTRICTED_DOWNLOADS[1:]:
            assert auth.client.get(path.format(id=document.id)).status_code == 404


def test_officers_get_restricted_published_documents_not_drafts(auth, db):
    published = make_document(access_level="restricted", status="published")
    draft = make_document(access_level="restricted", status="draft")
    auth.login("officer")
    assert auth.client.get(f"/restricted/documents/{published.id}/download").status_code == 200
    assert auth.client.get(f"/restricted/documents/{draft.id}/download").status_code == 404
    # the public route serves public documents only, whoever asks
    assert auth.client.get(f"/documents/{published.id}/download").status_code == 404


def test_downloads_are_attachments_that_cannot_run(auth, db):
    document = make_document(
        TEXT, "Indicateurs été <2024>.txt", access_level="restricted", status="published"
    )
    auth.login("officer")
    response = auth.client.get(f"/restricted/documents/{document.id}/download")
    assert response.status_code == 200
    assert response.get_data() == TEXT
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert 'filename="Indicateurs_ete__2024.txt"' in disposition  # ASCII, no quotes or <>
    assert "filename*=UTF-8''Indicateurs%20%C3%A9t%C3%A9%20_2024.txt" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/plain"


def test_the_public_lists_and_downloads_published_public_documents(client, db):
    shown = make_document(PDF, "guide.pdf", title="Public guide", access_level="public")
    documents.publish(shown, None)
    make_document(title=f"Hidden {CANARY}", access_level="restricted", status="published")
    make_document(title=f"Draft {CANARY}", access_level="public", status="draft")
    page = client.get("/documents?access_level=restricted").get_data(as_text=True)
    assert "Public guide" in page and CANARY not in page
    response = client.get(f"/documents/{shown.id}/download")
    assert response.status_code == 200 and response.get_data() == PDF
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response.headers["Cache-Control"] != "no-store"


# Editorial workflow and audit
def test_editor_publishes_and_unpublishes(auth, db):
    auth.login("editor")
    document = uploaded(upload(auth, PDF, "guide.pdf", access_level="public", title="Guide"))
    path = f"/editorial/documents/{document.id}"
    response = auth.client.post(
        f"{path}/publication", data={"csrf_token": csrf_of(auth, path), "publish": "Publish"}
    )
    assert response.status_code == 302
    assert auth.client.get(f"/documents/{document.id}/download").status_code == 200
    auth.client.post(
        f"{path}/publication",
        data={"csrf_token": csrf_of(auth, path), "unpublish": "Return to draft"},
    )
    assert auth.client.get(f"/documents/{document.id}/download").status_code == 404
    assert [e.action for e in events("document.publish")] == ["document.publish"]


def csrf_of(auth, path):
    from tests.auth_actions import csrf_token

    return csrf_token(auth.client.get(path).get_data(as_text=True))


def test_editor_edits_metadata_and_a_bad_edit_keeps_what_was_typed(auth, db):
    case = make_case()
    auth.login("editor")
    document = uploaded(upload(auth, PDF, "scan.pdf", title="Scan"))
    path = f"/editorial/documents/{document.id}"
    fields = {
        "title": "Scan of the container",
        "kind": "image",
        "access_level": "restricted",
        "language": "fr",
        "description": "Typed description",
        "case_reference": "NOPE",
    }
    response = auth.post_form(path, fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "No case study" in page and "Typed description" in page
    assert "Scan of the container" in page
    response = auth.post_form(path, {**fields, "case_reference": case.reference})
    assert response.status_code == 302
    assert document.case_study_id == case.id and document.language == "fr"


def test_restricted_case_page_lists_its_attachments(auth, db):
    case = make_case(access_level="restricted")
    photo = make_document(
        PDF, "photo.pdf", title="Concealment photo", case_study=case, status="published"
    )
    auth.login("officer")
    page = auth.client.get(f"/restricted/cases/{case.reference}").get_data(as_text=True)
    assert "Concealment photo" in page
    assert f"/restricted/documents/{photo.id}/download" in page


def test_views_and_downloads_of_restricted_documents_are_audited(auth, db):
    document = make_document(access_level="restricted", status="published")
    public = make_document(access_level="public", status="published")
    auth.login("officer")
    auth.client.get(f"/restricted/documents/{document.id}")
    auth.client.get(f"/restricted/documents/{document.id}/download")
    auth.client.get(f"/restricted/documents/{public.id}/download")
    (view,) = events("restricted.document.view")
    downloads = events("restricted.document.download")
    assert view.target_id == str(document.id) and view.actor_label.startswith("officer@")
    assert [e.target_id for e in downloads] == [str(document.id)]


# Key rotation
class Progress:
    """A stand-in for click.progressbar(length=..., label=...); can stop the run midway."""

    def __init__(self, stop_after=None):
        self.stop_after, self.done = stop_after, 0

    def __call__(self, total, label=None):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        self.done += n
        if self.stop_after is not None and self.done >= self.stop_after:
            raise KeyboardInterrupt


def test_rewrap_files_moves_every_restricted_file_to_the_new_key_and_resumes(app, db):
    old = app.config["ENCRYPTION_KEY"]
    new = crypto.new_master_key()
    made = [make_document(f"File {n} {CANARY}\n".encode(), access_level="restricted")
            for n in range(3)]  # fmt: skip
    public = make_document(access_level="public")
    rotated = crypto.Keyring.from_text(f"{new},{old}")
    try:
        with pytest.raises(KeyboardInterrupt):
            documents.rewrap_files(rotated, Progress(stop_after=2))
        assert documents.rewrap_files(rotated, Progress()) >= 3  # resumes after the first two
        assert documents.rewrap_files(rotated, Progress()) == 0
        for document in made:
            blob = file_store().read(document.stored_name)
            assert crypto.sealed_key_id(blob) == rotated.primary_id
        app.config["ENCRYPTION_KEY"] = new
        assert all(CANARY.encode() in documents.read_file(d) for d in made)
        assert documents.read_file(public) == TEXT
    finally:  # the stored files outlive the test's transaction: wrap them back
        app.config["ENCRYPTION_KEY"] = old
        documents.rewrap_files(crypto.Keyring.from_text(f"{old},{new}"), Progress())


def test_key_rotation_covers_documents_and_risk_indicators(app, db):
    from casebank.services import key_rotation

    old = app.config["ENCRYPTION_KEY"]
    new = crypto.new_master_key()
    document = make_document(access_level="restricted", description=f"About {CANARY}")
    tables = {t.name for t in key_rotation.encrypted_columns()}
    assert {"documents", "risk_indicators"} <= tables
    app.config["ENCRYPTION_KEY"] = f"{new},{old}"
    try:
        assert documents.files_left_to_rotate(crypto.Keyring.from_text(f"{new},{old}")) >= 1
        report = key_rotation.rotate_keys(
            db.session.commit, Progress(), file_rewrappers=[documents.rewrap_files]
        )
        assert report.files >= 1 and key_rotation.values_left_to_rotate() == 0
        assert documents.files_left_to_rotate(crypto.Keyring.from_text(f"{new},{old}")) == 0
        app.config["ENCRYPTION_KEY"] = new
        db.session.expire_all()
        assert documents.read_file(document) == TEXT
        assert document.description == f"About {CANARY}"
    finally:
        app.config["ENCRYPTION_KEY"] = old
        documents.rewrap_files(crypto.Keyring.from_text(f"{old},{new}"), Progress())


def test_document_text_is_encrypted_in_the_database(db):
    document = make_document(
        TEXT, f"{CANARY}.txt", title=f"Title {CANARY}", description=f"About {CANARY}"
    )
    row = db.session.execute(
        text("SELECT title, description, original_filename FROM documents WHERE id = :id"),
        {"id": document.id},
    ).one()
    assert all(CANARY.encode() not in bytes(value) for value in row)


def test_upload_form_is_for_editors_only(auth):
    auth.login("officer")
    assert auth.client.get(UPLOAD).status_code == 404
    response = auth.client.post(UPLOAD, data={"file": (io.BytesIO(PDF), "x.pdf")})
    assert response.status_code == 404


def test_an_editor_opening_a_restricted_document_is_audited(auth, db):
    document = make_document(access_level="restricted")
    auth.login("editor")
    assert auth.client.get(f"/editorial/documents/{document.id}").status_code == 200
    auth.client.get(f"/editorial/documents/{document.id}/download")
    (view,) = events("restricted.document.view")
    (download,) = events("restricted.document.download")
    assert view.actor_label.startswith("editor@") and download.target_id == str(document.id)


def test_a_public_attachment_of_a_restricted_case_stays_out_of_public_view(client, db):
    case = make_case(access_level="restricted", title=f"Case {CANARY}")
    photo = make_document(
        PDF, "p.pdf", title=f"Photo {CANARY}", case_study=case, access_level="public"
    )
    documents.publish(photo, None)
    assert client.get(f"/documents/{photo.id}/download").status_code == 404
    assert CANARY not in client.get("/documents").get_data(as_text=True)
