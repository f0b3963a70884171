"""Outgoing e-mail, in one place: written to an outbox directory by default (a newcomer can
read the invitation there), sent by SMTP when CASEBANK_SMTP_HOST is configured.

With SMTP, every mail is first written to the queue directory, then sent, then removed: an SMTP
server that is down or refuses leaves the mail queued, and `flask casebank send-mail` (cron,
every few minutes) tries again until it goes. A worker killed between sending and removing
sends that mail twice, never zero times."""

import logging
import os
import smtplib
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid

from flask import current_app
from flask_babel import force_locale
from flask_security import MailUtil

from casebank.i18n import DEFAULT_LANGUAGE, LOCALES
from casebank.models.case_study import utc_now

log = logging.getLogger(__name__)


def outbox_dir():
    path = current_app.config["DATA_DIR"] / "outbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


def in_language_of(person):
    """Write a mail to a user or an access request in their language: `with in_language_of(u):`
    around composing the subject and body (gettext then translates for them, not the sender)."""
    language = getattr(person, "language", None) or DEFAULT_LANGUAGE
    return force_locale(LOCALES.get(language, LOCALES[DEFAULT_LANGUAGE]))


def queue_dir():
    path = current_app.config["DATA_DIR"] / "mail-queue"
    path.mkdir(parents=True, exist_ok=True)
    return path


def send_mail(recipient, subject, body, headers=None):
    """headers: more header fields (the alerts' List-Unsubscribe)."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="casebank")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body, cte="8bit")  # readable in the outbox: links stay whole
    if current_app.config.get("SMTP_HOST"):
        deliver(write_message(queue_dir(), message))
    else:
        path = write_message(outbox_dir(), message)
        log.info("mail written to outbox %s", path.name)


def write_message(directory, message):
    """The message as a file of its own, written whole or not at all."""
    name = f"{utc_now():%Y%m%dT%H%M%S%f}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"
    partial = directory / f".{name}.partial"
    # 0600 from the start: invitations and reset links are credentials.
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        file.write(bytes(message))
        file.flush()
        os.fsync(file.fileno())
    return partial.rename(directory / name)


def deliver(path):
    """Send one queued mail by SMTP and remove it; True when it went. A failure leaves it queued."""
    config = current_app.config
    try:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        with smtplib.SMTP(
            config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]
        ) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("mail %s stays queued: %s", path.name, type(error).__name__)
        return False
    path.unlink(missing_ok=True)
    log.info("mail %s sent by SMTP", path.name)
    return True


def queued_messages():
    return sorted(queue_dir().glob("*.eml"))


def send_queued():
    """Try every queued mail again, oldest first; returns (sent, still queued)."""
    sent = sum(deliver(path) for path in queued_messages())
    return sent, len(queued_messages())


def outbox_messages():
    """The outbox, oldest first (for people and tests)."""
    return sorted(outbox_dir().glob("*.eml"))


class CasebankMailUtil(MailUtil):
    """Flask-Security's mail (reset links, 2FA rescue) goes through send_mail too."""

    def send_mail(self, template, subject, recipient, sender, body, html, **kwargs):
        send_mail(recipient if isinstance(recipient, str) else recipient[1], str(subject), body)
