"""Sanitising uploaded files: images are decoded and re-encoded so no metadata survives.

Two steps with very different costs (measured on a 2-core server, bench/bench_uploads.py):
- `probe_image` reads only the file's header (Pillow's `Image.open` parses the dimensions and
  format without decoding a pixel): microseconds, whatever the picture. Requests call this.
- `sanitise_image` decodes and re-encodes: a noisy 40-megapixel PNG took ~61 s in a request
  (with `optimize` passes, since dropped) and still takes seconds. It runs in the worker for
  the public form (reports/photos.py); the tip line runs it in the request only within the
  `REQUEST_MAX_PIXELS` budget its form enforces (tipline/forms.py).
"""

from __future__ import annotations

import hashlib
import io
import math
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
# Decompression bombs are refused from the header, well before Pillow's own limit (89 Mpx):
# 40 Mpx is a 48-Mpx phone sensor's 4:3 crop; every ordinary photo fits.
MAX_PIXELS = 40_000_000
# What a web request may decode and re-encode itself (the tip line, which cannot hand a tip's
# plaintext to the worker). A noisy PNG costs ~0.14 s of CPU per Mpx to decode and re-encode,
# plus ~0.2 s for the rest of the request: 4 Mpx (most phone screenshots) stays under a second
# with a margin (5 Mpx measured 1.01 s). JPEGs are exempt up to MAX_PIXELS:
# the draft mode below decodes them at 1/2, 1/4 or 1/8 scale inside libjpeg, so a 40-Mpx JPEG
# costs about a 10-Mpx one (~0.3 s). Measured by bench/bench_uploads.py.
REQUEST_MAX_PIXELS = 4_000_000
MAX_SIDE = 4096  # sanitised copies are bounded: evidence is identified by the sha256
# A larger JPEG is decoded at a reduced DCT scale (Image.draft), never more than this many pixels.
DRAFT_PIXELS = MAX_SIDE * MAX_SIDE


@dataclass(frozen=True)
class ImageHeader:
    """What the header says: enough to refuse a file without decoding it."""

    format: str
    content_type: str
    extension: str
    width: int
    height: int


@dataclass
class SanitisedFile:
    content: bytes
    extension: str
    content_type: str
    sha256: str  # of the original bytes, as received
    width: int | None
    height: int | None
    kind: str = "image"  # Media.Kind: image, audio, video, document
    duration_s: float | None = None  # audio and video
    name: str = ""  # documents: a cleaned file name for staff
    metadata_removed: bool = True  # False: a document kept as sent (no tool could clean its format)
    truncated: bool = False  # audio and video longer than the limit were cut (reports/avmedia.py)


def _extension(name: str) -> str:
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def is_image_name(name: str) -> bool:
    """Whether a file of this name is treated as a photo (and so decoded and re-encoded)."""
    return _extension(name) in ALLOWED_IMAGES


def _too_many_pixels(name: str, limit: int) -> ValidationError:
    return ValidationError(
        _("“%(name)s” has too many pixels (at most %(max)s million). Please send a smaller copy of the picture.")
        % {"name": name, "max": f"{limit / 1_000_000:g}"}
    )


def probe_image(*, name: str, data: bytes, max_pixels: int = MAX_PIXELS, max_mb: float | None = None) -> ImageHeader:
    """Check an upload's size, extension, real format and dimensions from its header alone.

    Never decodes pixel data, so its cost does not depend on the picture: a web request may
    call it on anything. Raises a translated ValidationError naming the file. `max_mb`: the size
    limit when it is not the upload one (a channel's files, capped by their own setting)."""
    ext = _extension(name)
    limit_mb = settings.MAX_UPLOAD_MB if max_mb is None else max_mb
    if len(data) > limit_mb * 1024 * 1024:
        raise ValidationError(_("“%(name)s” is larger than the limit of %(mb)s MB.")
                              % {"name": name, "mb": limit_mb})
    if ext not in ALLOWED_IMAGES:
        raise ValidationError(_("“%(name)s”: only photos are accepted (JPEG, PNG, WebP or GIF).") % {"name": name})
    expected_format, content_type = ALLOWED_IMAGES[ext]
    try:
        with Image.open(io.BytesIO(data)) as probe:  # header only: no pixel is decoded here
            actual, (width, height) = probe.format, probe.size
    except Image.DecompressionBombError:  # beyond Pillow's own limit: the header said so
        raise _too_many_pixels(name, max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(_("“%(name)s” is not a valid image.") % {"name": name}) from None
    if actual != expected_format:
        raise ValidationError(
            _("“%(name)s” is not what its extension says (it looks like %(actual)s).")
            % {"name": name, "actual": actual or "?"}
        )
    if width * height > max_pixels:
        raise _too_many_pixels(name, max_pixels)
    return ImageHeader(format=actual, content_type=content_type, extension=ext, width=width, height=height)


def request_pixel_budget(header: ImageHeader) -> int:
    """The pixel budget for decoding this image inside a web request (see REQUEST_MAX_PIXELS)."""
    return MAX_PIXELS if header.format == "JPEG" else REQUEST_MAX_PIXELS


def _decode(data: bytes, header: ImageHeader) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    pixels = header.width * header.height
    if header.format == "JPEG" and pixels > DRAFT_PIXELS:
        # The smallest reduction libjpeg offers (2, 4, 8) that brings it within DRAFT_PIXELS.
        scale = min(8, 2 ** math.ceil(math.log2(math.sqrt(pixels / DRAFT_PIXELS))))
        if scale > 1:
            image.draft(None, (max(1, header.width // scale), max(1, header.height // scale)))
    image.load()
    return image


def sanitise_image(*, name: str, data: bytes, max_pixels: int = MAX_PIXELS,
                   max_mb: float | None = None) -> SanitisedFile:
    """Check an upload is the image its name says and return a metadata-free re-encoding.

    Expensive (it decodes every pixel): run it in the worker, or in a request only for an image
    within `request_pixel_budget`."""
    header = probe_image(name=name, data=data, max_pixels=max_pixels, max_mb=max_mb)
    try:
        # No separate verify() pass: decoding raises on corrupt or truncated data anyway, and
        # verify() would inflate a PNG a second time.
        image = _decode(data, header)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("“%(name)s” is not a valid image.") % {"name": name}) from None
    image = ImageOps.exif_transpose(image)  # keep the visible orientation once EXIF is gone
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    # No `optimize` passes: they multiply the encoding time for a few per cent of bytes.
    if header.format == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=85)
    elif header.format == "GIF":
        image.save(out, "GIF")
    elif header.format == "WEBP":
        image.save(out, "WEBP", quality=85, method=0)  # method 0: ~4x faster than the default
    else:
        image.save(out, "PNG")
    return SanitisedFile(
        content=out.getvalue(), extension=".jpg" if header.format == "JPEG" else header.extension,
        content_type=header.content_type, sha256=hashlib.sha256(data).hexdigest(),
        width=image.width, height=image.height,
    )
