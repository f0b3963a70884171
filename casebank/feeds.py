"""The Atom feed of newly published public case studies and award announcements, written by
feedgen (a feed library, not a template): only public published text goes in."""

from datetime import UTC

from feedgen.feed import FeedGenerator
from flask import url_for
from flask_babel import gettext as _


def aware(moment):
    """Stored times are naive UTC; feedgen wants them with their zone."""
    return moment.replace(tzinfo=UTC)


def atom_feed(items):
    """items: (kind, object, moment) from services/awards/publicity.feed_items()."""
    generator = FeedGenerator()
    home = url_for("public.home", _external=True)
    generator.id(home)
    generator.title(_("casebank: new case studies and award announcements"))
    generator.subtitle(_("Seizure and prosecution case studies, and the Green Customs Award."))
    generator.link(href=home, rel="alternate")
    generator.link(href=url_for("public.feed", _external=True), rel="self")
    generator.language("en")
    if items:
        generator.updated(aware(items[0][2]))
    for kind, thing, moment in reversed(items):  # feedgen lists the last added first
        entry = generator.add_entry()
        if kind == "case":
            url = url_for("public.case_detail", reference=thing.reference, _external=True)
            entry.title(thing.title)
            entry.summary(thing.summary or "")
        else:
            url = url_for("public.awards", _external=True, _anchor=f"round-{thing.year}")
            entry.title(_("Award announced: %(title)s", title=thing.title))
            entry.summary(thing.announcement or "")
        entry.id(url)
        entry.link(href=url, rel="alternate")
        entry.published(aware(moment))
        entry.updated(aware(moment))
    return generator.atom_str(pretty=True)
