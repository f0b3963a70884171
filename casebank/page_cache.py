"""Pages kept rendered for anonymous visitors, per process, until what they show changes.

A public page is the same for every anonymous visitor who asks for the same address in the
same language on the same day, until the content changes (the database's content token,
models/content_generation.py) or this host's public search index does (a search, "more like
this"). Those make the key; a hit skips the view and its template, and the request's own
hooks (security headers, Vary, request id, metrics) still run.

Only visitors who send no cookie but the language choice and no Authorization header: a
member, or anyone holding a session (a form's CSRF token), gets the page rendered for them.
A response is kept only if it is a plain 200 HTML page that set no cookie and used no
session. The store is a per-process LRU bounded in bytes (PAGE_CACHE_BYTES).
"""

from datetime import UTC, datetime
from functools import wraps

from flask import current_app, g, make_response, request, session
from flask_babel import get_locale

from casebank.extensions import db
from casebank.i18n import LANGUAGE_COOKIE
from casebank.lru import ByteBoundedLRU
from casebank.models.content_generation import CHANGED, current_token

KEPT_HEADERS = ("Content-Type", "Content-Language", "Link")


def new_store(max_bytes):
    """An LRU of rendered pages; one over an eighth of it would push out many small ones."""
    return ByteBoundedLRU(max_bytes, largest=max_bytes // 8)


def keep_page(pages, key, page):
    """A page counts the bytes of its key too: a key holds the Host header and the query, which
    a visitor chooses (kilobytes beside a 5 kB page)."""
    pages.put(key, page, len(page[1]) + len(repr(key)))


def store():
    extensions = current_app.extensions
    if "casebank.pages" not in extensions:
        extensions["casebank.pages"] = new_store(current_app.config["PAGE_CACHE_BYTES"])
    return extensions["casebank.pages"]


def kept_for_visitors(view):
    """The view's page, kept for anonymous visitors (see the module's docstring)."""

    @wraps(view)
    def cached_view(*args, **kwargs):
        key = page_key()
        if key is None:
            return view(*args, **kwargs)
        page = store().get(key)
        if page is not None:
            return make_response(page[1], page[0], page[2])
        response = make_response(view(*args, **kwargs))
        if keepable(response):
            keep_page(store(), key, snapshot(response))
        return response

    return cached_view


def page_key():
    if not anonymous_visitor():
        return None
    content = current_token(db.session)
    index = index_state()
    if content is None or index is None:
        return None  # no content token yet, or search is degraded: render afresh
    today = datetime.now(UTC).date()
    return (request.host_url, request.full_path, str(get_locale()), today, content, index)


def anonymous_visitor():
    return (
        current_app.config["PAGE_CACHE"]
        and request.method in ("GET", "HEAD")
        and set(request.cookies) <= {LANGUAGE_COOKIE}
        and "Authorization" not in request.headers
    )


def index_state():
    from casebank.search import public_index_state

    return public_index_state()


def search_failed():
    from casebank.search import search_failed as failed

    return failed()


def keepable(response):
    return (
        response.status_code == 200
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and not (response.cache_control.no_store or response.cache_control.private)
        and "Set-Cookie" not in response.headers
        and not session.modified
        and "csrf_token" not in g  # the page holds a token for one session
        and not db.session.info.get(CHANGED)  # rendered from changes not yet committed
        and not search_failed()  # "search is not available": the next visitor may get results
    )


def snapshot(response):
    headers = [(name, value) for name, value in response.headers if name in KEPT_HEADERS]
    return response.status_code, response.get_data(), headers
