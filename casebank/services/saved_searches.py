"""Saved searches (a member's words and facets) and their e-mail alerts.

An alert run (`flask casebank send-alerts`, from cron) mails each due saved search's new
matches: case studies published since the search's last run that its owner may read *now*,
judged again at sending (vetting lapsed: no restricted hits). A restricted hit travels as a
title-free line with a link, and so does a public one found only by its restricted notes;
restricted text never goes by e-mail. Every mail names its saved search and carries a signed
one-click unsubscribe link and a List-Unsubscribe header.
"""

import logging
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update

from casebank.auth import permissions
from casebank.extensions import db
from casebank.mail import in_language_of, send_mail
from casebank.models import CaseStudy, SavedSearch, User
from casebank.models.case_study import utc_now
from casebank.models.vocab import AccessLevel
from casebank.search import PUBLIC, RESTRICTED, SearchRequest, apply_outbox, matching_references
from casebank.search.outbox import search_indexes
from casebank.search.querying import FACETS, BadQuery
from casebank.services import catalogue

log = logging.getLogger(__name__)

# How often alerts come: None is never.
FREQUENCIES = {"none": None, "daily": timedelta(days=1), "weekly": timedelta(days=7)}
FREQUENCY_LABELS = {"none": _l("No e-mail"), "daily": _l("Daily e-mail"),
                    "weekly": _l("Weekly e-mail")}  # fmt: skip
# A cron job run at the same hour each day starts a little earlier or later: a search mailed
# yesterday at 06:00:05 is due again today at 06:00:00.
RUN_SLACK = timedelta(hours=1)
MAX_PER_USER = 50
MAX_NAME = 100
UNSUBSCRIBE_SALT = "casebank.saved-search.unsubscribe"


class SavedSearchInvalid(ValueError):
    """{field: [messages]} for a form to show beside its fields."""

    def __init__(self, errors):
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


def searches_of(user):
    query = select(SavedSearch).filter_by(user_id=user.id).order_by(SavedSearch.name)
    return list(db.session.scalars(query))


def get_search(user, search_id):
    """One of this user's saved searches, or None (another's is as missing as none)."""
    saved = db.session.get(SavedSearch, search_id)
    return saved if saved is not None and saved.user_id == user.id else None


def checked(name, frequency):
    errors = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = [_("Give the search a name.")]
    elif len(name) > MAX_NAME:
        errors["name"] = [_("Keep the name under %(max)s characters.", max=MAX_NAME)]
    if frequency not in FREQUENCIES:
        errors["frequency"] = [_("Choose how often to hear of new matches.")]
    return name, errors


def suggested_name(user, text):
    """The name the form offers: the words, except an officer's (they may hold restricted
    details: encrypted as the search's words, but the name is kept in clear and goes in every
    alert's subject)."""
    return "" if permissions.can_search_restricted(user) else text[:MAX_NAME]


def save_search(user, name, text, facets, frequency="none"):
    """A new saved search of this user's: the words as the search runs them, the known facets."""
    name, errors = checked(name, frequency)
    request = SearchRequest()
    try:
        request.text = request.clean(text or "")
    except BadQuery as bad:
        errors["q"] = [str(bad)]
    facets = {k: str(v)[:40] for k, v in (facets or {}).items() if k in FACETS and v}
    if not errors and not (request.text or facets):
        errors["q"] = [_("Search for something first: there is nothing to save.")]
    count = db.session.scalar(select(func.count()).select_from(SavedSearch).filter_by(
        user_id=user.id))  # fmt: skip
    if count >= MAX_PER_USER:
        errors["name"] = [_("You have %(max)s saved searches: delete one first.",
                            max=MAX_PER_USER)]  # fmt: skip
    if errors:
        raise SavedSearchInvalid(errors)
    saved = SavedSearch(user=user, name=name, text=request.text, facets=facets,
                        frequency=frequency, alerted_until=utc_now())  # fmt: skip
    db.session.add(saved)
    db.session.flush()
    return saved


DEMO_SEARCH = ("Ozone-depleting substances (demo)", "", {"convention": "MONTREAL"})


def demo_saved_search(user):
    """The demo officer's saved search, with daily alerts, as if saved before the demo's case
    studies were published: the first `send-alerts` mails their matches (restricted ones as
    title-free lines). Kept as it is when it exists."""
    name, text, facets = DEMO_SEARCH
    existing = db.session.scalar(select(SavedSearch).filter_by(user_id=user.id, name=name))
    if existing is not None:
        return existing
    saved = save_search(user, name, text, facets, "daily")
    saved.alerted_until = datetime(2000, 1, 1)
    return saved


def update_search(saved, name, frequency):
    name, errors = checked(name, frequency)
    if errors:
        raise SavedSearchInvalid(errors)
    if frequency != saved.frequency and saved.frequency == "none":
        saved.alerted_until = utc_now()  # alerts start now, not with the search's history
    saved.name, saved.frequency = name, frequency
    db.session.flush()
    return saved


def delete_search(saved):
    db.session.delete(saved)
    db.session.flush()


def search_args(saved):
    """The search page's query arguments for a saved search."""
    return {**({"q": saved.text} if saved.text else {}), **saved.facets}


# One-click unsubscribe: a signed token naming the saved search; it works without logging in.
def serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(saved):
    # The creation time too: a database may give a later search the id of a deleted one.
    return serializer().dumps([saved.id, saved.user_id, saved.created_at.isoformat()])


def search_of_token(token):
    """The saved search a token names, or None (a bad signature, or the search is gone)."""
    try:
        search_id, user_id, created = serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    saved = db.session.get(SavedSearch, search_id) if isinstance(search_id, int) else None
    if saved is None or saved.user_id != user_id:
        return None
    return saved if saved.created_at.isoformat() == created else None


def unsubscribe(saved):
    saved.frequency = "none"
    db.session.flush()
    log.info("alerts of saved search %s stopped by its unsubscribe link", saved.id)


# Alerts
def is_due(saved, now):
    period = FREQUENCIES.get(saved.frequency)
    if period is None:
        return False
    return saved.last_sent_at is None or now - saved.last_sent_at >= period - RUN_SLACK


def new_matches(saved, now):
    """The case studies published since the search last ran for alerts that match it and that
    its owner may read now, oldest first, each with whether the mail may show its title: a
    public one that the public index finds too (an officer's search also reads restricted
    notes, and a public title beside it would tell what those notes say)."""
    user = saved.user
    if not user.active:
        return []
    officer = permissions.is_officer(user)
    request = SearchRequest(text=saved.text, facets=dict(saved.facets))
    try:
        found = matching_references(
            search_indexes().searcher(RESTRICTED if officer else PUBLIC), request
        )
        in_public = (
            matching_references(search_indexes().searcher(PUBLIC), request) if officer else found
        )
    except BadQuery:
        return []
    query = (
        catalogue.visible_cases(officer)
        .where(CaseStudy.reference.in_(sorted(found)))
        .where(CaseStudy.published_at > saved.alerted_until, CaseStudy.published_at <= now)
        .order_by(CaseStudy.published_at, CaseStudy.reference)
    )
    return [
        (case, case.access_level == AccessLevel.PUBLIC and case.reference in in_public)
        for case in db.session.scalars(query)
        if permissions.can_view_case(user, case)
    ]


def send_alerts(now=None):
    """Mail every due saved search's new matches; returns how many mails went out. Each search
    moves on to now whether or not it had news, so a case study is announced once.

    First this host's index catches up with the change feed: a case saved through another host
    would otherwise be passed over for good. If it cannot (the index is locked, or fell behind
    and must be rebuilt), the run stops before any search moves on; the next run sends.

    Each search is claimed (moved on, committed) before its mail is handed over: two runs at
    once (cron on two hosts) never both mail it, and a run that fails halfway keeps what it
    sent. The mail is then written to the outbox or the mail queue, which never loses it."""
    now = now or utc_now()
    caught_up_index()
    query = (
        select(SavedSearch.id)
        .join(User, SavedSearch.user_id == User.id)
        .where(SavedSearch.frequency != "none", User.active.is_(True))
        .order_by(SavedSearch.id)
    )
    sent = sum(alert_once(search_id, now) for search_id in db.session.scalars(query).all())
    log.info("alerts: %s mail(s) sent", sent)
    return sent


def alert_once(search_id, now):
    """1 if this run claimed the search and mailed its news, else 0."""
    saved = db.session.get(SavedSearch, search_id)
    if saved is None or not is_due(saved, now):
        return 0
    read_from = saved.alerted_until
    cases = new_matches(saved, now)
    db.session.commit()  # end the reading transaction: on SQLite a write must start afresh
    if not claimed(saved, read_from, now, had_news=bool(cases)):
        return 0
    if cases:
        send_alert(saved, cases)
    return 1 if cases else 0


def claimed(saved, read_from, now, had_news):
    """Move the search from read_from on to now, unless another run moved it meanwhile;
    committed."""
    moved = db.session.execute(
        update(SavedSearch)
        .where(SavedSearch.id == saved.id, SavedSearch.alerted_until == read_from)
        .values(alerted_until=now, **({"last_sent_at": now} if had_news else {}))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    db.session.refresh(saved)
    return moved == 1


def caught_up_index():
    """This host's index holds everything committed before the run: a case study published on
    another host, or whose index write failed, waits in the change feed, and a search that
    moves past it unseen would never announce it. A feed that cannot be applied (the index
    fell behind and must be rebuilt) stops the run before any search moves on."""
    while apply_outbox():
        pass


def send_alert(saved, cases):
    user = saved.user
    link = url_for("saved_searches.unsubscribe", token=unsubscribe_token(saved), _external=True)
    with in_language_of(user):
        subject = _("[casebank] New matches for your saved search “%(name)s”", name=saved.name)
        lines = [
            _("Hello %(name)s,", name=user.name or user.email),
            "",
            _("New case studies match your saved search “%(name)s”:", name=saved.name),
            "",
        ]
        for case, titled in cases:
            lines += alert_lines(case, titled)
        lines += [
            _(
                "Your saved searches: %(link)s",
                link=url_for("saved_searches.index", _external=True),
            ),  # fmt: skip
            _(
                "Stop these e-mails for this search (one click, no login needed): %(link)s",
                link=link,
            ),  # fmt: skip
        ]
    send_mail(user.email, subject, "\n".join(lines) + "\n", headers={
        "List-Unsubscribe": f"<{link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    })  # fmt: skip
    log.info("alert of saved search %s sent to user %s (%s hits)", saved.id, user.id, len(cases))


def alert_lines(case, titled):
    """A case study by its title (titled: public, and found in the public index); any other by
    a line without any of its text."""
    if not titled:
        link = url_for("restricted.case_detail", reference=case.reference, _external=True)
        return [_("A new restricted case study matches: log in to read it."), link, ""]
    link = url_for("public.case_detail", reference=case.reference, _external=True)
    return [f"{case.title}", link, ""]
