"""E-mail: a mailbox polled over IMAP by a periodic job; replies by SMTP, threaded by Message-ID.

Each unseen message is stored (idempotent on its Message-ID) before it is flagged \\Seen, so a crash
between the two only means it is read again next time and recognised as already stored.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import imaplib
import re
import smtplib
import ssl
from datetime import UTC

from django.core.mail import EmailMessage, get_connection
from django.utils.translation import gettext_lazy as _

from testigo.channels import addresses
from testigo.channels.types.base import (
    ChannelType,
    ConfigField,
    Inbound,
    PermanentError,
    SendResult,
    TemporaryError,
    provider_time,
)

QUOTE_HEADER = re.compile(r"^(On .+ wrote:|El .+ escribió:)\s*$", re.IGNORECASE)
BATCH = 100


def plain_text(message) -> str:
    """The text/plain body without the quoted history most mail programs append to replies."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)
    lines = []
    for line in text.splitlines():
        if QUOTE_HEADER.match(line.strip()) or line.strip() == "-- ":
            break
        if not line.startswith(">"):
            lines.append(line.rstrip())
    return "\n".join(lines).strip()


def parse_message(raw: bytes) -> Inbound:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    name, address = email.utils.parseaddr(str(message.get("From", "")))
    message_id = str(message.get("Message-ID", "")).strip() or hashlib.sha256(raw).hexdigest()
    subject = str(message.get("Subject", "")).strip()
    body = plain_text(message)
    # A reply's subject ("Re: …") repeats ours; a first message's subject often says what happened.
    text = body if (not subject or subject.lower().startswith(("re:", "aw:", "rv:"))) else f"{subject}\n{body}"
    date = message.get("Date")
    sent_at = None
    if date:
        try:
            sent_at = email.utils.parsedate_to_datetime(str(date))
            if sent_at.tzinfo is None:  # "-0000": the sender's zone is unknown; the time is UTC
                sent_at = sent_at.replace(tzinfo=UTC)
            sent_at = provider_time(int(sent_at.timestamp()))  # an impossible date: dated by its arrival
        except (TypeError, ValueError, OverflowError):
            sent_at = None
    return Inbound(provider_id=message_id, scheme="mailto", address=address, text=text.strip(), name=name,
                   sent_at=sent_at, raw={"message_id": message_id, "subject": subject})


class Email(ChannelType):
    code = "email"
    name = _("E-mail (IMAP + SMTP)")
    scheme = "mailto"
    max_length = 20000
    webhook = False
    config_fields = [
        ConfigField("imap_host", _("IMAP server"), kind="host"),
        ConfigField("imap_port", _("IMAP port (993 with TLS)"), required=False),
        ConfigField("imap_tls", _("IMAP over TLS: yes/no (default yes)"), required=False),
        ConfigField("username", _("Mailbox user")),
        ConfigField("password", _("Mailbox password"), secret=True),
        ConfigField("mailbox", _("Folder to read (default INBOX)"), required=False),
        ConfigField("smtp_host", _("SMTP server"), kind="host"),
        ConfigField("smtp_port", _("SMTP port (587 with STARTTLS)"), required=False),
        ConfigField("smtp_security", _("starttls, tls or none (default starttls)"), required=False),
        ConfigField("smtp_username", _("SMTP user (default: mailbox user)"), required=False),
        ConfigField("smtp_password", _("SMTP password (default: mailbox password)"), secret=True, required=False),
        ConfigField("from_address", _("From address")),
    ]

    def verify(self, channel, request, action: str) -> bool:
        return False

    def poll(self, channel) -> int:
        """Store every unseen message, then flag it seen. Returns how many were read."""
        from testigo.channels import inbound

        config = channel.config
        tls = str(config.get("imap_tls", "yes")).lower() not in {"no", "false", "0"}
        port = int(config.get("imap_port") or (993 if tls else 143))
        try:
            addresses.check_host(config["imap_host"], port)
            client = (imaplib.IMAP4_SSL(config["imap_host"], port, ssl_context=ssl.create_default_context())
                      if tls else imaplib.IMAP4(config["imap_host"], port, timeout=30))
        except OSError as exc:
            raise TemporaryError(f"IMAP connection failed: {exc}") from exc
        count = 0
        try:
            client.login(config.get("username", ""), config.get("password", ""))
            client.select(config.get("mailbox") or "INBOX")
            _status, data = client.uid("SEARCH", None, "UNSEEN")
            for uid in (data[0] or b"").split()[:BATCH]:
                _status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
                if raw is None:
                    continue
                inbound.receive(channel=channel, inbound=parse_message(raw))
                client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
                count += 1
        except imaplib.IMAP4.error as exc:
            raise TemporaryError(f"IMAP error: {exc}") from exc
        finally:
            try:
                client.logout()
            except (OSError, imaplib.IMAP4.error):
                pass
        return count

    def send(self, channel, message) -> SendResult:
        config = channel.config
        security = (config.get("smtp_security") or "starttls").lower()
        port = int(config.get("smtp_port") or {"tls": 465, "none": 25}.get(security, 587))
        connection = get_connection(
            "django.core.mail.backends.smtp.EmailBackend", host=config.get("smtp_host"), port=port,
            username=config.get("smtp_username") or config.get("username", ""),
            password=config.get("smtp_password") or config.get("password", ""),
            use_tls=security == "starttls", use_ssl=security == "tls", timeout=30)
        try:
            addresses.check_host(config.get("smtp_host", ""), port)
        except addresses.BlockedAddress as exc:
            raise PermanentError(str(exc)) from exc
        except OSError:
            pass  # not resolvable now: the SMTP connection reports it as a temporary error
        message_id = email.utils.make_msgid(domain=config.get("from_address", "x@testigo").split("@")[-1])
        headers = {"Message-ID": message_id}
        reference = message.report.reference if message.report_id else ""
        if message.in_reply_to_id and message.in_reply_to.provider_id.startswith("<"):
            headers["In-Reply-To"] = headers["References"] = message.in_reply_to.provider_id
        mail = EmailMessage(subject=f"Re: {reference}".strip() if reference else "Testigo", body=message.text,
                            from_email=config.get("from_address"), to=[message.contact.address],
                            headers=headers, connection=connection)
        try:
            mail.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"recipient refused: {exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryError(f"SMTP error: {exc}") from exc
        return SendResult(provider_id=message_id)


TYPE = Email()
