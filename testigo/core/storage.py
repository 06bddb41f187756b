"""The storages every class of file goes through (settings.STORAGES, built in core/storage_url.py).

On one machine they are folders of the data directory; with TESTIGO_STORAGE_URL they are folders of
one private S3 bucket. Code that needs a real local file (SQLite opening an MBTiles, the PMTiles
reader, a spreadsheet reader) asks `local_path`, which gives the storage's own path on disk or a
copy made once on this node.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

PRIVATE = {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700}


class _LiveLocation(FileSystemStorage):
    """A private folder whose location is read from a setting each time (tests and `testigo`
    commands change TIP_STORAGE_DIR / BACKUP_DIR after the storage was first made)."""

    def __init__(self, **options):
        super().__init__(**{**PRIVATE, **options})

    def _folder(self) -> Path:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def base_location(self):
        return str(self._folder())

    @property
    def location(self):
        return os.path.abspath(self.base_location)


class TiplineFileSystemStorage(_LiveLocation):
    """The tip line's sealed files: TIP_STORAGE_DIR."""

    def _folder(self) -> Path:
        return Path(settings.TIP_STORAGE_DIR)


class BackupFileSystemStorage(_LiveLocation):
    """Backup archives: BACKUP_DIR, or DATA_DIR/backups when scheduled backups are off."""

    def _folder(self) -> Path:
        return Path(settings.BACKUP_DIR) if settings.BACKUP_DIR else Path(settings.DATA_DIR) / "backups"


def get(alias: str) -> Storage:
    return storages[alias]


def on_disk(storage: Storage) -> Path | None:
    """The storage's root folder when its files are local files; None for a remote store."""
    try:
        return Path(storage.path(""))
    except NotImplementedError:
        return None


def walk(storage: Storage, folder: str = ""):
    """Every stored name under `folder`, in a stable order (a remote store's listing)."""
    try:
        dirs, names = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(names):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(dirs):
        yield from walk(storage, f"{folder}/{sub}" if folder else sub)


def has_files(storage: Storage) -> bool:
    root = on_disk(storage)
    if root is not None:
        return root.is_dir() and any(p.is_file() for p in root.rglob("*"))
    return next(walk(storage), None) is not None


def local_path(fieldfile, *, cache: str = "file-cache") -> Path:
    """A local path to a stored file: its own when on disk; otherwise a copy under
    DATA_DIR/<cache>, made once on this node (written as .part, renamed when whole)."""
    try:
        return Path(fieldfile.path)
    except NotImplementedError:
        pass
    digest = hashlib.sha256(fieldfile.name.encode()).hexdigest()[:32]
    local = Path(settings.DATA_DIR) / cache / f"{digest}-{fieldfile.name.rsplit('/', 1)[-1]}"
    if not local.exists():
        local.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = local.with_name(local.name + ".part")
        with fieldfile.storage.open(fieldfile.name, "rb") as src, open(partial, "wb") as dst:
            for chunk in src.chunks():
                dst.write(chunk)
        partial.rename(local)
    return local


def forget_local_copy(fieldfile, *, cache: str = "file-cache") -> None:
    """Remove this node's copy of a remote file (the file itself is deleted by the caller)."""
    if on_disk(fieldfile.storage) is not None or not fieldfile.name:
        return
    digest = hashlib.sha256(fieldfile.name.encode()).hexdigest()[:32]
    (Path(settings.DATA_DIR) / cache / f"{digest}-{fieldfile.name.rsplit('/', 1)[-1]}").unlink(missing_ok=True)


class _AliasStorage(LazyObject):
    """A storage alias for a model field's `storage=` (resolved when first used, and again after
    the STORAGES setting changes, as default_storage is)."""

    def __init__(self, alias: str):
        self.__dict__["_alias"] = alias
        super().__init__()

    def _setup(self):
        self._wrapped = storages[self.__dict__["_alias"]]


_tiles = _AliasStorage("tiles")


def tiles_storage() -> Storage:
    """Tile sets (MBTiles/PMTiles): geo.Tileset.file's storage."""
    return _tiles


@receiver(setting_changed)
def _forget_aliases(*, setting, **kwargs):
    if setting in ("STORAGES", "MEDIA_ROOT"):
        _tiles._wrapped = empty
