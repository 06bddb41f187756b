"""Keywords citizens can start a message with, in Spanish and English, case- and accent-insensitive."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

REPORT, ALERT, STOP, HELP = "report", "alert", "stop", "help"

KEYWORDS: dict[str, tuple[str, str]] = {
    "REPORTE": (REPORT, "es"), "REPORT": (REPORT, "en"),
    "ALERTA": (ALERT, "es"), "ALERT": (ALERT, "en"),
    "BAJA": (STOP, "es"), "ALTO": (STOP, "es"), "STOP": (STOP, "en"),
    "AYUDA": (HELP, "es"), "HELP": (HELP, "en"),
}


@dataclass(frozen=True)
class Parsed:
    keyword: str  # one of REPORT, ALERT, STOP, HELP
    rest: str
    language: str | None  # the language of the keyword, None when no keyword was given
    explicit: bool


def normalise(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def parse(text: str) -> Parsed:
    """Split a message into keyword and the rest; a message without a keyword is a report."""
    stripped = (text or "").strip()
    words = stripped.split(maxsplit=1)
    if not words:
        return Parsed(REPORT, "", None, False)
    # "REPORTE:" and "ayuda." still count; messages are typed on phones.
    first, rest = words[0], (words[1] if len(words) > 1 else "")
    key = normalise(first.strip(".:,;!¡?¿-"))
    if key in KEYWORDS:
        keyword, language = KEYWORDS[key]
        return Parsed(keyword, rest.strip(), language, True)
    return Parsed(REPORT, stripped, None, False)
