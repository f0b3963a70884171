"""A NUL character in a path names no page: 404 before any view runs. PostgreSQL refuses NUL
in text, so without this a lookup by such a path answered 500 there (SQLite just found
nothing). Query and form values are the views' and schemas' to judge, with a message."""

from flask import abort, request

NUL = "\x00"


def refuse_nul_in_path():
    """before_request, before the session and access checks."""
    if NUL in request.path:
        abort(404)
