"""Promise: a gateway address an admin types (Kannel's sendsms URL, a FrontlineSMS web service, an
SMPP or mail host) never makes the server connect to itself or its private network — checked when
the channel is saved and again when connecting (DNS may answer differently later) — unless the
operator sets TESTIGO_ALLOW_PRIVATE_GATEWAYS=1; and an admin-set URL's answer is never shown in
the console. Before, a channel's api_url made the worker fetch internal pages and showed 300 bytes."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ValidationError

from testigo.channels.models import Channel, Contact, OutboundMessage
from testigo.channels.types import get as get_type
from testigo.channels.types.base import PermanentError

INTERNAL_ANSWER = b"INTERNAL-ADMIN-PAGE root-password=hunter2"


@pytest.fixture
def internal_server():
    """An HTTP service on this machine (an admin page, a metadata service) that records every hit."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(403)
            self.end_headers()
            self.wfile.write(INTERNAL_ANSWER)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


def kannel(make_channel, url: str) -> Channel:
    return make_channel("kannel", secret="k", sendsms_url=url, username="u", password="p")


@pytest.mark.parametrize("url", ["http://127.0.0.1:13013/cgi-bin/sendsms", "http://localhost/", "http://10.1.2.3/",
                                 "http://169.254.169.254/latest/meta-data/", "http://[::1]:8000/",
                                 "http://[::ffff:127.0.0.1]/", "http://192.168.0.1/", "http://0.0.0.0/"])
def test_promise_saving_a_channel_with_a_private_url_is_refused(make_channel, url):
    with pytest.raises(ValidationError) as caught:
        kannel(make_channel, url)
    assert "TESTIGO_ALLOW_PRIVATE_GATEWAYS" in " ".join(caught.value.messages)
    assert not Channel.objects.exists()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://93.184.216.34/", "gopher://93.184.216.34/", "/cgi-bin/x"])
def test_promise_a_gateway_url_must_be_http_or_https_even_when_private_gateways_are_allowed(make_channel, settings,
                                                                                             url):
    settings.ALLOW_PRIVATE_GATEWAYS = True
    with pytest.raises(ValidationError):
        kannel(make_channel, url)


@pytest.mark.parametrize("code, config", [
    ("smpp", {"host": "127.0.0.1", "port": "2775", "system_id": "s", "password": "p", "source_addr": "1"}),
    ("email", {"imap_host": "10.0.0.5", "username": "u", "password": "p", "smtp_host": "smtp.example.org",
               "from_address": "a@example.org"}),
    ("frontlinesms", {"secret": "s", "api_key": "k", "api_url": "http://127.0.0.1:8080/"}),
])
def test_promise_every_admin_set_host_is_checked_at_save(make_channel, code, config):
    with pytest.raises(ValidationError):
        make_channel(code, **config)


def test_the_operator_can_allow_a_gateway_on_this_machine(make_channel, settings):
    settings.ALLOW_PRIVATE_GATEWAYS = True
    assert kannel(make_channel, "http://127.0.0.1:13013/cgi-bin/sendsms").pk


def test_promise_the_console_form_refuses_a_private_url_with_a_message(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/console/messages/channels/", {
        "type": "kannel", "name": "K", "rate_per_second": "1", "config_secret": "k", "config_username": "u",
        "config_password": "p", "config_sendsms_url": "http://127.0.0.1:22/"})
    assert response.status_code == 400
    assert "TESTIGO_ALLOW_PRIVATE_GATEWAYS" in response.content.decode()
    assert not Channel.objects.exists()


def test_promise_a_name_that_resolves_to_this_machine_at_send_time_is_not_fetched(make_channel, monkeypatch,
                                                                                 internal_server):
    port, hits = internal_server
    channel = kannel(make_channel, f"http://gateway.example.org:{port}/cgi-bin/sendsms")  # no DNS answer at save
    real = socket.getaddrinfo

    def rebound(host, *args, **kwargs):  # the name now points at this machine (DNS rebinding)
        return real("127.0.0.1" if host == "gateway.example.org" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    message = OutboundMessage(pk=1, channel=channel, contact=Contact(scheme="tel", address="+50499990001"), text="x")
    with pytest.raises(PermanentError) as caught:
        get_type("kannel").send(channel, message)
    assert "TESTIGO_ALLOW_PRIVATE_GATEWAYS" in str(caught.value)
    assert hits == []  # nothing was sent to the internal service


def test_promise_an_admin_set_urls_answer_is_never_shown(make_channel, settings, internal_server):
    settings.ALLOW_PRIVATE_GATEWAYS = True  # even when allowed, the answer stays out of the console
    port, hits = internal_server
    for code, config in [("kannel", {"secret": "k", "sendsms_url": f"http://127.0.0.1:{port}/", "username": "u",
                                     "password": "p"}),
                         ("frontlinesms", {"secret": "s", "api_key": "k", "api_url": f"http://127.0.0.1:{port}/"})]:
        channel = make_channel(code, **config)
        message = OutboundMessage(pk=1, channel=channel, contact=Contact(scheme="tel", address="+504"), text="x")
        with pytest.raises(PermanentError) as caught:
            get_type(code).send(channel, message)
        assert b"INTERNAL" not in str(caught.value).encode() and "hunter2" not in str(caught.value)
        assert "403" in str(caught.value)
    assert len(hits) == 2


def test_promise_smpp_checks_the_host_again_when_it_connects(make_channel, settings):
    settings.ALLOW_PRIVATE_GATEWAYS = True
    channel = make_channel("smpp", host="127.0.0.1", port="9", system_id="s", password="p", source_addr="1")
    settings.ALLOW_PRIVATE_GATEWAYS = False  # the operator withdrew the permission
    from testigo.channels import addresses
    from testigo.channels.types.smpp import Session

    with pytest.raises(addresses.BlockedAddress):
        Session(channel).bind()
