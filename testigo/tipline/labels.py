"""Tip labels: two random words staff use to talk about a tip ("faro sutil", "maple gravel").

A label is not a secret and not a key: it only has to be memorable and say nothing about the tip
or its source. So it follows the deployment's language (TESTIGO_LANGUAGE), never the language of
the page the tipster used, which would tell staff something about the tipster. A Spanish
deployment draws a noun and an adjective from data/tip_labels_es.txt (279 × 77 = 21,483 labels,
every adjective the same for both genders so any pair is grammatical); any other language draws
two words from the EFF list the codenames use. Labels already given are never changed.
"""

from __future__ import annotations

import functools
import importlib.resources

from django.conf import settings

from testigo.tipline import codenames

SPANISH_FILE = "tip_labels_es.txt"


@functools.cache
def spanish_words() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(nouns, adjectives) from the Spanish list; comment lines start with '#'."""
    text = (importlib.resources.files("testigo.tipline") / "data" / SPANISH_FILE).read_text("utf-8")
    sections: dict[str, list[str]] = {"[nouns]": [], "[adjectives]": []}
    current = None
    for line in (raw.strip() for raw in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line in sections:
            current = sections[line]
        elif current is not None:
            current.append(line)
    return tuple(sections["[nouns]"]), tuple(sections["[adjectives]"])


def new_label() -> str:
    """A fresh label in the deployment's language (the CSPRNG the codenames use: labels must not
    be predictable from one another)."""
    pick = codenames._random.choice
    if settings.LANGUAGE_CODE[:2] == "es":
        nouns, adjectives = spanish_words()
        return f"{pick(nouns)} {pick(adjectives)}"
    words = codenames.wordlist("en").words
    return f"{pick(words)} {pick(words)}"
