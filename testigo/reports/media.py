"""Sanitising uploaded files: images are decoded and re-encoded so no metadata survives."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# extension -> (Pillow format name, content type). Pillow decides what a file *is*; the
# extension must agree, so a script renamed to .jpg is refused.
ALLOWED_IMAGES = {
    ".jpg": ("JPEG", "image/jpeg"),
    ".jpeg": ("JPEG", "image/jpeg"),
    ".png": ("PNG", "image/png"),
    ".webp": ("WEBP", "image/webp"),
    ".gif": ("GIF", "image/gif"),
}
MAX_PIXELS = 40_000_000  # refuse decompression bombs well before Pillow's own limit
MAX_SIDE = 4096  # sanitised copies are bounded: evidence is identified by the sha256


@dataclass
class SanitisedFile:
    content: bytes
    extension: str
    content_type: str
    sha256: str
    width: int
    height: int


def sanitise_image(*, name: str, data: bytes) -> SanitisedFile:
    """Check an upload is the image its name says and return a metadata-free re-encoding."""
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    limit = settings.MAX_UPLOAD_MB * 1024 * 1024
    if len(data) > limit:
        raise ValidationError(_("“%(name)s” is larger than the limit of %(mb)s MB.") % {"name": name, "mb": settings.MAX_UPLOAD_MB})
    if ext not in ALLOWED_IMAGES:
        raise ValidationError(_("“%(name)s”: only photos are accepted (JPEG, PNG, WebP or GIF).") % {"name": name})
    expected_format, content_type = ALLOWED_IMAGES[ext]
    try:
        with Image.open(io.BytesIO(data)) as probe:
            actual = probe.format
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("“%(name)s” has too many pixels.") % {"name": name})
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("“%(name)s” is not a valid image.") % {"name": name}) from None
    if actual != expected_format:
        raise ValidationError(
            _("“%(name)s” is not what its extension says (it looks like %(actual)s).")
            % {"name": name, "actual": actual or "?"}
        )
    image = ImageOps.exif_transpose(image)  # keep the visible orientation once EXIF is gone
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if expected_format == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif expected_format == "GIF":
        image.save(out, "GIF")
    elif expected_format == "WEBP":
        image.save(out, "WEBP", quality=85)
    else:
        image.save(out, "PNG", optimize=True)
    return SanitisedFile(
        content=out.getvalue(), extension=".jpg" if expected_format == "JPEG" else ext,
        content_type=content_type, sha256=hashlib.sha256(data).hexdigest(),
        width=image.width, height=image.height,
    )
