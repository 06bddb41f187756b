"""Sealing what reports keep for evidence (a recording's original as sent) to the tip-line key.

reports sits below the tip line, so it cannot import this: TiplineConfig.ready puts these
functions into `reports.recordings.SEALER`. A sealed original is sealed exactly as a tip's
files are: a fresh symmetric key per file, sealed (SealedBox) to the organisation's public key,
and the contents padded (crypto.pad) then encrypted under that key (SecretBox). The server can
seal without any secret; only the organisation private key, unlocked in a key holder's staff
session (vault.org_key), opens it, so a stolen disk or backup reveals neither the bytes nor
their format. While a key rotation runs, one sealed to the previous key still opens
(vault.open_for_org).

Layout: MAGIC, 2 bytes (big-endian) the sealed key's length, the sealed key, the ciphertext.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.db import transaction

from testigo.reports.models import Media
from testigo.tipline import crypto, vault

MAGIC = b"TGSEAL1\n"


def available() -> bool:
    return vault.current() is not None


def seal(data: bytes) -> bytes | None:
    """`data` sealed to the organisation public key, or None when the tip line is not set up."""
    current = vault.current()
    if current is None:
        return None
    box_key = crypto.random_key()
    sealed_key = crypto.seal_to(bytes(current.public_key), box_key)
    return MAGIC + struct.pack(">H", len(sealed_key)) + sealed_key + crypto.wrap(box_key, crypto.pad(data))


def is_sealed(blob: bytes) -> bool:
    return bytes(blob[:len(MAGIC)]) == MAGIC


def open_with(org_private: bytes, blob: bytes) -> bytes:
    """The original bytes; CryptoError when the key is not the one it was sealed to or it was
    altered. An original kept in clear before originals were sealed is returned as it is."""
    blob = bytes(blob)
    if not is_sealed(blob):
        return blob
    start = len(MAGIC) + 2
    (length,) = struct.unpack(">H", blob[len(MAGIC):start])
    box_key = vault.open_for_org(org_private, blob[start:start + length])
    return crypto.unpad(crypto.unwrap(box_key, blob[start + length:]))


def opener(request) -> Callable[[bytes], bytes] | None:
    """A function opening sealed originals with the key unlocked in this staff session, or None
    (no tip-line access, or not unlocked)."""
    try:
        private = vault.org_key(request)
    except crypto.VaultLocked:
        return None
    return lambda blob: open_with(private, blob)


def _header(handle) -> tuple[int, bytes] | None:
    """(offset of the ciphertext, sealed key) of a sealed original, or None (kept in clear)."""
    head = handle.read(len(MAGIC) + 2)
    if not is_sealed(head) or len(head) < len(MAGIC) + 2:
        return None
    (length,) = struct.unpack(">H", head[len(MAGIC):])
    return len(MAGIC) + 2 + length, handle.read(length)


def reseal_originals(*, old_private: bytes, new_private: bytes) -> int:
    """During a key rotation: re-seal to the new key the per-file key of every recording's original
    still sealed to the old one (the ciphertext is copied, never decrypted). Returns how many.
    Called by vault.continue_rotation before the old key is destroyed."""
    new_public, done = crypto.public_of(new_private), 0
    for media in Media.objects.exclude(original="").only("pk", "original").iterator():
        storage = media.original.storage
        if not storage.exists(media.original.name):
            continue
        with storage.open(media.original.name, "rb") as handle:
            header = _header(handle)
            if header is None:
                continue
            offset, sealed_key = header
            try:
                crypto.open_sealed(new_private, sealed_key)
                continue  # already sealed to the new key
            except crypto.CryptoError:
                box_key = crypto.open_sealed(old_private, sealed_key)
            rest = handle.read()
        resealed = crypto.seal_to(new_public, box_key)
        old_name = media.original.name
        with transaction.atomic():
            media.original.save(old_name.rsplit("/", 1)[-1],
                                ContentFile(MAGIC + struct.pack(">H", len(resealed)) + resealed + rest), save=False)
            media.save(update_fields=["original"])
        storage.delete(old_name)
        done += 1
    return done
