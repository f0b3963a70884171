"""Full-text search over case studies, behind a small interface (Whoosh today)."""

from whoosh import index
from whoosh.filedb.filestore import FileStorage


def index_status(index_dir):
    """What /healthz reports about the search index in index_dir."""
    if not index_dir.is_dir() or not index.exists_in(str(index_dir)):
        return {"status": "missing"}
    try:
        # supports_mmap=False: opening is then cheap (see SEARCH-NOTES.md)
        ix = FileStorage(str(index_dir), supports_mmap=False).open_index()
        return {"status": "ok", "documents": ix.doc_count()}
    except Exception as error:  # noqa: BLE001 - any failure to open is what we report
        return {"status": "error", "error": type(error).__name__}
