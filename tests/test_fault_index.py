"""The search index's faults: deleted, a corrupt segment, a full disk. Database writes still
succeed, search says it is unavailable instead of failing, and the index rebuilds itself."""

import errno
import shutil

import pytest
from whoosh.filedb.compound import CompoundStorage

from casebank import create_app
from casebank.extensions import db
from casebank.search import feed, rebuild, search_indexes
from casebank.search.engine import SearchIndexes
from casebank.search.storage import PlainStorage

pytestmark = pytest.mark.no_db
UNAVAILABLE = "Search is not available right now"


@pytest.fixture
def own_index(app, tmp_path):
    """An app on the suite's database with an index of its own, which these tests break."""
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    # Not tmp_path/index: that is this test's copy of the suite's index (conftest).
    settings = {"INDEX_DIR": tmp_path / "faulty-index", "PROPAGATE_EXCEPTIONS": False,
                "SEARCH_SELF_HEAL": True, "SQLALCHEMY_DATABASE_URI": database}  # fmt: skip
    faulty = create_app("testing", settings)
    with faulty.app_context():
        rebuild()
    yield faulty
    search_indexes(faulty).close()
    with faulty.app_context():
        db.engine.dispose()


def search_page(app, words="ivory"):
    response = app.test_client().get(f"/search?q={words}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def healed(app):
    indexes = search_indexes(app)
    indexes.healing_thread.join(timeout=120)
    return not indexes.healing_thread.is_alive()


def test_a_deleted_index_says_unavailable_and_rebuilds_itself(own_index):
    assert "result" in search_page(own_index) and UNAVAILABLE not in search_page(own_index)
    shutil.rmtree(own_index.config["INDEX_DIR"])
    assert UNAVAILABLE in search_page(own_index)
    assert healed(own_index)
    page = search_page(own_index)
    assert UNAVAILABLE not in page and "ivory" in page.lower()


# Whoosh leaves a corrupt segment's file open when opening it fails; it closes when collected.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_corrupt_segment_says_unavailable_and_rebuilds_itself(own_index):
    generation = search_indexes(own_index).current_generation()
    for segment in (generation / "public").glob("*.seg"):
        data = bytearray(segment.read_bytes())
        data[len(data) // 4 :] = bytes(len(data) - len(data) // 4)  # zeros from a quarter on
        segment.write_bytes(bytes(data))
    search_indexes(own_index).close()  # no searcher opened before the damage stays cached
    assert UNAVAILABLE in search_page(own_index)
    assert healed(own_index)
    assert UNAVAILABLE not in search_page(own_index)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_segment_damaged_without_a_read_error_is_found_by_its_checksum(own_index):
    """Damage that Whoosh reads without complaint (here: one byte, the size kept) would give
    wrong results with 200; each file's checksum is checked when a process first opens it."""
    generation = search_indexes(own_index).current_generation()
    [segment] = (generation / "public").glob("*.seg")
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0xFF
    segment.write_bytes(bytes(data))
    search_indexes(own_index).close()
    PlainStorage._verified.clear()  # as a process that has not opened it yet
    assert UNAVAILABLE in search_page(own_index)
    assert healed(own_index)
    assert UNAVAILABLE not in search_page(own_index)


def test_every_file_of_a_segment_has_its_checksum(own_index):
    generation = search_indexes(own_index).current_generation()
    files = [p for p in (generation / "public").iterdir() if not p.name.startswith("_")]
    data = [p for p in files if p.suffix not in (".sha256", "") and "WRITELOCK" not in p.name]
    assert data
    for path in data:
        assert path.with_name(path.name + ".sha256").exists(), path.name
    assert not [p for p in (generation / "public").glob("_*.sha256")]  # none for a TOC


def test_a_full_disk_loses_no_save_and_the_change_waits_in_the_outbox(own_index, monkeypatch):
    from casebank.models import CaseStudy

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(SearchIndexes, "writers", disk_full)
    with own_index.app_context(), own_index.test_request_context():
        case = db.session.scalar(db.select(CaseStudy).filter_by(status="published").limit(1))
        before = case.title
        case.title = before + " (updated)"
        db.session.commit()  # the index update fails after the commit, quietly
        db.session.expire_all()
        assert db.session.get(CaseStudy, case.id).title == before + " (updated)"
        assert feed.backlog(db.session, feed.host_id()) >= 1
        monkeypatch.undo()
        case.title = before
        db.session.commit()  # the next commit applies every row left in the feed
        assert feed.backlog(db.session, feed.host_id()) == 0


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_broken_index_makes_the_search_export_unavailable_and_heals_it(own_index):
    generation = search_indexes(own_index).current_generation()
    for segment in (generation / "public").glob("*.seg"):
        data = bytearray(segment.read_bytes())
        data[len(data) // 4 :] = bytes(len(data) - len(data) // 4)
        segment.write_bytes(bytes(data))
    search_indexes(own_index).close()
    assert own_index.test_client().get("/search/export.csv?q=ivory").status_code == 503
    assert healed(own_index)
    response = own_index.test_client().get("/search/export.csv?q=ivory")
    assert response.status_code == 200 and "\ncase," in response.get_data(as_text=True)


def test_checksums_stay_beside_their_files_and_go_with_them(own_index, tmp_path):
    """Whoosh assembles a segment's files ("MAIN_x.*") into one compound file, then deletes
    them: their checksums must not be copied into it, nor outlive them."""
    generation = search_indexes(own_index).current_generation()
    storage = PlainStorage(generation / "public")
    [segment] = (generation / "public").glob("*.seg")
    compound = CompoundStorage(storage.open_file(segment.name), use_mmap=False)
    parts = compound.list()
    compound.close()
    assert parts and not [name for name in parts if ".sha256" in name]
    scratch = PlainStorage(tmp_path / "scratch").create()
    scratch.create_file("MAIN_a.trm").close()
    assert scratch.list() == ["MAIN_a.trm"]
    scratch.delete_file("MAIN_a.trm")
    assert not list((tmp_path / "scratch").iterdir())
