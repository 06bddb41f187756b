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
import logging
import re
import smtplib
import ssl
import unicodedata
from datetime import UTC
from html.parser import HTMLParser

from django.core.mail import EmailMessage, get_connection
from django.utils.translation import gettext_lazy as _

from testigo.channels import addresses
from testigo.channels.types.base import (
    Attachment,
    ChannelType,
    ConfigField,
    Fetched,
    Inbound,
    Malformed,
    PermanentError,
    SendResult,
    TemporaryError,
    max_media_bytes,
    provider_time,
)

log = logging.getLogger(__name__)
QUOTE_HEADER = re.compile(r"^(On .+ wrote:|El .+ escribió:)\s*$", re.IGNORECASE)
BATCH = 100
# A mail larger than this is not downloaded whole: its headers are kept with a note that its
# attachments were too large (the IMAP server says the size before we fetch anything).
MAX_MAIL_BYTES = 40_000_000
# Where a mail with attachments is kept until the worker has taken its files (fetch_media).
STORED_MAIL_DIR = "inbound-mail"
MAX_FILENAME_CHARS = 120
TOO_LARGE = _("[The attachments of this e-mail were not kept: the e-mail is larger than %(mb)d MB.]")


class _HTMLText(HTMLParser):
    """The text a person reads in an HTML mail: no scripts or styles, blocks on their own lines,
    entities decoded ("env&iacute;o" is "envío")."""

    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol",
             "hr", "pre", "section", "article", "header", "footer"}
    SKIP = {"script", "style", "head", "title", "noscript", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.out).splitlines())
    return "\n".join(line for line in lines if line)


def part_text(part) -> str:
    """A text part's content; an unknown or lying charset is read as UTF-8 with replacement."""
    try:
        return part.get_content()
    except (LookupError, UnicodeDecodeError):
        return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def plain_text(message) -> str:
    """The text/plain body (or the HTML body's text) without the quoted history most mail programs
    append to replies."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part_text(part)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    lines = []
    for line in text.splitlines():
        if QUOTE_HEADER.match(line.strip()) or line.strip() == "-- ":
            break
        if not line.startswith(">"):
            lines.append(line.rstrip())
    return "\n".join(lines).strip()


def clean_filename(name: str | None) -> str:
    """A sender's file name as something safe to show and save: its last path component, without
    control characters or slashes, at most MAX_FILENAME_CHARS (keeping the extension)."""
    name = re.split(r"[/\\]", str(name or ""))[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:10] if dot else ""
        name = (stem if dot else name)[:MAX_FILENAME_CHARS - len(ext) - 1].rstrip() + ("." + ext if ext else "")
    return name


def _parts(node, path: str = ""):
    """(locator, part) of every leaf part, IMAP-style numbers ("1", "2.1"); a forwarded mail
    (message/rfc822) is one part, not opened."""
    children = node.get_payload() if node.is_multipart() and node.get_content_type() != "message/rfc822" else None
    if not isinstance(children, list):
        yield (path or "1"), node
        return
    for n, child in enumerate(children, start=1):
        yield from _parts(child, f"{path}.{n}" if path else str(n))


def find_part(message, locator: str):
    node = message
    for number in locator.split("."):
        children = node.get_payload() if node.is_multipart() else None
        if not isinstance(children, list):
            return node if locator == "1" and node is message else None
        index = int(number) - 1
        if not 0 <= index < len(children):
            return None
        node = children[index]
    return node


def part_bytes(part) -> bytes:
    """A part's decoded content; a forwarded mail as the mail it is (an .eml file)."""
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        return payload[0].as_bytes() if isinstance(payload, list) and payload else b""
    return part.get_payload(decode=True) or b""


def kind_of(content_type: str) -> str:
    major = content_type.split("/", 1)[0]
    return major if major in {"image", "audio", "video"} else "document"


def attachments_of(message, stored_as: str) -> list[Attachment]:
    """Every file the mail carries: attachments, and images shown inside the HTML (multipart/
    related, found by walking: iter_attachments() does not yield them). Alternative bodies are text."""
    body = message.get_body(preferencelist=("plain", "html"))
    found = []
    for locator, part in _parts(message):
        content_type = part.get_content_type()
        disposition = part.get_content_disposition()
        if part is body or (content_type.startswith("text/") and disposition != "attachment"):
            continue
        if content_type.startswith("multipart/"):
            continue
        data = part_bytes(part)
        extra = {"mail": stored_as}
        content_id = str(part.get("Content-ID", "") or "").strip().strip("<>")
        if content_id:
            extra["content_id"] = content_id[:200]
        if disposition == "inline" or (content_id and disposition != "attachment"):
            extra["inline"] = True
        found.append(Attachment(kind=kind_of(content_type), ref=locator, content_type=content_type,
                                filename=clean_filename(part.get_filename()), size=len(data), extra=extra))
    return found


def stored_name(raw: bytes) -> str:
    return f"{STORED_MAIL_DIR}/{hashlib.sha256(raw).hexdigest()}"


def parse_message(raw: bytes, *, too_large: int | None = None) -> Inbound:
    """One mail as an Inbound. `too_large`: the mail's size when only its headers were fetched
    (over MAX_MAIL_BYTES): the text says its attachments were not kept."""
    if too_large is None and len(raw) > MAX_MAIL_BYTES:
        too_large, raw = len(raw), raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0] + b"\r\n\r\n"
    message = email.message_from_bytes(raw, policy=email.policy.default)
    name, address = email.utils.parseaddr(str(message.get("From", "")))
    if "@" not in address:
        raise Malformed("the mail has no sender address (From)")
    message_id = str(message.get("Message-ID", "")).strip() or hashlib.sha256(raw).hexdigest()
    subject = str(message.get("Subject", "")).strip()
    if too_large is not None:
        body, attachments = _too_large_note(too_large), []
    else:
        body, attachments = plain_text(message), attachments_of(message, stored_name(raw))
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
    raw_fields = {"message_id": message_id, "subject": subject}
    if too_large is not None:
        raw_fields["size"] = too_large
    return Inbound(provider_id=message_id, scheme="mailto", address=address, text=text.strip(), name=name,
                   sent_at=sent_at, raw=raw_fields, attachments=attachments)


def _too_large_note(size: int) -> str:
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        return str(TOO_LARGE % {"mb": max(1, MAX_MAIL_BYTES // 1_000_000)})


def keep_for_the_worker(raw: bytes, inbound: Inbound) -> None:
    """Store the raw mail once (named by its hash) when it has files: fetch_media reads them from it."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    if not inbound.attachments:
        return
    name = stored_name(raw)
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(raw))


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
                if not self._store_one(channel, client, uid):
                    continue
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

    def _store_one(self, channel, client, uid: bytes) -> bool:
        """Fetch (at most MAX_MAIL_BYTES of) one mail and store it. False when the server gave
        nothing. A mail we cannot read is logged and marked seen, not read again for ever."""
        from testigo.channels import inbound

        _status, sized = client.uid("FETCH", uid, "(RFC822.SIZE)")
        match = re.search(rb"RFC822\.SIZE (\d+)", b" ".join(p if isinstance(p, bytes) else p[0] for p in sized
                                                           if p is not None))
        size = int(match.group(1)) if match else 0
        too_large = size if size > MAX_MAIL_BYTES else None
        section = "(BODY.PEEK[HEADER])" if too_large else "(BODY.PEEK[])"
        _status, parts = client.uid("FETCH", uid, section)
        raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
        if raw is None:
            return False
        try:
            message = parse_message(raw, too_large=too_large)
            keep_for_the_worker(raw, message)
            inbound.receive(channel=channel, inbound=message)
        except Malformed as exc:
            log.warning("channel %s: mail %s not stored: %s", channel.pk, uid.decode(errors="replace"), exc)
        return True

    def release_media(self, channel, message) -> None:
        """The stored mail goes once its files are the report's (clean copies, hashes in its history)."""
        from django.core.files.storage import default_storage

        from testigo.channels.inbound import extras_of

        for name in {str((a.get("extra") or {}).get("mail", "")) for a in extras_of(message).get("attachments") or []}:
            if name.startswith(STORED_MAIL_DIR + "/") and ".." not in name:
                default_storage.delete(name)

    def fetch_media(self, channel, message, attachment: dict) -> Fetched:
        """One file of a stored mail, taken from the raw mail kept at poll time (keep_for_the_worker)."""
        from django.core.files.storage import default_storage

        name = str((attachment.get("extra") or {}).get("mail", ""))
        if not name.startswith(STORED_MAIL_DIR + "/") or ".." in name:
            raise PermanentError("the attachment does not say which stored e-mail holds it")
        try:
            with default_storage.open(name, "rb") as handle:
                raw = handle.read(MAX_MAIL_BYTES + 1)
        except FileNotFoundError as exc:
            raise PermanentError("the stored e-mail is gone; its attachments cannot be read") from exc
        except OSError as exc:
            raise TemporaryError(f"the stored e-mail could not be read: {exc}") from exc
        part = find_part(email.message_from_bytes(raw, policy=email.policy.default), str(attachment.get("ref", "")))
        if part is None:
            raise PermanentError("the e-mail has no such attachment")
        data = part_bytes(part)
        limit = max_media_bytes()
        if len(data) > limit:
            raise PermanentError(f"the file is larger than {limit // 1_000_000} MB")
        return Fetched(data=data, content_type=part.get_content_type(), filename=clean_filename(part.get_filename()))

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
