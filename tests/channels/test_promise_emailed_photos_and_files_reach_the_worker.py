"""E-mail carries photos, videos and documents as attachments and as images inside the HTML.
Each becomes an attachment of the stored message, and the worker gets its exact bytes later
from the mail kept at poll time. HTML-only mail and unknown charsets give readable text. A mail
too large to download keeps its subject and says its files were not kept."""

from __future__ import annotations

import email
import email.policy
import imaplib
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from testigo.channels import tasks
from testigo.channels.inbound import extras_of
from testigo.channels.models import InboundMessage
from testigo.channels.types import base, get
from testigo.channels.types import email as mail_type
from testigo.channels.types.email import clean_filename, html_to_text, parse_message
from tests.channels.test_ch_email_real import imap_server  # noqa: F401 - the real IMAP server fixture

PAYLOADS = Path(__file__).parent / "payloads" / "email"
JPEG = (Path(__file__).parent / "payloads" / "email" / "cpython_msg_22_two_jpegs.eml")


def sample(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def part_bytes(raw: bytes, locator: str) -> bytes:
    return mail_type.find_part(email.message_from_bytes(raw, policy=email.policy.default),
                               locator).get_payload(decode=True)


@pytest.mark.parametrize(("name", "expected"), [
    ("cpython_msg_07_gif_attachment.eml", [("image", "2", "image/gif", "dingusfish.gif")]),
    ("cpython_msg_22_two_jpegs.eml", [("image", "2", "image/jpeg", "wibble.JPG"),
                                      ("image", "3", "image/jpeg", "wibble2.JPG")]),
    ("cpython_msg_26_riscos_file.eml", [("document", "2", "application/riscos", "clock.bmp")]),
    ("cpython_docs_asparagus_related.eml", [("image", "2.2", "image/gif", "")]),
    ("cpython_msg_15_alternative.eml", []),
])
def test_every_file_of_a_real_mail_is_an_attachment_and_the_text_is_not(name, expected):
    inbound = parse_message(sample(name))
    assert [(a.kind, a.ref, a.content_type, a.filename) for a in inbound.attachments] == expected
    for attachment in inbound.attachments:
        assert attachment.size == len(part_bytes(sample(name), attachment.ref)) > 0
        assert attachment.extra["mail"] == mail_type.stored_name(sample(name))


def test_an_image_shown_inside_the_html_is_kept_as_an_inline_attachment():
    inbound = parse_message(sample("cpython_docs_asparagus_related.eml"))
    (image,) = inbound.attachments
    assert image.extra["inline"] is True and image.extra["content_id"] == "asparagus-cid@example.com"
    assert inbound.text.startswith("Ayons asperges pour le déjeuner\nSalut!")


def test_an_html_only_mail_is_read_as_text_with_its_accents():
    inbound = parse_message(sample("constructed_html_only_latin1.eml"))
    assert inbound.name == "María López"
    assert inbound.text == ("Inundación en la colonia\nEl río se desbordó anoche.\n"
                            "Confirmo el envío de fotos & videos mañana.\nCalle 8\nCasa 12")
    assert html_to_text("<p>a</p><script>alert(1)</script><style>p{}</style><br>b&#233;") == "a\nbé"


def test_a_mail_in_an_unknown_charset_is_read_as_utf8_not_a_crash():
    assert parse_message(sample("constructed_unknown_charset.eml")).text == "Robo\nSe robaron la moto en la esquina."


def test_a_mail_without_a_sender_is_refused_as_unreadable():
    with pytest.raises(base.Malformed, match="sender"):
        parse_message(sample("cpython_msg_40_html_no_sender.eml"))


@pytest.mark.parametrize(("given", "clean"), [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\ana\\foto 1.jpg", "foto 1.jpg"), ("a\x00b\x1b[31m.pdf", "ab[31m.pdf"),
    ("informe caño.pdf", "informe caño.pdf"), ("x" * 300 + ".jpeg", "x" * 115 + ".jpeg"), (None, ""), ("..", ""),
])
def test_file_names_are_cleaned_before_anyone_sees_them(given, clean):
    assert clean_filename(given) == clean


# --- through a real IMAP server, as the poll job reads the mailbox ---------------------------------------------

def append(port: int, raw: bytes) -> None:
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login("demouser", "demopass")
    client.append("INBOX", None, imaplib.Time2Internaldate(time.time()), raw)
    client.logout()


@pytest.fixture
def mailbox(imap_server, make_channel, loopback_gateways):  # noqa: F811
    channel = make_channel("email", imap_host="127.0.0.1", imap_port=str(imap_server), imap_tls="no",
                           username="demouser", password="demopass", smtp_host="127.0.0.1", smtp_port="1",
                           smtp_security="none", from_address="reportes@testigo.org")
    return channel, imap_server


def photo_mail(jpeg: bytes) -> bytes:
    """What a phone's mail app sends when one shares a photo: subject, no text, the photo."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "Ana <ana@example.org>", "reportes@testigo.org", "Foto"
    mail["Message-ID"] = "<foto-1@example.org>"
    mail.add_attachment(jpeg, maintype="image", subtype="jpeg", filename="IMG_20261207_101500.jpg")
    return mail.as_bytes()


@pytest.mark.services
def test_a_photo_only_mail_is_stored_with_its_subject_and_the_worker_gets_the_photo(mailbox):
    channel, port = mailbox
    jpeg = part_bytes(JPEG.read_bytes(), "2")
    append(port, photo_mail(jpeg))
    assert tasks.poll_mailboxes.call_local() == 1
    message = InboundMessage.objects.get()
    assert message.text == "Foto" and message.contact.address == "ana@example.org"
    (attachment,) = extras_of(message)["attachments"]
    assert (attachment["kind"], attachment["filename"], attachment["size"]) == (
        "image", "IMG_20261207_101500.jpg", len(jpeg))
    assert default_storage.exists(attachment["extra"]["mail"])

    fetched = get("email").fetch_media(channel, message, attachment)
    assert (fetched.data, fetched.content_type, fetched.filename) == (jpeg, "image/jpeg", "IMG_20261207_101500.jpg")


@pytest.mark.services
def test_an_inline_image_of_an_html_mail_reaches_the_worker(mailbox):
    channel, port = mailbox
    raw = sample("cpython_docs_asparagus_related.eml")
    append(port, raw)
    tasks.poll_mailboxes.call_local()
    message = InboundMessage.objects.get()
    (attachment,) = extras_of(message)["attachments"]
    fetched = get("email").fetch_media(channel, message, attachment)
    assert fetched.data.startswith(b"GIF8") and fetched.content_type == "image/gif"


@pytest.mark.services
def test_a_mail_without_attachments_is_not_kept_beside_the_message(mailbox):
    _channel, port = mailbox
    append(port, sample("constructed_unknown_charset.eml"))
    tasks.poll_mailboxes.call_local()
    assert extras_of(InboundMessage.objects.get()) == {}
    assert not default_storage.exists(mail_type.STORED_MAIL_DIR)


@pytest.mark.services
def test_a_mail_too_large_keeps_its_subject_and_says_its_files_were_not_kept(mailbox, monkeypatch):
    _channel, port = mailbox
    monkeypatch.setattr(mail_type, "MAX_MAIL_BYTES", 3000)
    append(port, sample("cpython_msg_07_gif_attachment.eml"))  # 5 227 bytes
    assert tasks.poll_mailboxes.call_local() == 1
    message = InboundMessage.objects.get()
    assert message.text.startswith("Here is your dingus fish\n")
    note = message.text.split("\n", 1)[1]
    assert note.startswith("[") and note.endswith("]") and "1 MB" in note
    assert "dingus fish." not in note  # the body was not downloaded
    assert extras_of(message) == {} and message.raw["size"] > 3000


@pytest.mark.services
def test_an_unreadable_mail_does_not_stop_the_others_and_is_not_read_again(mailbox):
    _channel, port = mailbox
    append(port, sample("cpython_msg_40_html_no_sender.eml"))
    append(port, sample("cpython_msg_22_two_jpegs.eml"))
    assert tasks.poll_mailboxes.call_local() == 2
    assert list(InboundMessage.objects.values_list("text", flat=True)) == ["Text text text."]
    assert tasks.poll_mailboxes.call_local() == 0


def test_the_worker_refuses_an_attachment_that_points_outside_the_stored_mails(make_channel, loopback_gateways):
    channel = make_channel("email", imap_host="127.0.0.1", username="u", password="p", smtp_host="127.0.0.1",
                           from_address="r@testigo.org")
    for extra in ({"mail": "../settings.py"}, {"mail": "inbound-mail/../../x"}, {}, {"mail": "inbound-mail/gone"}):
        with pytest.raises(base.PermanentError):
            get("email").fetch_media(channel, None, {"ref": "2", "extra": extra})
