"""Sealed files on disk: random names, 0600, overwritten before they are unlinked."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings

from testigo.tipline import clock


def root() -> Path:
    path = Path(settings.TIP_STORAGE_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write(ciphertext: bytes) -> str:
    """Store ciphertext under a random name; return the name (never derived from content)."""
    name = secrets.token_hex(20)
    fd = os.open(root() / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(ciphertext)
    # The file's times say no more than the rows do (the inode's change time cannot be set).
    moment = clock.coarse_now().timestamp()
    os.utime(root() / name, (moment, moment))
    return name


def read(name: str) -> bytes:
    return (root() / _safe(name)).read_bytes()


def shred(name: str) -> None:
    """Overwrite with random bytes, flush to disk, then unlink. On copy-on-write or journalling
    file systems and SSDs this is best effort; the content was ciphertext all along."""
    if not name:
        return
    path = root() / _safe(name)
    try:
        size = path.stat().st_size
        with open(path, "r+b") as handle:
            handle.write(secrets.token_bytes(size))
            handle.flush()
            os.fsync(handle.fileno())
        path.unlink()
    except FileNotFoundError:
        pass


def _safe(name: str) -> str:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError("bad stored file name")
    return name
