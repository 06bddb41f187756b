"""Promise 6: floods do not hurt — size caps and an hourly cap that needs no address."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from testigo.tipline import services
from testigo.tipline.models import Source, Tip

pytestmark = pytest.mark.usefixtures("english")  # the page text checked below is English


def _token(response) -> str:
    return re.search(rb'name="token" value="([^"]+)"', response.content).group(1).decode()


def test_overlong_message_is_refused_and_the_text_is_kept(client, tip_admin, settings):
    settings.TIP_MAX_MESSAGE_CHARS = 50
    text = "a long story " * 10
    page = client.get("/tip/")
    response = client.post("/tip/", {"token": _token(page), "body": text})
    assert response.status_code == 400 and b"too long" in response.content
    assert text.strip().encode() in response.content and not Tip.objects.exists()


def test_oversized_file_is_refused(client, tip_admin, settings):
    settings.TIP_MAX_FILE_MB = 1
    page = client.get("/tip/")
    big = SimpleUploadedFile("dump.bin", b"\0" * (1024 * 1024 + 1))
    response = client.post("/tip/", {"token": _token(page), "body": "see file", "files": [big]})
    assert response.status_code == 400 and b"larger than the limit" in response.content
    assert b"see file" in response.content and not Tip.objects.exists()


def test_too_many_files_are_refused(tip_admin, settings):
    settings.TIP_MAX_FILES = 2
    with pytest.raises(ValidationError):
        services.submit_tip(body="x", files=[(f"f{i}.txt", b"x") for i in range(3)], language="en")


def test_new_tips_per_hour_are_capped_without_addresses(tip_admin, settings):
    settings.TIP_NEW_PER_HOUR = 3
    for _ in range(3):
        services.submit_tip(body="flood", files=[], language="en")
    with pytest.raises(services.Throttled):
        services.submit_tip(body="flood", files=[], language="en")
    assert Source.objects.count() == 3


def test_empty_message_is_refused(tip_admin):
    with pytest.raises(ValidationError):
        services.submit_tip(body="   ", files=[], language="en")
