"""Files attached to a case study by its organisation: through the document store and its
checks, each with its own access level, drafts until an editor publishes them, readable by the
organisation and the editors only until then; a refused upload loses nothing else."""

import io

from casebank.models import Document
from tests.case_pages_helpers import post_from
from tests.document_files import JPEG, REFUSED
from tests.factories import join_partner, make_case, make_partner_user


def attach(client, case, content, filename, **fields):
    page = f"/partner/cases/{case.reference}"
    data = {
        "title": "Tusks behind the timber",
        "kind": "image",
        "access_level": "restricted",
        "file": (io.BytesIO(content), filename),
        **fields,
    }
    return post_from(client, page, f"{page}/attachments", data)


def test_a_partner_attaches_a_photo_to_its_draft(auth, client, db):
    join_partner("TRAFFIC")
    case = make_case(status="draft", partner="TRAFFIC")
    auth.login("partner")
    assert attach(client, case, JPEG, "container.jpg").status_code == 302
    photo = db.session.scalar(db.select(Document).filter_by(case_study_id=case.id))
    assert (photo.kind, photo.access_level, photo.status) == ("image", "restricted", "draft")
    page = client.get(f"/partner/cases/{case.reference}").get_data(as_text=True)
    assert "Tusks behind the timber" in page
    download = client.get(f"/partner/cases/{case.reference}/attachments/{photo.id}")
    assert download.status_code == 200 and download.data == JPEG
    assert client.get(f"/documents/{photo.id}").status_code == 404  # a draft: not public


def test_a_refused_file_is_an_error_beside_the_field(auth, client, db):
    join_partner("TRAFFIC")
    case = make_case(status="draft", partner="TRAFFIC")
    auth.login("partner")
    filename, content = REFUSED["renamed executable"]
    response = attach(client, case, content, filename, title="Scan of the bill of lading")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="file-error"' in html
    assert 'value="Scan of the bill of lading"' in html
    assert db.session.scalar(db.select(Document).filter_by(case_study_id=case.id)) is None


def test_no_attaching_once_submitted(auth, client):
    join_partner("TRAFFIC")
    case = make_case(status="submitted", partner="TRAFFIC")
    auth.login("partner")
    assert attach(client, case, JPEG, "container.jpg").status_code == 404


def test_another_organisation_cannot_read_or_add_files(auth, client, db):
    join_partner("TRAFFIC")
    case = make_case(status="draft", partner="TRAFFIC")
    auth.login("partner")
    attach(client, case, JPEG, "container.jpg")
    photo = db.session.scalar(db.select(Document).filter_by(case_study_id=case.id))
    auth.logout()
    make_partner_user("rival@partner.example.org", "WCO")
    auth.login(email="rival@partner.example.org")
    assert client.get(f"/partner/cases/{case.reference}/attachments/{photo.id}").status_code == 404
    assert attach(client, case, JPEG, "container.jpg").status_code == 404


def test_a_file_of_another_case_is_not_served_under_this_one(auth, client, db):
    join_partner("TRAFFIC")
    first = make_case(status="draft", partner="TRAFFIC")
    second = make_case(status="draft", partner="TRAFFIC")
    auth.login("partner")
    attach(client, first, JPEG, "container.jpg")
    photo = db.session.scalar(db.select(Document).filter_by(case_study_id=first.id))
    assert (
        client.get(f"/partner/cases/{second.reference}/attachments/{photo.id}").status_code == 404
    )


def test_editors_see_the_files_on_the_review_page(auth, client, db):
    join_partner("TRAFFIC")
    case = make_case(status="draft", partner="TRAFFIC")
    auth.login("partner")
    attach(client, case, JPEG, "container.jpg")
    photo = db.session.scalar(db.select(Document).filter_by(case_study_id=case.id))
    auth.logout()
    auth.login("editor")
    html = client.get(f"/editorial/cases/{case.reference}").get_data(as_text=True)
    assert f"/editorial/documents/{photo.id}" in html
