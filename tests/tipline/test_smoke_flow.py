"""The whole conversation through the web pages, without JavaScript (Django test client)."""

from __future__ import annotations

import re

import pytest

from testigo.tipline import services
from testigo.tipline.models import Tip

pytestmark = pytest.mark.usefixtures("english")  # the page text checked below is English


def _token(response) -> str:
    return re.search(rb'name="token" value="([^"]+)"', response.content).group(1).decode()


def test_source_sends_tip_staff_replies_and_source_reads_reply(client, tip_admin, org_key, tl):
    page = client.get("/tip/")
    assert page.status_code == 200 and b"<script" not in page.content
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("plaza.jpg", tl.gps_jpeg(), content_type="image/jpeg")
    response = client.post("/tip/", {"token": _token(page), "body": "The mayor takes bribes", "files": [photo]})
    assert response.status_code == 302 and response["Location"] == "/tip/sent/"
    sent = client.get("/tip/sent/")
    codename = re.search(rb'id="codename">(.*?)</p>', sent.content, re.S).group(1)
    codename = " ".join(re.findall(rb"<span>([a-z-]+)</span>", codename)[i].decode() for i in range(7))
    assert len(codename.split()) == 7
    assert client.get("/tip/sent/").status_code == 302  # shown once

    tip = Tip.objects.get()
    services.staff_reply(actor=tip_admin, org_private=org_key, tip=tip, body="Thank you, can you say which office?")

    client.cookies.clear()
    login_page = client.get("/tip/login/")
    response = client.post("/tip/login/", {"token": _token(login_page), "codename": codename.upper()})
    assert response.status_code == 302
    conversation = client.get("/tip/conversation/")
    assert b"The mayor takes bribes" in conversation.content
    assert b"can you say which office?" in conversation.content
    assert b"plaza.jpg" in conversation.content


def test_staff_reads_tip_in_console_after_real_login(client, tip_admin, tl):
    services.submit_tip(body="Secret about the port", files=[], language="en")
    tl.staff_client(client, tip_admin)
    assert "tipkey" in client.cookies
    tip = Tip.objects.get()
    page = client.get(f"/console/tips/{tip.pk}/")
    assert page.status_code == 200
    assert b"Secret about the port" in page.content
