"""SMTP down: a mail is queued, not lost, and `flask casebank send-mail` sends it once the
server answers again (a real SMTP server on loopback, aiosmtpd)."""

import stat

import pytest
from aiosmtpd.controller import Controller

from casebank import mail
from tests.auth_actions import ROLE_USERS
from tests.test_fault_redis import closed_port


class Received:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope.content.decode())
        return "250 OK"


@pytest.fixture
def smtp_server():
    received = Received()
    controller = Controller(received, hostname="127.0.0.1", port=closed_port())
    controller.start()
    yield controller.port, received
    controller.stop()


@pytest.fixture
def smtp_settings(app, monkeypatch):
    def point_at(port):
        monkeypatch.setitem(app.config, "SMTP_PORT", port)

    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 5)
    for leftover in mail.queued_messages():
        leftover.unlink()
    return point_at


def ask_for_a_reset(auth):
    response = auth.post_form("/account/reset", {"email": ROLE_USERS["partner"][0]})
    assert response.status_code in (200, 302)


def test_a_mail_to_an_smtp_server_that_is_down_waits_in_the_queue_and_goes_later(
    app, auth, runner, smtp_settings, smtp_server
):
    outbox_before = len(mail.outbox_messages())
    smtp_settings(closed_port())  # nothing listens there
    ask_for_a_reset(auth)
    [queued] = mail.queued_messages()
    assert stat.S_IMODE(queued.stat().st_mode) == 0o600  # a reset link is a credential
    assert len(mail.outbox_messages()) == outbox_before  # queued for SMTP, not written aside

    port, received = smtp_server
    smtp_settings(port)
    result = runner.invoke(args=["casebank", "send-mail"])
    assert result.exit_code == 0, result.output
    assert "1 queued mails sent; 0 still queued" in result.output
    assert mail.queued_messages() == []
    [message] = received.messages
    assert "/account/reset/" in message and ROLE_USERS["partner"][0] in message


def test_send_mail_says_so_while_the_server_still_refuses(app, auth, runner, smtp_settings):
    smtp_settings(closed_port())
    ask_for_a_reset(auth)
    result = runner.invoke(args=["casebank", "send-mail"])
    assert result.exit_code == 1
    assert "0 queued mails sent; 1 still queued" in result.output
    assert len(mail.queued_messages()) == 1


def test_with_the_server_up_a_mail_goes_at_once_and_nothing_stays_queued(
    app, auth, smtp_settings, smtp_server
):
    port, received = smtp_server
    smtp_settings(port)
    ask_for_a_reset(auth)
    assert len(received.messages) == 1
    assert mail.queued_messages() == []
