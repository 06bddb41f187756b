"""Shared by the WhatsApp sending tests: a channel, a local stand-in of the Graph API's messages
endpoint (provider_server) answering with Meta's documented payloads, and signed status webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from testigo.channels import wa_templates
from testigo.channels.models import Contact, InboundMessage
from testigo.core import roles

PAYLOADS = Path(__file__).parent / "payloads" / "whatsapp" / "sending"
APP_SECRET = "meta-app-secret"
PHONE_ID = "1098765"
MESSAGES_PATH = f"/v21.0/{PHONE_ID}/messages"


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


class Graph:
    """The Graph API's /messages on a real local HTTP server: answers are queued (status, file name);
    with none queued, Meta's documented success answer."""

    def __init__(self, server):
        self.server, self.answers = server, []
        server.route(MESSAGES_PATH, self._answer)

    def _answer(self, request):
        status, name = self.answers.pop(0) if self.answers else (200, "send_ok.json")
        return status, {"Content-Type": "application/json"}, payload(name)

    def answer(self, status: int, name: str) -> None:
        self.answers.append((status, name))

    @property
    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.server.requests if r["path"] == MESSAGES_PATH]


@pytest.fixture
def graph(provider_server, settings):
    settings.CHANNEL_API_BASES = {"whatsapp": provider_server.url}
    return Graph(provider_server)


@pytest.fixture
def wa(make_channel):
    return make_channel("whatsapp", name="WhatsApp Honduras", app_secret=APP_SECRET, verify_token="vt-123",
                        access_token="EAAG", phone_number_id=PHONE_ID)


def person(address: str = "+50499990001", language: str = "") -> Contact:
    return Contact.objects.create(scheme="tel", address=address, language=language)


def wrote(channel, contact: Contact, *, hours_ago: float) -> InboundMessage:
    """The person's last message to the channel, `hours_ago` hours ago."""
    return InboundMessage.objects.create(channel=channel, contact=contact, provider_id=f"wamid.in{uuid.uuid4().hex}",
                                         text="Hay un incendio", received_at=timezone.now() - timedelta(hours=hours_ago))


def register(channel, *, name: str, body: str, purpose: str = "other", language: str = "es", active: bool = True):
    return wa_templates.save_template(actor=roles.SYSTEM, channel=channel, name=name, language=language,
                                      purpose=purpose, body=body, is_active=active)


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def post_status(client, channel, body: bytes):
    return client.post(f"/ch/whatsapp/{channel.uuid}/", body, content_type="application/json",
                       HTTP_X_HUB_SIGNATURE_256=sign(body))
