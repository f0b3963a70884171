"""The conversation on a case study between editors and the submitting organisation, mailed to
the other side, and editors' internal notes, which the organisation never sees."""

import logging

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casebank.auth import permissions
from casebank.extensions import db
from casebank.mail import in_language_of, send_mail
from casebank.models import CaseMessage
from casebank.services.cases.workflow import (
    EDITORS,
    ORGANISATION,
    case_link,
    editor_recipients,
    organisation_recipients,
)

log = logging.getLogger(__name__)
LONGEST_MESSAGE = 10000


class MessageRefused(Exception):
    """Empty, too long, or not this user's conversation."""


def messages_for(case, user):
    """The messages this user may read, oldest first: internal notes for editors only."""
    query = (
        select(CaseMessage)
        .filter_by(case_study_id=case.id)
        .options(selectinload(CaseMessage.author))
        .order_by(CaseMessage.created_at, CaseMessage.id)
    )
    if not permissions.can_read_internal_notes(user, case):
        query = query.filter_by(internal=False)
    return list(db.session.scalars(query))


def post_message(case, user, body, internal=False):
    """Add a message (or, for editors, an internal note); the other side is told by mail that
    there is one, without its text (mail is not where case text should travel). Flushes."""
    body = (body or "").strip()
    if not permissions.can_discuss_case(user, case):
        raise MessageRefused("not this user's conversation")
    if internal and not permissions.can_read_internal_notes(user, case):
        raise MessageRefused("only editors write internal notes")
    if not body or len(body) > LONGEST_MESSAGE:
        raise MessageRefused(
            _("Write a message of 1 to %(longest)s characters.", longest=LONGEST_MESSAGE)
        )
    message = CaseMessage(case_study=case, author_id=user.id, body=body, internal=internal)
    db.session.add(message)
    db.session.flush()
    if not internal:
        tell_other_side(case, user)
    log.info("case %s: message %s by user %s", case.id, message.id, user.id)
    return message


def tell_other_side(case, author):
    to_editors = permissions.is_case_submitter(author, case)
    side = EDITORS if to_editors else ORGANISATION
    recipients = editor_recipients(case) if to_editors else organisation_recipients(case)
    link = case_link(case, side)
    for address, person in recipients:
        if address == author.email:
            continue
        with in_language_of(person):  # each in their own language
            subject = _("[casebank] %(reference)s: new message", reference=case.reference)
            body = (
                _("There is a new message on case study %(reference)s.",
                  reference=case.reference) + "\n\n"
                + _("Sign in to read and answer it: %(link)s", link=link) + "\n"
            )  # fmt: skip
        send_mail(address, subject, body)
