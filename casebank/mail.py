"""Outgoing e-mail, in one place: written to an outbox directory by default (a newcomer can
read the invitation there), sent by SMTP when CASEBANK_SMTP_HOST is configured."""

import logging
import smtplib
from email.message import EmailMessage
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
    host = current_app.config.get("SMTP_HOST")
    if host:
        with smtplib.SMTP(host, current_app.config["SMTP_PORT"], timeout=30) as smtp:
            smtp.starttls()
            if current_app.config.get("SMTP_USER"):
                smtp.login(current_app.config["SMTP_USER"], current_app.config["SMTP_PASSWORD"])
            smtp.send_message(message)
        log.info("mail %s sent by SMTP", message["Message-ID"])
        return
    name = f"{utc_now():%Y%m%dT%H%M%S%f}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"
    path = outbox_dir() / name
    path.write_bytes(bytes(message))
    path.chmod(0o600)  # invitations and reset links are credentials
    log.info("mail written to outbox %s", path.name)


def outbox_messages():
    """The outbox, oldest first (for people and tests)."""
    return sorted(outbox_dir().glob("*.eml"))


class CasebankMailUtil(MailUtil):
    """Flask-Security's mail (reset links, 2FA rescue) goes through send_mail too."""

    def send_mail(self, template, subject, recipient, sender, body, html, **kwargs):
        send_mail(recipient if isinstance(recipient, str) else recipient[1], str(subject), body)
