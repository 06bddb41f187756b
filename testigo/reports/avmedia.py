"""PLACEHOLDER until the avmedia branch lands: images only."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from testigo.reports.media import ALLOWED_IMAGES, probe_image, sanitise_image


class ToolMissing(RuntimeError):
    pass


def sanitise_media(*, data: bytes, kind_hint: str = "", declared_type: str = "", filename: str = ""):
    for extension, (_format, _ctype) in ALLOWED_IMAGES.items():
        try:
            probe_image(name=f"x{extension}", data=data)
        except ValidationError:
            continue
        return sanitise_image(name=f"x{extension}", data=data)
    raise ValidationError("not an image")
