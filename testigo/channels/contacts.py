"""Addresses: phone numbers in E.164 (default region from settings), other schemes as given."""

from __future__ import annotations

import phonenumbers
from django.conf import settings


def normalise_phone(raw: str) -> str:
    """E.164 when the number can be understood; the bare digits otherwise (nothing is dropped).

    Gateways send numbers as "+50499990000", "0050499990000", "50499990000" (Kannel, WhatsApp)
    or national "9999-0000"; we try them in that order of certainty.
    """
    text = (raw or "").strip()
    digits = "".join(c for c in text if c.isdigit())
    if text.startswith("00") and digits:
        text, digits = "+" + digits[2:], digits[2:]
    candidates = [text] if text.startswith("+") else [text, "+" + digits]
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, settings.DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    try:
        number = phonenumbers.parse(text if text.startswith("+") else "+" + digits, None)
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    return ("+" + digits) if text.startswith("+") and digits else (digits or text)


def normalise(scheme: str, address: str) -> str:
    if scheme == "tel":
        return normalise_phone(address)
    if scheme == "mailto":
        return address.strip().lower()
    return address.strip()


def language_of(contact) -> str:
    """The language to write to `contact` in: theirs when the site speaks it, else the site's."""
    codes = {code for code, _name in settings.LANGUAGES}
    return contact.language if contact.language in codes else settings.LANGUAGE_CODE[:2]
