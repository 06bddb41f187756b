"""Sealed files: random names, stored exactly as sealed (ciphertext only), through the "tipline"
storage (settings.STORAGES; core/storage_url.py). On disk (TIP_STORAGE_DIR): 0600, coarse times,
overwritten before they are unlinked. In an S3 bucket (TESTIGO_STORAGE_URL): private objects
under tipline/, deleted when shredded (an object store cannot be overwritten in place; what it
held was ciphertext all along)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.files.base import ContentFile

from testigo.core import storage as stores
from testigo.tipline import clock

ALIAS = "tipline"


def _storage():
    return stores.get(ALIAS)


def root() -> Path | None:
    """The folder of sealed files when they are on this machine's disk (made 0700); None when
    they live in a remote store."""
    path = stores.on_disk(_storage())
    if path is not None:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write(ciphertext: bytes) -> str:
    """Store ciphertext under a random name; return the name (never derived from content)."""
    name = secrets.token_hex(20)
    folder = root()
    if folder is None:
        stored = _storage().save(name, ContentFile(ciphertext))
        if stored != name:  # 160 random bits never collide; a store that renamed it is refused
            _storage().delete(stored)
            raise OSError("the tip line's storage renamed a sealed file")
        return name
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(ciphertext)
    # The file's times say no more than the rows do (the inode's change time cannot be set).
    moment = clock.coarse_now().timestamp()
    os.utime(folder / name, (moment, moment))
    return name


def read(name: str) -> bytes:
    folder = root()
    if folder is None:
        with _storage().open(_safe(name), "rb") as handle:
            return handle.read()
    return (folder / _safe(name)).read_bytes()


def shred(name: str) -> None:
    """Overwrite with random bytes, flush to disk, then unlink. On copy-on-write or journalling
    file systems and SSDs this is best effort; the content was ciphertext all along. In a remote
    store the object is deleted."""
    if not name:
        return
    folder = root()
    if folder is None:
        _storage().delete(_safe(name))
        return
    path = folder / _safe(name)
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
