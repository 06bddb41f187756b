"""E-mail against real servers on loopback: pymap (an IMAP4rev1 server) holds the mailbox, aiosmtpd
(a real SMTP server) receives the replies. Nothing in imaplib or smtplib is mocked."""

from __future__ import annotations

import email
import email.policy
import imaplib
import shutil
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from testigo.channels import outbox, tasks
from testigo.channels.models import InboundMessage, OutboundMessage
from testigo.reports.models import Report
from tests.channels.conftest import require_service


@pytest.fixture(autouse=True)
def _gateways_on_this_machine(loopback_gateways):
    """These peers run on 127.0.0.1, which only an operator's TESTIGO_ALLOW_PRIVATE_GATEWAYS=1 allows."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def imap_server():
    pymap = shutil.which("pymap") or str(Path(sys.executable).parent / "pymap")
    require_service(Path(pymap).exists(), "pymap (PyPI) is not installed: pip install pymap")
    port = free_port()
    proc = subprocess.Popen([pymap, "--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(timeout=5)


@pytest.fixture
def smtp_server():
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        require_service(False, "aiosmtpd (PyPI) is not installed: pip install aiosmtpd")

    class Collect:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            self.messages.append((envelope.rcpt_tos, envelope.content))
            return "250 OK"

    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"demouser", b"demopass")
        return AuthResult(success=ok)

    handler = Collect()
    # Plain-text AUTH is allowed only because this is loopback inside a test.
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    yield controller.port, handler.messages
    controller.stop()


def deliver(port: int, *, sender: str, subject: str, body: str, message_id: str) -> None:
    """A citizen's mail arriving in the mailbox (IMAP APPEND, as a delivery agent would store it)."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"], mail["Message-ID"] = sender, "reportes@testigo.org", subject, message_id
    mail["Date"] = email.utils.formatdate()
    mail.set_content(body)
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login("demouser", "demopass")
    client.append("INBOX", None, imaplib.Time2Internaldate(time.time()), mail.as_bytes())
    client.logout()


@pytest.mark.services
def test_mail_becomes_a_report_and_the_reply_is_threaded_by_smtp(imap_server, smtp_server, make_channel,
                                                                 django_capture_on_commit_callbacks):
    smtp_port, received = smtp_server
    make_channel("email", imap_host="127.0.0.1", imap_port=str(imap_server), imap_tls="no",
                           username="demouser", password="demopass", smtp_host="127.0.0.1",
                           smtp_port=str(smtp_port), smtp_security="none", from_address="reportes@testigo.org")
    deliver(imap_server, sender="José Núñez <jose@example.org>", subject="Extorsión en el mercado",
            body="Cobran impuesto de guerra a los comerciantes, señor.\n\nEl lunes escribió:\n> viejo",
            message_id="<m1@example.org>")
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.poll_mailboxes.call_local() == 1
    report = Report.objects.get()
    assert report.source == "email"
    assert report.description == "Extorsión en el mercado\nCobran impuesto de guerra a los comerciantes, señor."
    assert InboundMessage.objects.get().contact.urn == "mailto:jose@example.org"

    assert len(received) == 1, list(OutboundMessage.objects.values('status', 'error'))
    rcpt, content = received[0]
    reply = email.message_from_bytes(content, policy=email.policy.default)
    assert rcpt == ["jose@example.org"] and reply["In-Reply-To"] == "<m1@example.org>"
    assert report.reference in reply["Subject"] and report.reference in reply.get_content()
    assert OutboundMessage.objects.get().status == "sent"

    # Already seen: polling again reads nothing; the same mail delivered twice is stored once.
    assert tasks.poll_mailboxes.call_local() == 0
    deliver(imap_server, sender="jose@example.org", subject="Extorsión en el mercado", body="x",
            message_id="<m1@example.org>")
    tasks.poll_mailboxes.call_local()
    assert InboundMessage.objects.count() == 1

    # The citizen answers: the follow-up joins the same report.
    deliver(imap_server, sender="jose@example.org", subject=f"Re: {report.reference}",
            body="Son tres hombres en moto.\n\nOn Mon, Testigo wrote:\n> We received your report",
            message_id="<m2@example.org>")
    tasks.poll_mailboxes.call_local()
    follow_up = InboundMessage.objects.get(provider_id="<m2@example.org>")
    assert follow_up.report == report and follow_up.text == "Son tres hombres en moto."
    assert Report.objects.count() == 1


def test_unreachable_smtp_is_a_temporary_error(make_channel):
    from testigo.channels.models import Contact

    channel = make_channel("email", imap_host="127.0.0.1", username="u", password="p", smtp_host="127.0.0.1",
                           smtp_port=str(free_port()), smtp_security="none", from_address="r@testigo.org")
    row = outbox.queue(channel=channel, contact=Contact.objects.create(scheme="mailto", address="a@b.org"),
                        text="hola")
    outbox.send_due()
    row.refresh_from_db()
    assert row.status == "queued" and "SMTP error" in row.error
