"""GSM 03.38 / UCS-2 segment counting and the optional transliteration that keeps Spanish in GSM-7.

One SMS carries 140 octets: 160 GSM-7 septets or 70 UCS-2 code units. Concatenated parts lose
the user-data header (8-bit reference): 153 septets or 67 units each. Extension-table characters
take two septets (escape + char); characters outside BMP take two UCS-2 units.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
_BASIC = frozenset(GSM7_BASIC) - {"\x1b"}
_EXT = frozenset(GSM7_EXTENSION)

# Why a table and not only NFKD: á í ó ú are the Spanish letters GSM-7 lacks; a few others
# (quotes, dashes, ç) have GSM look-alikes that NFKD does not produce.
TRANSLITERATIONS = {
    "á": "a", "í": "i", "ó": "o", "ú": "u", "Á": "A", "Í": "I", "Ó": "O", "Ú": "U",
    "ç": "Ç", "â": "a", "ê": "e", "î": "i", "ô": "o", "û": "u", "ã": "a", "õ": "o",
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "…": "...",
    "\u00a0": " ", "«": '"', "»": '"', "`": "'", "´": "'",
}

GSM7, UCS2 = "GSM-7", "UCS-2"


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int
    per_segment: int
    remaining: int  # units left in the last segment


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC or ch in _EXT for ch in text)


def gsm7_septets(text: str) -> int:
    return sum(2 if ch in _EXT else 1 for ch in text)


def ucs2_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def count(text: str) -> SegmentInfo:
    """How many SMS parts `text` needs and in which encoding."""
    if is_gsm7(text):
        encoding, units, single, multi = GSM7, gsm7_septets(text), 160, 153
    else:
        encoding, units, single, multi = UCS2, ucs2_units(text), 70, 67
    if units <= single:
        return SegmentInfo(encoding, units, 1 if units else 0, single, single - units)
    segments = _multipart_segments(text, encoding, multi)
    return SegmentInfo(encoding, units, segments, multi, segments * multi - units)


def _multipart_segments(text: str, encoding: str, per_part: int) -> int:
    """Count parts without splitting an escape pair or a surrogate pair across two parts."""
    parts, used = 1, 0
    for ch in text:
        size = (2 if ch in _EXT else 1) if encoding == GSM7 else len(ch.encode("utf-16-le")) // 2
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return parts


def transliterate(text: str) -> str:
    """Replace characters outside GSM-7 with look-alikes inside it where one exists; keep the rest."""
    out = []
    for ch in text:
        if ch in _BASIC or ch in _EXT:
            out.append(ch)
        elif ch in TRANSLITERATIONS:
            out.append(TRANSLITERATIONS[ch])
        else:
            stripped = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(stripped if stripped and is_gsm7(stripped) else ch)
    return "".join(out)
