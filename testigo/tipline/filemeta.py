"""What a tip file's row says about the file: nothing a seized database could match.

The SHA-256 of the original bytes and their exact size are sealed with the tip (under the
conversation's own key, so the source and authorised staff read them and nobody else), and the
file on disk is padded (crypto.pad), so neither the row nor the disk confirms that a known
document is among the tips. Times are the conversation's coarse times (clock.py).

Rows written before this existed (FORMAT_LEGACY) had their plaintext hash and size sealed by a
migration to the organisation's public key (the conversation key was not at hand there): staff
still read them; the source sees no size for them; their files on disk are not padded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from testigo.tipline import crypto

FORMAT_LEGACY, FORMAT_SEALED = 1, 2


@dataclass(frozen=True)
class FileMeta:
    sha256: str
    size: int


def seal(box_key: bytes, *, sha256: str, size: int) -> bytes:
    return crypto.wrap(box_key, json.dumps({"sha256": sha256, "size": size}).encode())


def seal_name(box_key: bytes, name: str) -> bytes:
    return crypto.wrap(box_key, crypto.pad(name.encode()))  # padded: its length says nothing


def open_name(box_key: bytes, item) -> str:
    plain = crypto.unwrap(box_key, bytes(item.name))
    return (crypto.unpad(plain) if item.format == FORMAT_SEALED else plain).decode()


def open_content(box_key: bytes, item, ciphertext: bytes) -> bytes:
    plain = crypto.unwrap(box_key, ciphertext)
    return crypto.unpad(plain) if item.format == FORMAT_SEALED else plain


def open_meta(item, *, box_key: bytes, org_private: bytes | None = None) -> FileMeta | None:
    """The file's hash and size: with the conversation key (new rows) or, for legacy rows, the
    organisation key; None when this reader holds neither (a source reading a legacy row)."""
    if item.format == FORMAT_SEALED:
        data = crypto.unwrap(box_key, bytes(item.meta))
    elif org_private is not None:
        from testigo.tipline.vault import open_for_org  # vault imports this module

        data = open_for_org(org_private, bytes(item.meta))
    else:
        return None
    values = json.loads(data)
    return FileMeta(sha256=values["sha256"], size=values["size"])
