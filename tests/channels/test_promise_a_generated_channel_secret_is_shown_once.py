"""Promises of the add-channel page: a secret the admin left empty is generated and shown once,
right after creation (it must be typed into the gateway), never again; webhook URLs are built from
the address the admin reached the console at, unless TESTIGO_CHANNEL_BASE_URL says otherwise."""

from __future__ import annotations

import pytest

from testigo.channels.models import Channel

pytestmark = pytest.mark.usefixtures("english", "public_host")


@pytest.fixture
def public_host(settings):
    """The console reached at a public name on a port other than 8000."""
    settings.ALLOWED_HOSTS = ["testigo.example.org"]


def add(client, type_code: str, **fields):
    return client.post("/console/messages/channels/", {"type": type_code, "name": "Canal", **fields},
                       HTTP_HOST="testigo.example.org:8443", secure=True)


def test_promise_a_generated_smssync_secret_is_shown_once_after_creation(client, admin_user):
    client.force_login(admin_user)
    page = add(client, "smssync", config_secret="").content.decode()
    secret = Channel.objects.get().config["secret"]
    assert len(secret) >= 20 and secret in page and "shown only this once" in page
    assert secret not in client.get("/console/messages/channels/").content.decode()
    assert secret not in client.get(f"/console/messages/channels/{Channel.objects.get().pk}/").content.decode()


def test_promise_a_secret_the_admin_typed_is_not_echoed(client, admin_user):
    client.force_login(admin_user)
    page = add(client, "smssync", config_secret="typed-by-the-admin").content.decode()
    assert Channel.objects.get().config["secret"] == "typed-by-the-admin"
    assert "typed-by-the-admin" not in page


def test_promise_webhook_urls_use_the_address_the_console_was_reached_at(client, admin_user, settings):
    settings.CHANNEL_BASE_URL = ""
    client.force_login(admin_user)
    page = add(client, "smssync").content.decode()
    channel = Channel.objects.get()
    expected = f"https://testigo.example.org:8443/ch/smssync/{channel.uuid}/"
    assert expected in page and "127.0.0.1:8000" not in page
    listing = client.get("/console/messages/channels/", HTTP_HOST="testigo.example.org:8443", secure=True)
    assert expected in listing.content.decode()
    edit = client.get(f"/console/messages/channels/{channel.pk}/", HTTP_HOST="testigo.example.org:8443", secure=True)
    assert expected in edit.content.decode()


def test_promise_the_configured_channel_base_url_wins_over_the_request(client, admin_user, settings):
    settings.CHANNEL_BASE_URL = "https://public.example.org"
    client.force_login(admin_user)
    page = add(client, "smssync").content.decode()
    channel = Channel.objects.get()
    assert f"https://public.example.org/ch/smssync/{channel.uuid}/" in page
    assert "testigo.example.org:8443" not in page
