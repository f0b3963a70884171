"""Jinja filters and globals that turn stored codes into what readers understand."""

from flask import request, url_for
from markupsafe import Markup

from casebank.models import vocab

VOCABULARIES = {
    name: cls
    for name, cls in vars(vocab).items()
    if isinstance(cls, type) and issubclass(cls, vocab.Vocabulary) and cls is not vocab.Vocabulary
}


def label(value, vocabulary):
    """A stored code's label in the reader's language."""
    return VOCABULARIES[vocabulary].translated_label_of(value) if value else ""


def paragraphs(text):
    """Plain text with blank-line paragraphs as escaped <p> elements (no HTML from data)."""
    parts = [p.strip() for p in (text or "").split("\n\n") if p.strip()]
    return Markup("\n").join(Markup("<p>%s</p>") % p for p in parts)


def show_value(value):
    """A record's value as text: lists joined, nothing for None."""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else value


# url_for's own keywords: a query argument of that name would shape the link (an anchor, an
# absolute address) or clash with the endpoint (500) instead of travelling as an argument.
LINK_RESERVED = {"endpoint"}


def link_args(*dropped):
    """The request's query arguments, to repeat in a link to another page: without `dropped`,
    and without the names url_for reads itself (LINK_RESERVED, and any starting with _)."""
    return {
        name: value
        for name, value in request.args.to_dict().items()
        if name not in dropped and name not in LINK_RESERVED and not name.startswith("_")
    }


def url_with(**changes):
    """The current URL with some query arguments changed (None removes one)."""
    args = link_args(*(request.view_args or {}))
    args.update(changes)
    args = {k: v for k, v in args.items() if v not in (None, "")}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def register(app):
    app.jinja_env.filters.update(
        label=label,
        paragraphs=paragraphs,
        show_value=show_value,
    )
    app.jinja_env.globals.update(url_with=url_with, link_args=link_args, vocab=VOCABULARIES)
