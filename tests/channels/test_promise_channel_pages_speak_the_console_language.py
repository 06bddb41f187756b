"""Promise: the channel pages are console pages in the deployment language (Spanish): they carry
the console bar and title, and no channel type's name, setting or help shows in English."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import escape

from testigo.channels.models import Channel
from testigo.channels.types import all_types

pytestmark = pytest.mark.usefixtures("loopback_gateways")

# What a Honduran coordinator reported seeing in English (issue #14).
REPORTED_IN_ENGLISH = ["SMSSync (Android phone)", ">Secret<", "Bot token (from @BotFather)", "Account SID",
                       "IMAP over TLS: yes/no", "Webhook secret token", "Mailbox password", "Phone number ID"]


def english_texts(type_code: str) -> list[str]:
    """The type's name (when it is not a brand) and every setting's label, in English."""
    channel_type = all_types()[type_code]
    with translation.override("en"):
        texts = [str(f.label) for f in channel_type.config_fields]
        if isinstance(channel_type.name, Promise):
            texts.append(str(channel_type.name))
    return texts


@pytest.mark.parametrize("type_code", sorted(all_types()))
def test_promise_every_setting_label_of_every_channel_type_is_translatable(type_code):
    channel_type = all_types()[type_code]
    assert all(isinstance(f.label, Promise) for f in channel_type.config_fields)
    for english in english_texts(type_code):
        with translation.override("es"):
            assert translation.gettext(english) != english, f"no Spanish for {english!r}"


@pytest.mark.parametrize("type_code", sorted(all_types()))
def test_promise_channel_add_and_edit_pages_show_no_english_labels(client, admin_user, type_code):
    channel = Channel.objects.create(type=type_code, name="Canal", config={})  # the page, not the settings
    client.force_login(admin_user)
    # A label or option whose whole text is the English one (`system_id` may stay inside its Spanish label).
    forbidden = REPORTED_IN_ENGLISH + [f">{escape(text)}<" for text in english_texts(type_code)]
    for url in (f"/console/messages/channels/?type={type_code}", f"/console/messages/channels/{channel.pk}/"):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        shown = [text for text in forbidden if text in html]
        assert shown == [], f"{url} shows in English: {shown}"


@pytest.mark.parametrize("url", ["/console/messages/channels/", "/console/messages/channels/{pk}/"])
def test_promise_channel_pages_carry_the_console_bar_and_title(client, admin_user, url):
    channel = Channel.objects.create(type="smssync", name="Canal", config={})
    client.force_login(admin_user)
    html = client.get(url.format(pk=channel.pk)).content.decode()
    assert 'class="console-bar"' in html and 'href="/console/"' in html
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.strip().endswith(f"· {settings.SITE_NAME}")
