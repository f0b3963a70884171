"""Public feedback on documents and on the site: submission (always pending), the checks that
keep robots out without a third-party service, moderation (one transition table), replies,
"addressed in a later version", what the public sees, and the editors' digest and export.

The reply address is never part of anything this module gives to a page, a feed or a CSV.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import parse
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from casebank.client_address import current_client
from casebank.csv_cells import csv_row
from casebank.extensions import db, limiter
from casebank.mail import in_language_of, send_mail
from casebank.models import Document, Feedback, Role, RoleName, User
from casebank.models.case_study import utc_now
from casebank.models.vocab import FeedbackStatus

log = logging.getLogger(__name__)

COMMENT_MAX_CHARS = 2000
REPLY_MAX_CHARS = 2000
MAX_LINKS = 2
LINK = re.compile(r"https?://|www\.|\b[a-z0-9-]+\.(?:com|net|org|info|biz|ru|xyz|top)\b", re.I)
MIN_FILL_SECONDS = 4  # a person reads the form and writes; a robot posts at once
FORM_VALID_HOURS = 24
PER_ADDRESS = "5 per 10 minutes", "20 per day"
TIMESTAMP_SALT = "casebank.feedback.started"


class FeedbackRefused(ValueError):
    """A submission that is not accepted: errors maps a field (or "form") to messages."""

    def __init__(self, errors, status=400):
        super().__init__("feedback refused")
        self.errors, self.status = errors, status


# The signed "form shown at" time (itsdangerous, keyed by the app's secret key).
def serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TIMESTAMP_SALT)


def form_started_token():
    return serializer().dumps("feedback")


def seconds_since_started(token):
    """Seconds since the form was shown, or None when the token is missing, forged or stale."""
    try:
        _payload, signed_at = serializer().loads(
            token or "", max_age=FORM_VALID_HOURS * 3600, return_timestamp=True
        )
    except (BadSignature, SignatureExpired):
        return None
    return (utc_now() - signed_at.replace(tzinfo=None)).total_seconds()


def check_not_a_robot(honeypot, started_token):
    """The traps a robot falls in and a person does not: a hidden field filled in, a form sent
    within seconds, or one not shown by this site. The message does not say which trap."""
    elapsed = seconds_since_started(started_token)
    minimum = current_app.config.get("FEEDBACK_MIN_FILL_SECONDS", MIN_FILL_SECONDS)
    if honeypot or elapsed is None or elapsed < minimum:
        log.info("feedback refused by the robot checks from %s", current_client())
        raise FeedbackRefused(
            {
                "form": [
                    _(
                        "Your feedback could not be accepted as it was sent. Please check it "
                        "and send it again (it is kept below)."
                    )
                ]
            }
        )


def check_rate_limit():
    """Counts this submission against the address's allowance; refused beyond it."""
    strategy = limiter.limiter
    for limit in PER_ADDRESS:
        if not strategy.hit(parse(limit), "feedback", current_client()):
            raise FeedbackRefused(
                {
                    "form": [
                        _(
                            "A lot of feedback has been sent from your address recently. "
                            "Please wait a while and send it again (it is kept below)."
                        )
                    ]
                },
                status=429,
            )


def check_comment(comment):
    if len(comment) > COMMENT_MAX_CHARS:
        raise FeedbackRefused(
            {"comment": [_("At most %(num)s characters, please.", num=COMMENT_MAX_CHARS)]}
        )
    if len(LINK.findall(comment)) > MAX_LINKS:
        raise FeedbackRefused({"comment": [_("At most %(num)s links, please.", num=MAX_LINKS)]})


def submit(fields, document=None, version=None):
    """New pending feedback. fields: rating, comment, name, organisation, country,
    reply_email, consent_to_publish. Flushes only."""
    check_comment(fields["comment"])
    feedback = Feedback(**fields, document=document, version=version)
    db.session.add(feedback)
    db.session.flush()
    log.info("feedback %s received (document %s)", feedback.id, getattr(document, "id", None))
    return feedback


# What the public sees: approved feedback only, and never the reply address.
def approved(document_id):
    query = (
        select(Feedback)
        .where(Feedback.status == FeedbackStatus.APPROVED)
        .options(selectinload(Feedback.version), selectinload(Feedback.addressed_in))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
    )
    if document_id is None:
        query = query.where(Feedback.document_id.is_(None))
    else:
        query = query.where(Feedback.document_id == document_id)
    return list(db.session.scalars(query))


@dataclass
class RatingSummary:
    count: int = 0
    average: float | None = None


def summary(document_id):
    """Average rating and count of the approved feedback on a document (None: the site)."""
    target = (
        Feedback.document_id.is_(None)
        if document_id is None
        else Feedback.document_id == document_id
    )
    count, average = db.session.execute(
        select(func.count(Feedback.id), func.avg(Feedback.rating)).where(
            target, Feedback.status == FeedbackStatus.APPROVED
        )
    ).one()
    return RatingSummary(count, round(float(average), 1) if average is not None else None)


# Moderation: which action leads from which statuses to which status (one table).
@dataclass(frozen=True)
class Moderation:
    name: str
    label: str
    to: FeedbackStatus
    sources: tuple


ANY = tuple(FeedbackStatus)
MODERATIONS = {
    m.name: m
    for m in (
        Moderation("approve", _l("Approve"), FeedbackStatus.APPROVED, ANY),
        Moderation("reject", _l("Reject"), FeedbackStatus.REJECTED, ANY),
        Moderation("spam", _l("Mark as spam"), FeedbackStatus.SPAM, ANY),
        Moderation("pending", _l("Back to pending"), FeedbackStatus.PENDING, ANY),
    )
}


def moderate(feedback_ids, action, user):
    """Apply action to every listed feedback it applies to; returns how many changed."""
    moderation = MODERATIONS[action]
    found = db.session.scalars(select(Feedback).where(Feedback.id.in_(feedback_ids)))
    changed = 0
    for feedback in found:
        if feedback.status in moderation.sources and feedback.status != moderation.to:
            feedback.status = moderation.to
            feedback.moderated_at = utc_now()
            feedback.moderated_by_id = user.id
            changed += 1
    db.session.flush()
    log.info("%s feedback %sd by %s", changed, action, user.id)
    return changed


def reply(feedback, text, user):
    """A public reply shown beneath the feedback once it is approved; empty text removes it."""
    text = (text or "").strip()
    if len(text) > REPLY_MAX_CHARS:
        raise FeedbackRefused(
            {"reply": [_("At most %(num)s characters, please.", num=REPLY_MAX_CHARS)]}
        )
    feedback.reply = text or None
    feedback.replied_at = utc_now() if text else None
    feedback.moderated_by_id = user.id
    db.session.flush()


def mark_addressed(feedback, version, user):
    """version (a later one of the same document) addressed feedback; None clears it."""
    if version is not None and (
        version.document_id != feedback.document_id
        or (feedback.version is not None and version.number <= feedback.version.number)
    ):
        raise FeedbackRefused({"version": [_("Choose a later version of the same document.")]})
    feedback.addressed_in = version
    feedback.moderated_by_id = user.id
    db.session.flush()


# The editors' queue.
@dataclass
class QueueFilters:
    status: str | None = FeedbackStatus.PENDING.value
    document_id: int | None = None
    site_only: bool = False
    rating: int | None = None
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args):
        filters = cls()
        status = (args.get("status") or "pending").strip()
        filters.status = status if status in FeedbackStatus._value2member_map_ else None
        document = (args.get("document") or "").strip()
        filters.site_only = document == "site"
        filters.document_id = int(document) if document.isdigit() and len(document) < 10 else None
        rating = (args.get("rating") or "").strip()
        filters.rating = int(rating) if rating in {"1", "2", "3", "4", "5"} else None
        return filters

    def apply(self, query):
        if self.status:
            query = query.where(Feedback.status == self.status)
        if self.site_only:
            query = query.where(Feedback.document_id.is_(None))
        elif self.document_id:
            query = query.where(Feedback.document_id == self.document_id)
        if self.rating:
            query = query.where(Feedback.rating == self.rating)
        return query


QUEUE_LIMIT = 200


def queue(filters):
    query = (
        select(Feedback)
        .options(
            selectinload(Feedback.document),
            selectinload(Feedback.version),
            selectinload(Feedback.addressed_in),
        )
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(QUEUE_LIMIT)
    )
    return list(db.session.scalars(filters.apply(query)))


def documents_with_feedback():
    query = select(Document).where(Document.id.in_(select(Feedback.document_id)))
    return sorted(db.session.scalars(query), key=lambda d: d.title.casefold())


def get(feedback_id):
    return db.session.get(Feedback, feedback_id)


# Per document: ratings over time and per version, and the export.
def for_document(document_id):
    query = (
        select(Feedback)
        .where(Feedback.document_id == document_id)
        .options(selectinload(Feedback.version), selectinload(Feedback.addressed_in))
        .order_by(Feedback.created_at, Feedback.id)
    )
    return list(db.session.scalars(query))


def ratings_by_month(feedback):
    """[(YYYY-MM, count, average)] of approved feedback, oldest month first."""
    months = {}
    for item in feedback:
        if item.status == FeedbackStatus.APPROVED:
            months.setdefault(f"{item.created_at:%Y-%m}", []).append(item.rating)
    return [(m, len(r), round(sum(r) / len(r), 1)) for m, r in sorted(months.items())]


def count_by_version(document, feedback):
    """[(version, count of feedback of any status given on it)], newest version first."""
    counts = {}
    for item in feedback:
        counts[item.version_id] = counts.get(item.version_id, 0) + 1
    return [(version, counts.get(version.id, 0)) for version in document.versions]


CSV_HEADER = ("id", "received_at", "status", "version", "rating", "comment", "name",
              "organisation", "country", "consent_to_publish", "reply",
              "addressed_in_version")  # fmt: skip


def csv_rows(feedback):
    """The export for editors: no reply address, cells neutralised for spreadsheets."""
    yield list(CSV_HEADER)
    for item in feedback:
        yield csv_row(
            (
                item.id,
                item.created_at.isoformat(timespec="seconds"),
                item.status.value,
                item.version.number if item.version else "",
                item.rating,
                item.comment,
                item.name or "",
                item.organisation or "",
                item.country or "",
                "yes" if item.consent_to_publish else "no",
                item.reply or "",
                item.addressed_in.number if item.addressed_in else "",
            )
        )


# The daily digest for editors.
def received_since(since):
    query = (
        select(Feedback)
        .where(Feedback.created_at >= since)
        .options(selectinload(Feedback.document))
        .order_by(Feedback.created_at)
    )
    return list(db.session.scalars(query))


DIGEST_PERIOD = timedelta(days=1)


def editors():
    query = (
        select(User)
        .join(User.roles)
        .where(Role.name == RoleName.EDITOR, User.active.is_(True))
        .order_by(User.id)
    )
    return list(db.session.scalars(query))


def send_digest(now=None):
    """Mail every active editor, in their language, what feedback arrived in the last day and
    how much waits in the queue; nothing is sent when nothing arrived. Returns the recipients.
    Only counts, ratings and document titles: no names, comments or addresses."""
    now = now or utc_now()
    new = received_since(now - DIGEST_PERIOD)
    if not new:
        return []
    waiting = db.session.scalar(
        select(func.count(Feedback.id)).where(Feedback.status == FeedbackStatus.PENDING)
    )
    recipients = editors()
    for editor in recipients:
        with in_language_of(editor):
            subject = ngettext(
                "casebank: %(num)s new piece of feedback",
                "casebank: %(num)s new pieces of feedback",
                len(new),
            )
            lines = [
                _("%(rating)s/5 on %(target)s", rating=item.rating, target=digest_target(item))
                for item in new
            ]
            body = _(
                "New feedback in the last 24 hours:\n\n%(lines)s\n\n%(waiting)s waiting for "
                "moderation in total. The queue: %(path)s\n",
                lines="\n".join(f"- {line}" for line in lines),
                waiting=waiting,
                path=url_for("editorial.feedback_queue", _external=True),
            )
        send_mail(editor.email, subject, body)
    log.info("feedback digest (%s new) sent to %s editors", len(new), len(recipients))
    return recipients


def digest_target(item):
    if item.document is None:
        return _("the site as a whole")
    return item.document.title
