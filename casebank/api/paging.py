"""Pages of a list: ?page= and ?per_page= checked, the page's envelope, and the Link header
(RFC 8288: first, prev, next, last) a client follows instead of building URLs."""

from urllib.parse import urlencode

from flask import jsonify, request

from casebank.api.problems import Problem

LARGEST_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
LARGEST_PAGE = 100_000


def page_args():
    """(page, per_page) from the query; 400 with the field's message when one is bad."""
    errors, values = {}, {}
    for name, default, largest in (("page", 1, LARGEST_PAGE),
                                   ("per_page", DEFAULT_PAGE_SIZE, LARGEST_PAGE_SIZE)):  # fmt: skip
        raw = request.args.get(name, "")
        if not raw:
            values[name] = default
        elif raw.isascii() and raw.isdigit() and 1 <= int(raw) <= largest:
            values[name] = int(raw)
        else:
            errors[name] = [f"A whole number from 1 to {largest}."]
    if errors:
        raise Problem(400, "Bad paging in the query.", errors)
    return values["page"], values["per_page"]


def page_response(items, total, page, per_page, notices=()):
    pages = max((total + per_page - 1) // per_page, 1)
    response = jsonify(
        page=page, per_page=per_page, total=total, pages=pages, notices=list(notices), items=items
    )
    links = {"first": 1, "last": pages}
    if page > 1:
        links["prev"] = min(page - 1, pages)
    if page < pages:
        links["next"] = page + 1
    response.headers["Link"] = ", ".join(
        f'<{page_url(number, per_page)}>; rel="{rel}"' for rel, number in links.items()
    )
    return response


def page_url(number, per_page):
    """This request's URL at another page. Not url_for(**request.args): it reads a query's
    _external, _anchor, _scheme or endpoint as its own options (a 500, a steered link)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "per_page")]
    return f"{request.base_url}?{urlencode([*args, ('page', number), ('per_page', per_page)])}"
