"""Promise: in the deployment language (Spanish), an admin who opens a channel's settings and
presses Guardar without touching anything saves them. Numbers are shown the Spanish way (`2,5`)
and read back the same way, for every channel type in the registry."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from testigo.channels.models import Channel
from testigo.channels.types import all_types

pytestmark = pytest.mark.usefixtures("loopback_gateways")  # the sample gateway addresses are 127.0.0.1


class FormFields(HTMLParser):
    """What a browser would post from the page's settings form: every named input and text area,
    checked boxes."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._in_post_form = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_post_form = (attrs.get("method") or "").lower() == "post"
        elif tag == "input" and self._in_post_form and attrs.get("name"):
            if attrs.get("type") == "checkbox" and "checked" not in attrs:
                return
            self.fields[attrs["name"]] = attrs.get("value") or ("on" if attrs.get("type") == "checkbox" else "")
        elif tag == "textarea" and self._in_post_form and attrs.get("name"):
            self._textarea = attrs["name"]
            self.fields[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_post_form = False
        elif tag == "textarea":
            self._textarea = None


def sample_config(type_code: str) -> dict:
    """Valid settings for any type: an address for URL/host fields, a number for ports."""
    values = {}
    for field in all_types()[type_code].config_fields:
        if field.kind == "url":
            values[field.key] = "http://127.0.0.1:13013/send"
        elif field.kind == "host":
            values[field.key] = "127.0.0.1"
        elif field.key.endswith("port"):
            values[field.key] = "2775"
        else:
            values[field.key] = f"{field.key}-value"
    return values


@pytest.mark.parametrize("rate", [1.0, 2.5])
@pytest.mark.parametrize("type_code", sorted(all_types()))
def test_promise_a_channel_saves_exactly_what_its_spanish_edit_page_shows(client, admin_user, make_channel,
                                                                         type_code, rate):
    channel = make_channel(type_code, name="Canal", rate=rate, **sample_config(type_code))
    before = dict(channel.config)
    client.force_login(admin_user)
    page = client.get(f"/console/messages/channels/{channel.pk}/")
    assert page.status_code == 200
    parser = FormFields()
    parser.feed(page.content.decode())
    assert "rate_per_second" in parser.fields and "." not in parser.fields["rate_per_second"]  # shown as in Spanish
    response = client.post(f"/console/messages/channels/{channel.pk}/", parser.fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = Channel.objects.get(pk=channel.pk)
    assert channel.rate_per_second == rate and channel.config == before and channel.is_active


@pytest.mark.parametrize(("typed", "rate"), [("2,5", 2.5), ("2.5", 2.5), ("3", 3.0)])
def test_promise_the_add_form_reads_a_rate_typed_the_spanish_or_the_english_way(client, admin_user, typed, rate):
    client.force_login(admin_user)
    response = client.post("/console/messages/channels/", {"type": "smssync", "name": "Teléfono",
                                                           "rate_per_second": typed})
    assert response.status_code in {200, 302}
    assert Channel.objects.get().rate_per_second == rate
