"""Addresses: phone numbers in E.164 (default region from settings), other schemes as given."""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings


class NotAnAddress(ValueError):
    """The sender cannot be told apart from others (junk such as "bla", "", "-"): refused, because
    keeping it would merge unrelated people into one contact."""


# A sender that is a name rather than a number: GSM alphanumeric originators ("MOVISTAR", "Banco-1")
# are at most 11 characters (3GPP TS 23.040, TP-OA). They are kept as written, upper-cased, so two
# senders never collapse into the same digits.
ALPHANUMERIC_SENDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._&'-]{1,10}")
# Written the way numbers are: digits and the separators people and gateways put between them.
PHONE_CHARACTERS = re.compile(r"\+?[0-9 ()./-]+")
# Short codes (and Kannel's service numbers) have 3 to 6 digits; they are not E.164 numbers.
SHORT_CODE_DIGITS = range(3, 7)
# What gateways and forms put where the number is missing.
JUNK_SENDERS = frozenset({"NULL", "NONE", "UNDEFINED", "UNKNOWN", "ANONYMOUS", "PRIVATE", "NAN", "TEST"})


def normalise_phone(raw: str) -> str:
    """A sender's stored address: E.164 when the number can be understood; a short code's digits;
    an alphanumeric sender id upper-cased; the bare digits of a long number we cannot place (nothing
    is dropped). Raises NotAnAddress for junk ("bla", "", "12").

    Gateways send numbers as "+50499990000", "0050499990000", "50499990000" (Kannel, WhatsApp)
    or national "9999-0000"; we try them in that order of certainty.
    """
    text = (raw or "").strip()
    if not PHONE_CHARACTERS.fullmatch(text):
        return _alphanumeric_sender(text)
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) < SHORT_CODE_DIGITS.start:
        raise NotAnAddress(f"the sender {text[:40]!r} is not a phone number")
    if len(digits) in SHORT_CODE_DIGITS:
        return digits
    if text.startswith("00"):
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
    return ("+" + digits) if text.startswith("+") else digits


def _alphanumeric_sender(text: str) -> str:
    """A named sender ("MOVISTAR", "Banco-1") as one address; junk refused. A real sender id is
    written by a company: it has a capital or a digit; an all-lower-case word ("bla") is not one."""
    if (not ALPHANUMERIC_SENDER.fullmatch(text) or not any(c.isalpha() for c in text)
            or not any(c.isupper() or c.isdigit() for c in text) or text.upper() in JUNK_SENDERS):
        raise NotAnAddress(f"the sender {text[:40]!r} is not a phone number")
    return text.upper()


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
