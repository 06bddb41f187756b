"""A photo or voice note is never fetched in the webhook's request; when the provider fails, the
worker tries again later, and a file that cannot be had stays on the report with the reason and a
"Try again now" button. What the worker kept only to fetch the files goes once they are stored."""

from __future__ import annotations

import io
import json
import time
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from testigo.channels import media
from testigo.channels.models import InboundMedia, InboundMessage
from testigo.core import roles
from testigo.reports.models import Media

pytestmark = pytest.mark.usefixtures("english")
TOKEN = "123:abc"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def client_as(make_user):
    def make(role: str):
        from django.test import Client

        user = make_user(role, username=f"{role}-{make.count}")
        make.count += 1
        staff = Client()
        staff.cookies["django_language"] = "en"
        staff.force_login(user)
        return staff

    make.count = 0
    return make


@pytest.fixture
def telegram(make_channel, settings, provider_server):
    settings.CHANNEL_API_BASES = {"telegram": provider_server.url}
    return make_channel("telegram", bot_token=TOKEN, secret_token="tg-secret")


def photo_update(update_id: int = 1) -> bytes:
    return json.dumps({"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "caption": "calle inundada",
        "from": {"id": 42, "is_bot": False, "first_name": "Ana", "language_code": "es"},
        "chat": {"id": 42, "type": "private"},
        "photo": [{"file_id": "small", "file_unique_id": "s", "width": 90, "height": 60, "file_size": 900},
                  {"file_id": "big", "file_unique_id": "b", "width": 1280, "height": 853, "file_size": 90000}]}}).encode()


def post(client, channel, body: bytes):
    return client.post(f"/ch/telegram/{channel.uuid}/", body, content_type="application/json",
                       HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="tg-secret")


def serve_file(server, data: bytes, status: int = 200) -> None:
    server.route(f"/bot{TOKEN}/getFile", {"ok": True, "result": {"file_id": "big", "file_path": "photos/file_7.jpg"}})
    server.route(f"/file/bot{TOKEN}/photos/file_7.jpg", data, status=status, headers={"Content-Type": "image/jpeg"})


@pytest.mark.django_db
def test_the_webhook_answers_before_any_file_is_fetched(client, telegram, provider_server,
                                                        django_capture_on_commit_callbacks):
    serve_file(provider_server, jpeg())
    with django_capture_on_commit_callbacks() as callbacks:
        assert post(client, telegram, photo_update()).status_code == 200
    assert provider_server.requests == []  # the request is answered: nothing fetched in it
    item = InboundMedia.objects.get()
    assert (item.status, item.kind, item.attachment["ref"]) == ("pending", "image", "big")  # the largest size
    for callback in callbacks:
        callback()
    item.refresh_from_db()
    assert item.status == "stored" and item.media.kind == "image"
    assert item.media.report_id == InboundMessage.objects.get().report_id
    assert "bot123:abc" not in item.error


@pytest.mark.django_db
def test_a_provider_outage_is_retried_later_then_given_up_and_shown(client, telegram, provider_server,
                                                                    django_capture_on_commit_callbacks, client_as):
    serve_file(provider_server, b"busy", status=502)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, telegram, photo_update())
    item = InboundMedia.objects.get()
    assert item.status == "pending" and item.attempts == 1 and item.next_attempt_at > timezone.now()
    assert "502" in item.error
    assert media.fetch_due() == 0  # not due yet
    for _ in range(media.MAX_ATTEMPTS):  # every pause passes, the provider still fails
        InboundMedia.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        media.fetch_due()
    item.refresh_from_db()
    assert (item.status, item.attempts) == ("failed", media.MAX_ATTEMPTS)
    report = item.report
    page = client_as(roles.MODERATOR).get(f"/console/r/{report.reference}/")
    assert b"could not be fetched" in page.content and b"HTTP 502" in page.content

    serve_file(provider_server, jpeg())  # the provider is back: an editor asks once more
    editor = client_as(roles.MODERATOR)
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(f"/console/r/{report.reference}/inbound-media/{item.pk}/retry/")
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "stored"
    assert Media.objects.filter(report=report).count() == 1


@pytest.mark.django_db
def test_a_file_refused_for_what_it_is_says_why_on_the_report(client, telegram, provider_server,
                                                              django_capture_on_commit_callbacks, client_as):
    serve_file(provider_server, b"MZ\x90\x00" + b"\x00" * 200)  # a Windows program sent as a "photo"
    with django_capture_on_commit_callbacks(execute=True):
        post(client, telegram, photo_update())
    item = InboundMedia.objects.get()
    assert item.status == "refused" and item.error
    assert not Media.objects.exists()
    page = client_as(roles.MODERATOR).get(f"/console/r/{item.report.reference}/")
    assert b"refused" in page.content


@pytest.mark.django_db
def test_a_volunteer_cannot_ask_for_a_retry(client, telegram, provider_server, django_capture_on_commit_callbacks,
                                            client_as):
    serve_file(provider_server, b"", status=404)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, telegram, photo_update())
    item = InboundMedia.objects.get()
    response = client_as(roles.ANALYST).post(f"/console/r/{item.report.reference}/inbound-media/{item.pk}/retry/")
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.status == "failed"


@pytest.mark.django_db
def test_a_stored_email_is_deleted_once_its_files_are_the_reports(make_channel, django_capture_on_commit_callbacks):
    from email.message import EmailMessage

    from testigo.channels import inbound
    from testigo.channels.types import email as email_type

    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "Ana <ana@example.org>", "reportes@example.org", "Foto"
    mail["Message-ID"] = "<foto-1@example.org>"
    mail.set_content("")
    mail.add_attachment(jpeg(), maintype="image", subtype="jpeg", filename="IMG_2041.jpg")
    raw = mail.as_bytes()
    channel = make_channel("email", imap_host="imap.example.org", username="u", password="p",
                           smtp_host="smtp.example.org", from_address="reportes@example.org")
    message = email_type.parse_message(raw)
    email_type.keep_for_the_worker(raw, message)
    stored = email_type.stored_name(raw)
    assert default_storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        inbound.receive(channel=channel, inbound=message)
    item = InboundMedia.objects.get()
    assert item.status == "stored" and item.report.title == "Foto"
    assert not default_storage.exists(stored)
