"""Keywords citizens can start a message with, in Spanish and English, case- and accent-insensitive.

A registry: channels answers REPORT, STOP and HELP itself (processing.register_keywords); an app
above channels adds its own in its AppConfig.ready() (alerts: ALERTA/ALERT), so channels never
imports it. A handler gets the stored message and the parsed text and returns the automatic reply
(or None); channels queues it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

REPORT, STOP, HELP = "report", "stop", "help"

# word -> (keyword, language of the word), in registration order (the first word of a language is
# the one suggested in texts, e.g. BAJA before ALTO).
KEYWORDS: dict[str, tuple[str, str]] = {}
_handlers: dict[str, Callable] = {}
# Keywords that count only as the whole message ("AYUDA", "Baja."), as carriers treat STOP and
# HELP: "AYUDA HAY UN INCENDIO" or "Baja la policía…" are reports, never lost to a keyword.
_alone: set[str] = set()


@dataclass(frozen=True)
class Parsed:
    keyword: str  # a registered keyword (REPORT when none was given)
    rest: str
    language: str | None  # the language of the keyword, None when no keyword was given
    explicit: bool


def register(keyword: str, *, words: dict[str, str], handler: Callable, alone: bool = False) -> None:
    """Answer messages starting with any of `words` ({word: language}) with `handler(message,
    parsed) -> reply text | None`; with `alone`, only messages that are the word and nothing else.
    Registering the same keyword again replaces it; a word already taken by another keyword is
    refused at start-up, loudly."""
    for word in words:
        taken = KEYWORDS.get(normalise(word))
        if taken and taken[0] != keyword:
            raise ImproperlyConfigured(f"keyword word {word!r} is already registered for {taken[0]!r}")
    for word, (kw, _language) in list(KEYWORDS.items()):
        if kw == keyword:
            del KEYWORDS[word]
    KEYWORDS.update({normalise(word): (keyword, language) for word, language in words.items()})
    _handlers[keyword] = handler
    (_alone.add if alone else _alone.discard)(keyword)


def handler(keyword: str) -> Callable:
    return _handlers[keyword]


def words_for(keyword: str, language: str) -> list[str]:
    """The words of `keyword` in `language`, in registration order."""
    return [word for word, (kw, lang) in KEYWORDS.items() if kw == keyword and lang == language]


def normalise(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


# What may follow a keyword to mark it as one: "REPORTE: robo", "ayuda.", "baja!", "reporte - robo".
SEPARATORS = frozenset(":,.;-!?¡¿…/|*#=>)\n")
# A keyword is the first word (letters only, after an opening "¡" or "¿").
FIRST_WORD = re.compile(r"\s*[¡¿]*([^\W\d_]+)(.*)", re.DOTALL)


def parse(text: str) -> Parsed:
    """Split a message into keyword and the rest; a message without a keyword is a report.

    People write "Reporte desde la colonia…" or "Ayuda por favor, hay un incendio" as the report
    itself: a first word counts as a keyword only when it is the whole message, when a separator
    follows it ("REPORTE: robo", "ayuda."; a line break counts), or when it is written in capitals
    ("REPORTE robo en la parada"), the way the instructions tell people to write it."""
    stripped = (text or "").strip()
    if not stripped:
        return Parsed(REPORT, "", None, False)
    match = FIRST_WORD.match(stripped)
    if match is not None:
        word, tail = match.group(1), match.group(2)
        key = normalise(word)
        after = tail.lstrip(" \t")
        marked = not tail.strip() or after[:1] in SEPARATORS or (word.isupper() and tail[:1].isspace())
        if key in KEYWORDS and marked and not tail[:1].isalnum():
            keyword, language = KEYWORDS[key]
            rest = after.lstrip("".join(SEPARATORS - {"¡", "¿"}) + " \t").strip()
            if not (rest and keyword in _alone):
                return Parsed(keyword, rest, language, True)
    return Parsed(REPORT, stripped, None, False)
