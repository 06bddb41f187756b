"""A photo that came by a channel is bounded by the channel's own limit (TESTIGO_CHANNEL_MEDIA_MAX_MB,
what the worker would fetch), not by the web form's upload limit: a 1.5 MB photo with a 1 MB
upload limit and a 3 MB channel limit is kept, while the web form's check still refuses it."""

from __future__ import annotations

import io
import os

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from testigo.reports.avmedia import sanitise_media
from testigo.reports.media import probe_image


def noisy_jpeg(min_bytes: int) -> bytes:
    image = Image.frombytes("RGB", (1000, 1000), os.urandom(1000 * 1000 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=100)
    assert len(out.getvalue()) > min_bytes
    return out.getvalue()


def test_a_photo_over_the_upload_limit_but_within_the_channel_limit_is_kept(settings):
    settings.MAX_UPLOAD_MB = 1
    settings.CHANNEL_MEDIA_MAX_BYTES = 3 * 1024 * 1024
    data = noisy_jpeg(1024 * 1024 + 1)
    with pytest.raises(ValidationError):
        probe_image(name="foto.jpg", data=data)  # the web form's limit is unchanged
    clean = sanitise_media(data=data, kind_hint="image")
    assert clean.kind == "image" and clean.content_type == "image/jpeg"
