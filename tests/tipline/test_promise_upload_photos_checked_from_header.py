"""Promise: no tip-line upload can occupy a web worker for more than about a second.

A tip's plaintext cannot go to the worker, so the tip line's photos are still re-encoded in the
request (by the service). The form first reads each photo's header only: a decompression bomb
is refused before a pixel is decoded, and a photo over the request's decoding budget (PNG,
WebP, GIF over 4 Mpx; JPEG is decoded at reduced scale) is refused with a way out: a JPEG, or
a .zip, which is sealed as it is.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from testigo.tipline.models import Tip, TipFile
from tests.public.conftest import DecodeSpy, huge_png

pytestmark = pytest.mark.usefixtures("english")


def _post(client, name: str, data: bytes, content_type: str):
    page = client.get("/tip/")
    token = re.search(rb'name="token" value="([^"]+)"', page.content).group(1).decode()
    return client.post("/tip/", {"token": token, "body": "See the picture",
                                 "files": [SimpleUploadedFile(name, data, content_type)]})


@pytest.mark.parametrize("width, height", [(7000, 7000), (60000, 60000)])
def test_promise_upload_bomb_is_refused_from_its_header(client, tip_admin, monkeypatch, width, height):
    bomb = huge_png(width, height)
    decodes = DecodeSpy(monkeypatch)
    response = _post(client, "bomba.png", bomb, "image/png")
    assert response.status_code == 400
    assert b"has too many pixels (at most 40 million)" in response.content
    assert decodes.calls == 0 and not Tip.objects.exists()


def test_promise_upload_png_over_the_request_budget_is_refused_undecoded(client, tip_admin, monkeypatch, tl):
    large, jpeg = huge_png(2500, 2500), tl.gps_jpeg()  # 6.25 Mpx: over a second to re-encode if noisy
    decodes = DecodeSpy(monkeypatch)
    response = _post(client, "captura.png", large, "image/png")
    assert response.status_code == 400
    assert "“captura.png” is too large a picture to process here" in response.content.decode()
    assert decodes.calls == 0 and not Tip.objects.exists()
    # The way out the message offers: the same bytes in a .zip are sealed as they are, unopened.
    assert _post(client, "captura.zip", large, "application/zip").status_code == 302
    assert decodes.calls == 0 and TipFile.objects.get().kind == TipFile.Kind.OTHER
    # An ordinary photo is still accepted and re-encoded.
    client.cookies.clear()
    assert _post(client, "plaza.jpg", jpeg, "image/jpeg").status_code == 302
    assert TipFile.objects.filter(kind=TipFile.Kind.IMAGE).count() == 1
