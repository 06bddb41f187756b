"""Content kept in both languages (names of categories, zones, surveys, layers)."""

from __future__ import annotations

from django.utils.translation import get_language


def in_language(spanish: str, english: str) -> str:
    """The English text when English is active and there is one; the Spanish text otherwise."""
    return english if (get_language() or "es").startswith("en") and english else spanish
