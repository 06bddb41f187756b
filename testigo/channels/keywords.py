"""Keywords citizens can start a message with, in Spanish and English, case- and accent-insensitive.

A registry: channels answers REPORT, STOP and HELP itself (processing.register_keywords); an app
above channels adds its own in its AppConfig.ready() (alerts: ALERTA/ALERT), so channels never
imports it. A handler gets the stored message and the parsed text and returns the automatic reply
(or None); channels queues it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

REPORT, STOP, HELP = "report", "stop", "help"

# word -> (keyword, language of the word), in registration order (the first word of a language is
# the one suggested in texts, e.g. BAJA before ALTO).
KEYWORDS: dict[str, tuple[str, str]] = {}
_handlers: dict[str, Callable] = {}


@dataclass(frozen=True)
class Parsed:
    keyword: str  # a registered keyword (REPORT when none was given)
    rest: str
    language: str | None  # the language of the keyword, None when no keyword was given
    explicit: bool


def register(keyword: str, *, words: dict[str, str], handler: Callable) -> None:
    """Answer messages starting with any of `words` ({word: language}) with `handler(message,
    parsed) -> reply text | None`. Registering the same keyword again replaces it; a word
    already taken by another keyword is refused at start-up, loudly."""
    for word in words:
        taken = KEYWORDS.get(normalise(word))
        if taken and taken[0] != keyword:
            raise ImproperlyConfigured(f"keyword word {word!r} is already registered for {taken[0]!r}")
    for word, (kw, _language) in list(KEYWORDS.items()):
        if kw == keyword:
            del KEYWORDS[word]
    KEYWORDS.update({normalise(word): (keyword, language) for word, language in words.items()})
    _handlers[keyword] = handler


def handler(keyword: str) -> Callable:
    return _handlers[keyword]


def words_for(keyword: str, language: str) -> list[str]:
    """The words of `keyword` in `language`, in registration order."""
    return [word for word, (kw, lang) in KEYWORDS.items() if kw == keyword and lang == language]


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
