"""Codenames: the source's only key.

A codename is CODENAME_WORDS words drawn with `secrets.SystemRandom` from a diceware list of at
least MIN_WORDLIST_WORDS unique words: Spanish pages use the Spanish list, English pages the EFF
long list, both shipped by the `diceware` package (GPL-3.0, compatible with Testigo's AGPL).
7 words from 7,776 words is 90.5 bits; from 8,192 it is 91 bits (SecureDrop: 90.2 bits).

The server never stores a codename. It stores scrypt(codename, pepper): a deterministic,
slow hash so it can be looked up, with the pepper kept in a 0600 file in the data directory
or, when several nodes share the database, in TESTIGO_TIPLINE_PEPPER (never in the database),
so a stolen database alone cannot be used to test guesses.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import importlib.resources
import os
import secrets
import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from testigo.core import nodes

CODENAME_WORDS = 7
MIN_WORDLIST_WORDS = 7000
MAX_CODENAME_CHARS = 128  # like SecureDrop: bounds the work an attacker can make scrypt do
# scrypt cost (SecureDrop's values): ~50 ms per check on a server, per guess for an attacker.
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN = 2**14, 8, 1, 32
PEPPER_FILE = "tipline_pepper"
WORDLISTS = {"es": "wordlist_es.txt", "en": "wordlist_en_eff.txt"}

_random = secrets.SystemRandom()  # the OS CSPRNG; never the `random` module's Mersenne Twister


class WeakWordlist(ValueError):
    pass


def normalise(text: str) -> str:
    """Fold case, accents and spacing so "Ábaco  Perro" and "abaco perro" are the same codename."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


class Wordlist:
    """A diceware list checked at construction: refuses lists too small to give ~90 bits."""

    def __init__(self, words: list[str]):
        unique = sorted({normalise(w) for w in words if normalise(w)})
        if len(unique) < MIN_WORDLIST_WORDS:
            raise WeakWordlist(f"a codename word list needs at least {MIN_WORDLIST_WORDS} unique words, got {len(unique)}")
        if any(" " in w for w in unique):
            raise WeakWordlist("codename words cannot contain spaces")
        longest = max(len(w) for w in unique)
        if CODENAME_WORDS * (longest + 1) > MAX_CODENAME_CHARS:
            raise WeakWordlist("words too long: a codename could exceed the login field")
        self.words = unique

    def codename(self) -> str:
        return " ".join(_random.choice(self.words) for _ in range(CODENAME_WORDS))


def _read_diceware_file(name: str) -> list[str]:
    text = (importlib.resources.files("diceware") / "wordlists" / name).read_text("utf-8")
    # The EFF list has "11111<TAB>word" lines; the others one word per line.
    return [line.split()[-1] for line in text.splitlines() if line.strip()]


@functools.cache
def wordlist(language: str) -> Wordlist:
    return Wordlist(_read_diceware_file(WORDLISTS.get(language[:2], WORDLISTS["en"])))


def generate(language: str) -> str:
    return wordlist(language).codename()


def _pepper() -> bytes:
    """The pepper: TESTIGO_TIPLINE_PEPPER when set (every node of a multi-node install shares it),
    else read from DATA_DIR (0600), created on first use. Several nodes never generate one."""
    path = Path(settings.DATA_DIR) / PEPPER_FILE
    if settings.TIPLINE_PEPPER:
        try:
            value = nodes.parse_pepper(settings.TIPLINE_PEPPER)
        except ValueError:
            raise ImproperlyConfigured(nodes.PEPPER_VARIABLE + " must be 64 hexadecimal digits.") from None
        if path.exists() and not hmac.compare_digest(path.read_bytes(), value):
            # Codenames issued with the file's pepper would no longer open their sources.
            raise ImproperlyConfigured(f"{nodes.PEPPER_VARIABLE} differs from {path}; copy the file's value "
                                       "(xxd -p -c 32) into the variable (docs/scale-out.md).")
        return value
    if settings.MULTI_NODE:
        raise ImproperlyConfigured(f"Several nodes share this database: set {nodes.PEPPER_VARIABLE} on every "
                                   "node (docs/scale-out.md).")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        value = secrets.token_bytes(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker created it first
            return path.read_bytes()
        with os.fdopen(fd, "wb") as handle:
            handle.write(value)
        return value


def _scrypt(codename: str, purpose: bytes) -> bytes:
    # Over-long input is cut rather than refused so that timing says nothing about it.
    data = normalise(codename)[:MAX_CODENAME_CHARS].encode("utf-8")
    return hashlib.scrypt(data, salt=purpose + _pepper(), n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                          dklen=SCRYPT_LEN, maxmem=64 * 1024 * 1024)


def lookup_hash(codename: str) -> str:
    """The value stored in Source.codename_hash (hex)."""
    return _scrypt(codename, b"testigo-tipline-id:").hex()


def reading_seed(codename: str) -> bytes:
    """A second, independent derivation: the seed of the source's own X25519 key, which lets the
    source read staff replies that are sealed at rest. Knowing lookup_hash does not reveal it."""
    return _scrypt(codename, b"testigo-tipline-key:")
