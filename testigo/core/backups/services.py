"""Making, verifying and restoring a backup archive; the schedule and its retention count.

An archive is one encrypted tar stream (crypto.py) of:

    database/testigo.sqlite3.gz or database/testigo.pgdump   the database (database.py); a SQLite
                                                          file is gzip-compressed first (format 2)
    media/...                                             the "default" storage: photos, recordings, documents, tile sets
    tipline/...                                           the "tipline" storage: the tip line's sealed files
    secret_key                                            SECRET_KEY (location fuzzing is derived from it)
    tipline_pepper                                        the tip line's codename pepper, when there is one
    settings.json                                         the TESTIGO_* settings that are not secrets
    manifest.json                                         last: versions, schema, deployment, every file's size and sha256

The manifest comes last so files stream in one pass (no file is read twice, none held in memory);
reading an archive checks every file against it before anything is believed.

Format 2 compresses the database copy before encryption when it is not compressed already (a
SQLite file shrinks to about a quarter; PostgreSQL's custom dump is compressed by pg_dump);
media, already compressed photos, recordings and sealed tip files are stored as they are. The
manifest's entry says so ("compression": "gzip", "original_size"). Format 1 archives (no
compression) are still read and restored.

Every backup made, read back, restored or failed is an audit event (backup.created,
backup.verified, backup.restored, backup.failed) naming the archive's file name only, never a
path or a key. A restore replaces the audit trail with the archive's, then appends its own event
to that chain, so the restored chain still verifies.

Files are read from and restored into the storages (core/storage.py): folders of the data
directory on one machine, folders of the S3 bucket with TESTIGO_STORAGE_URL. An archive is
written into a directory (`--to DIR`, BACKUP_DIR) or into the "backups" storage (its run's path is
then `storage:<name>`); one kept in a remote store is fetched to a private temporary file under the
data directory to be read.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import os
import re
import shutil
import tarfile
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.core import audit, nodes, roles
from testigo.core import storage as stores
from testigo.core.backups import database
from testigo.core.backups.crypto import (
    MAGIC,
    BackupError,
    Damaged,
    DecryptingReader,
    EncryptingWriter,
    Key,
    decode_key,
)
from testigo.core.models import BackupRun, Deployment

log = logging.getLogger(__name__)

FORMAT = 2
READABLE_FORMATS = (1, 2)
# How the database copy is compressed before encryption (None writes format 1, uncompressed).
COMPRESSION: str | None = "gzip"
COMPRESSED_SUFFIX = {"gzip": ".gz"}
GZIP_LEVEL = 6
# The first bytes of files that are compressed already (PostgreSQL's custom dump, gzip, xz, zstd).
_COMPRESSED_MAGIC = (b"PGDMP", b"\x1f\x8b", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")
MANIFEST, SETTINGS, SECRET = "manifest.json", "settings.json", "secret_key"
# The tip line's codename pepper (DATA_DIR/tipline_pepper, or TESTIGO_TIPLINE_PEPPER): without it no
# source's codename opens their conversation on the restored deployment.
PEPPER = "tipline_pepper"
MEDIA, TIPLINE = "media", "tipline"
# Which storage (settings.STORAGES) each top folder of an archive comes from and goes back to.
STORED_FOLDERS = ((MEDIA, "default"), (TIPLINE, "tipline"))
BACKUPS = "backups"
STORED = "storage:"  # a run's path for an archive kept in the "backups" storage
SUFFIX = ".backup"
_COPY_BYTES = 1 << 20
# Settings whose names say they hold a secret never enter settings.json (the secret key travels
# apart, as `secret_key`, because stored data depends on it).
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSPHRASE|TOKEN|KEY|DATABASE_URL|QUEUE_URL", re.I)


@dataclass
class Restored:
    manifest: dict
    files: int
    notes: list[str]


# --- Identity, schema, target -----------------------------------------------------------------

def deployment_id() -> str:
    return str(Deployment.objects.get_or_create(id=1)[0].uuid)


def _applied_migrations(alias: str = "default") -> list[list[str]]:
    return sorted([app, name] for app, name in MigrationRecorder(connections[alias]).applied_migrations())


def _schema(applied: list[list[str]]) -> dict[str, str]:
    """The latest applied migration of each app (migration names sort by their number)."""
    latest: dict[str, str] = {}
    for app, name in applied:
        latest[app] = max(latest.get(app, name), name)
    return latest


def _unknown_migrations(applied: list[list[str]]) -> list[str]:
    """Migrations the backup's database had that this code does not know: a newer schema."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return [f"{app}.{name}" for app, name in applied if (app, name) not in known]


def target_is_empty() -> bool:
    """No deployment data in the database, the media storage or the tip line's storage."""
    return database.is_empty() and not any(stores.has_files(stores.get(alias)) for _, alias in STORED_FOLDERS)


def backups_remote() -> bool:
    """The "backups" storage is a remote store (TESTIGO_STORAGE_URL), not a folder on this machine."""
    return stores.on_disk(stores.get(BACKUPS)) is None


# --- Making an archive ------------------------------------------------------------------------

class _HashingWriter:
    """Counts and hashes what goes to disk, so the written file can be checked without its key."""

    def __init__(self, raw):
        self.raw, self.sha256, self.size = raw, hashlib.sha256(), 0

    def write(self, data) -> int:
        self.raw.write(data)
        self.sha256.update(data)
        self.size += len(data)
        return len(data)


class _HashingReader:
    def __init__(self, raw):
        self.raw, self.sha256 = raw, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha256.update(data)
        return data


def _files_under(root: Path):
    """Regular files under root, in a stable order; symbolic links are not followed."""
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> dict:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with open(path, "rb") as handle:
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    return {"path": name, "size": info.size, "sha256": reader.sha256.hexdigest()}


def _add_stored(tar: tarfile.TarFile, storage, stored: str, name: str) -> dict:
    """A file of a remote store, streamed into the archive."""
    info = tarfile.TarInfo(name)
    info.size, info.mode = storage.size(stored), 0o600
    try:
        info.mtime = int(storage.get_modified_time(stored).timestamp())
    except (NotImplementedError, AttributeError):
        info.mtime = int(timezone.now().timestamp())
    with storage.open(stored, "rb") as handle:
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    return {"path": name, "size": info.size, "sha256": reader.sha256.hexdigest()}


def _add_storage(tar: tarfile.TarFile, prefix: str, alias: str) -> list[dict]:
    storage = stores.get(alias)
    root = stores.on_disk(storage)
    if root is not None:
        return [_add_file(tar, path, f"{prefix}/{path.relative_to(root).as_posix()}") for path in _files_under(root)]
    return [_add_stored(tar, storage, stored, f"{prefix}/{stored}") for stored in stores.walk(storage)]


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> dict:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(timezone.now().timestamp()), 0o600
    tar.addfile(info, io.BytesIO(data))
    return {"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _settings_snapshot() -> dict:
    """The TESTIGO_* variables of this process that are not secrets (URLs lose any password)."""
    variables = {}
    for name, value in sorted(os.environ.items()):
        if name.startswith("TESTIGO_") and not _SECRET_NAME.search(name):
            variables[name] = re.sub(r"//[^/@]*@", "//", value)
    return {"environment": variables, "site_name": settings.SITE_NAME, "language": settings.LANGUAGE_CODE,
            "time_zone": settings.TIME_ZONE, "fuzz_radius_m": settings.FUZZ_RADIUS_M}


def _version() -> str:
    try:
        return metadata.version("testigo")
    except metadata.PackageNotFoundError:
        return "unknown"


def archive_file_name(path: str) -> str:
    """The archive's file name, without its folder or the `storage:` mark."""
    return Path(str(path).removeprefix(STORED)).name


def archive_name(deployment: str, moment) -> str:
    return f"testigo-{moment:%Y%m%d-%H%M%S-%f}-{deployment[:8]}{SUFFIX}"


def _already_compressed(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(8).startswith(_COMPRESSED_MAGIC)


def _compressed_copy(path: Path) -> tuple[Path, str | None]:
    """The database copy to store: gzip-compressed (the uncompressed one is removed, so the
    staging directory holds one copy at a time) unless compression is off or it already is."""
    if COMPRESSION is None or _already_compressed(path):
        return path, None
    target = path.with_name(path.name + COMPRESSED_SUFFIX[COMPRESSION])
    with open(path, "rb") as source, gzip.GzipFile(target, "xb", compresslevel=GZIP_LEVEL, mtime=0) as sink:
        shutil.copyfileobj(source, sink, _COPY_BYTES)
    path.unlink()
    return target, COMPRESSION


def _database_entry(dumped: Path, tar: tarfile.TarFile) -> dict:
    size = dumped.stat().st_size
    stored, compression = _compressed_copy(dumped)
    name = database.FILE_NAMES[database.kind()]
    if compression is None:
        return _add_file(tar, stored, name)
    entry = _add_file(tar, stored, name + COMPRESSED_SUFFIX[compression])
    entry.update(compression=compression, original_size=size)
    return entry


def _current_pepper() -> bytes | None:
    """The codename pepper this deployment uses (never generated here): the environment's, else the file's."""
    if settings.TIPLINE_PEPPER:
        try:
            return nodes.parse_pepper(settings.TIPLINE_PEPPER)
        except ValueError:
            return None
    path = Path(settings.DATA_DIR) / PEPPER
    return path.read_bytes() if path.is_file() else None


def _actor(actor):
    """Who the event names: the staff member who asked, or the system (the schedule, the CLI)."""
    return actor if actor is not None else roles.SYSTEM


def _without_paths(text: str) -> str:
    """An error message fit for the audit trail: absolute paths become their last part."""
    return re.sub(r"(?<![\w.])/(?:[^\s/:'\"]+/)+([^\s/:'\"]*)", r"\1", str(text))[:500]


def record_failure(*, stage: str, error: str, actor=None, run: BackupRun | None = None) -> None:
    """backup.failed: what was being done (create, verify, restore) and why, without any path."""
    data = {"stage": stage, "reason": _without_paths(error)}
    if run is not None and run.path:
        data["file"] = archive_file_name(run.path)
    audit.record(action="backup.failed", actor=_actor(actor), obj=run, object_type="core.backuprun",
                 data=data)


def create(*, to_dir: Path | None, key: Key, scheduled: bool = False, actor=None) -> BackupRun:
    """Write one archive into `to_dir` (written as .partial, renamed when whole), or with
    to_dir=None into the "backups" storage (uploaded when whole); record the run and a
    backup.created audit event."""
    if to_dir is None and not backups_remote():
        to_dir = stores.on_disk(stores.get(BACKUPS))
    started, deployment = timezone.now(), deployment_id()
    applied = _applied_migrations()
    staging = Path(tempfile.mkdtemp(prefix="backup-", dir=settings.DATA_DIR))
    if to_dir is None:
        final = staging / archive_name(deployment, started)
    else:
        to_dir = Path(to_dir)
        to_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        final = to_dir / archive_name(deployment, started)
    partial = final.with_name(final.name + ".partial")
    try:
        dumped = database.dump(staging)
        with open(partial, "xb") as raw:
            hashing = _HashingWriter(raw)
            stream = EncryptingWriter(hashing, key)
            with tarfile.open(fileobj=stream, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                files = [_database_entry(dumped, tar)]
                for prefix, alias in STORED_FOLDERS:
                    files += _add_storage(tar, prefix, alias)
                files.append(_add_bytes(tar, SECRET, settings.SECRET_KEY.encode()))
                pepper = _current_pepper()
                if pepper is not None:
                    files.append(_add_bytes(tar, PEPPER, pepper))
                files.append(_add_bytes(tar, SETTINGS, json.dumps(_settings_snapshot(), indent=1).encode()))
                manifest = {"format": FORMAT if COMPRESSION else 1, "testigo_version": _version(), "created_at": started.isoformat(),
                            "deployment": deployment, "database": database.kind(), "schema": _schema(applied),
                            "migrations": applied, "files": files}
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
            stream.close()
            raw.flush()
            os.fsync(raw.fileno())
        partial.rename(final)
        where = str(final)
        if to_dir is None:
            with open(final, "rb") as handle:
                stored = stores.get(BACKUPS).save(final.name, File(handle))
            where = STORED + stored
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    run = BackupRun.objects.create(started_at=started, finished_at=timezone.now(), scheduled=scheduled,
                                   path=where, size=hashing.size, sha256=hashing.sha256.hexdigest())
    audit.record(action="backup.created", actor=_actor(actor), obj=run,
                 data={"file": final.name, "size": run.size, "sha256": run.sha256, "scheduled": scheduled,
                       "database": database.kind(), "files": len(files),
                       "compression": files[0].get("compression", "")})
    return run


# --- Reading an archive -----------------------------------------------------------------------

def _member_name(name: str) -> str:
    """Only the names an archive is made of; never absolute, never climbing out of the target."""
    parts = name.split("/")
    database_names = {db + suffix for db in database.FILE_NAMES.values() for suffix in ("", *COMPRESSED_SUFFIX.values())}
    top_ok = name in (MANIFEST, SETTINGS, SECRET, PEPPER) or name in database_names or (
        parts[0] in (MEDIA, TIPLINE) and len(parts) > 1)
    if not top_ok or any(part in ("", ".", "..") for part in parts):
        raise Damaged(_("The backup holds an unexpected file name: %(name)s") % {"name": name[:200]})
    return name


def _copy(source, target: Path | None) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    sink = None
    if target is not None:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        sink = open(target, "xb")
    try:
        while chunk := source.read(_COPY_BYTES):
            digest.update(chunk)
            size += len(chunk)
            if sink:
                sink.write(chunk)
    finally:
        if sink:
            sink.close()
    return size, digest.hexdigest()


def _read(path: Path, key: Key, *, into: Path | None = None) -> dict:
    """Decrypt the whole archive, hash every file (writing them under `into` if given) and check
    them against the manifest; return the manifest, or raise BackupError saying what is wrong."""
    seen: dict[str, tuple[int, str]] = {}
    manifest = None
    try:
        with open(path, "rb") as raw:
            reader = DecryptingReader(raw, key)
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for member in tar:
                    name = _member_name(member.name)
                    if not member.isfile() or name in seen:
                        raise Damaged(_("The backup holds an unexpected entry: %(name)s") % {"name": name})
                    if name == MANIFEST:
                        manifest = json.loads(tar.extractfile(member).read())
                        continue
                    seen[name] = _copy(tar.extractfile(member), into / name if into else None)
            reader.read()  # through the end mark: a cut file is found even after the tar's own end
    except FileNotFoundError:
        raise BackupError(_("No such backup file: %(path)s") % {"path": path}) from None
    except (tarfile.TarError, json.JSONDecodeError, UnicodeDecodeError):
        raise Damaged(_("The backup's content is not a valid archive.")) from None
    _check_against_manifest(manifest, seen)
    return manifest


def _check_against_manifest(manifest: dict | None, seen: dict[str, tuple[int, str]]) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") not in READABLE_FORMATS:
        raise Damaged(_("The backup has no manifest of a format this version reads."))
    listed = {f["path"]: (f["size"], f["sha256"]) for f in manifest.get("files", [])}
    for name in sorted(set(listed) | set(seen)):
        if name not in seen:
            raise Damaged(_("The backup is missing %(name)s, listed in its manifest.") % {"name": name})
        if name not in listed:
            raise Damaged(_("The backup holds %(name)s, which its manifest does not list.") % {"name": name})
        if seen[name] != listed[name]:
            raise Damaged(_("%(name)s does not match its checksum in the manifest.") % {"name": name})


@contextmanager
def local_archive(path):
    """A local path to read an archive from: the path itself, or for `storage:<name>` a private
    temporary copy (under the data directory) of that archive in the "backups" storage."""
    text = str(path)
    if not text.startswith(STORED):
        yield Path(path)
        return
    name, storage = text[len(STORED):], stores.get(BACKUPS)
    if not name or "/" in name or name.startswith(".") or not storage.exists(name):
        raise BackupError(_("No such backup file: %(path)s") % {"path": text})
    staging = Path(tempfile.mkdtemp(prefix="fetch-", dir=settings.DATA_DIR))
    try:
        local = staging / name
        with storage.open(name, "rb") as source, open(local, "xb") as sink:
            shutil.copyfileobj(source, sink, _COPY_BYTES)
        yield local
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def verify(path: Path, key: Key) -> dict:
    """Read the whole archive and check every file; nothing is written. Returns the manifest."""
    with local_archive(path) as local:
        return _read(local, key)


def verify_written(run: BackupRun) -> bool:
    """Without the key (an archive sealed to a public key): the file on disk is byte for byte what
    was written, and it starts like a backup."""
    digest = hashlib.sha256()
    with local_archive(run.path) as local, open(local, "rb") as handle:
        head = handle.read(len(MAGIC))
        digest.update(head)
        while chunk := handle.read(_COPY_BYTES):
            digest.update(chunk)
    return head == MAGIC and digest.hexdigest() == run.sha256


def check_run(run: BackupRun, key: Key | None, *, actor=None) -> BackupRun:
    """Read back what was just written and record whether it is whole (backup.verified, or
    backup.failed at the stage "verify")."""
    try:
        if key is not None and key.public_key is None:
            manifest = verify(run.path, key)
            run.verified = True
            run.verify_note = _("Decrypted and every file matched its checksum (%(n)s files).") % {
                "n": len(manifest["files"])}
        else:
            run.verified = verify_written(run)
            run.verify_note = _("Sealed to a public key: the file was read back and matches what was written; "
                                "only the private key can open it (testigo backup --verify).")
    except BackupError as exc:
        run.verified, run.verify_note = False, str(exc)
    run.save(update_fields=["verified", "verify_note"])
    if run.verified:
        audit.record(action="backup.verified", actor=_actor(actor), obj=run,
                     data={"file": archive_file_name(run.path), "decrypted": key is not None and key.public_key is None})
    else:
        record_failure(stage="verify", error=run.verify_note, actor=actor, run=run)
    return run


# --- Restoring --------------------------------------------------------------------------------

def _stored_database(staging: Path, manifest: dict) -> Path:
    """The database copy, decompressed if the archive stored it compressed (format 2)."""
    target = staging / database.FILE_NAMES[manifest["database"]]
    entry = next((f for f in manifest["files"] if f["path"].startswith("database/")), None)
    if entry is None:
        raise Damaged(_("The backup holds no database."))
    compression = entry.get("compression")
    if not compression:
        return staging / entry["path"]
    if compression not in COMPRESSED_SUFFIX or entry["path"] != target.relative_to(staging).as_posix() + \
            COMPRESSED_SUFFIX[compression]:
        raise Damaged(_("The backup's database is compressed with %(method)s, which this version cannot read.")
                      % {"method": str(compression)[:40]})
    try:
        with gzip.open(staging / entry["path"], "rb") as source, open(target, "xb") as sink:
            shutil.copyfileobj(source, sink, _COPY_BYTES)
    except (OSError, EOFError):
        raise Damaged(_("The backup's compressed database cannot be decompressed.")) from None
    if target.stat().st_size != entry.get("original_size"):
        raise Damaged(_("The backup's database does not have the size its manifest gives."))
    (staging / entry["path"]).unlink()
    return target


def restore(path: Path, key: Key, *, force: bool = False, actor=None) -> Restored:
    """Restore an archive into this deployment's database, media and tip-line directories.

    Refused before anything is touched: a damaged or cut archive, a wrong key, a schema newer than
    this code, another back end, a target that holds data (unless --force and the archive is this
    same deployment's). Files are unpacked and checked in a staging directory first. The restored
    audit trail gets a backup.restored event at its end."""
    with local_archive(path) as local:
        return _restore(local, key, force=force, actor=actor)


def _restore(path: Path, key: Key, *, force: bool, actor) -> Restored:
    if not path.is_file():
        raise BackupError(_("No such backup file: %(path)s") % {"path": path})
    empty = target_is_empty()
    if not empty and not force:
        raise BackupError(_("The target is not empty (its database, media or tip-line files hold data). "
                            "Restore into an empty data directory and database, or give --force to replace "
                            "this deployment with a backup of itself."))
    staging = Path(tempfile.mkdtemp(prefix="restore-", dir=settings.DATA_DIR))
    try:
        manifest = _read(path, key, into=staging)
        moving = _refuse_mismatch(manifest, empty)
        if moving:  # a single machine's SQLite deployment onto PostgreSQL (docs/scale-out.md)
            copied = database.move_sqlite_into(_stored_database(staging, manifest))
        else:
            database.load(_stored_database(staging, manifest))
        for prefix, alias in STORED_FOLDERS:
            _replace_stored(staging / prefix, alias)
        notes = _restore_secrets(staging)
        if moving:
            notes.insert(0, _("Moved from SQLite onto PostgreSQL: %(rows)s rows in %(tables)s tables.")
                         % {"rows": sum(copied.values()), "tables": len(copied)})
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if _schema(manifest["migrations"]) != _schema(_code_migrations()):
        notes.append(_("The backup's schema is older than this version's: run `testigo migrate`."))
    # Written into the restored chain, after the events the archive brought back.
    try:
        audit.record(action="backup.restored", actor=_actor(actor), object_type="core.backuprun",
                     data={"file": path.name, "created_at": manifest["created_at"], "format": manifest["format"],
                           "deployment": manifest["deployment"],
                           "testigo_version": manifest.get("testigo_version", ""),
                           "files": len(manifest["files"]), "forced": bool(force)})
    except DatabaseError:  # an older schema's audit table: the data is back, the event cannot be written
        notes.append(_("The restore could not be written to the audit trail of this older schema."))
    return Restored(manifest=manifest, files=len(manifest["files"]), notes=notes)


def _code_migrations() -> list[list[str]]:
    return [[app, name] for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations]


def _refuse_mismatch(manifest: dict, empty: bool) -> bool:
    """Refuse what cannot be restored here; True when the backup moves SQLite onto PostgreSQL."""
    newer = _unknown_migrations(manifest["migrations"])
    if newer:
        raise BackupError(_("The backup's schema is newer than this version of Testigo (%(version)s) knows: "
                            "%(migrations)s. Install Testigo %(backup_version)s or later, then restore.")
                          % {"version": _version(), "migrations": ", ".join(newer[:5]),
                             "backup_version": manifest.get("testigo_version", "?")})
    moving = (manifest["database"], database.kind()) == (database.SQLITE, database.POSTGRESQL)
    if manifest["database"] != database.kind() and not (moving and empty):
        raise BackupError(_("The backup holds a %(backup)s database; this deployment uses %(target)s.")
                          % {"backup": manifest["database"], "target": database.kind()})
    if moving and _schema(manifest["migrations"]) != _schema(_code_migrations()):
        raise BackupError(_("A SQLite backup moves onto PostgreSQL only from the same version of Testigo with every "
                            "migration applied (the backup's: %(backup)s; this one: %(version)s). Upgrade the old "
                            "machine, run `testigo migrate` there, make a new backup, then restore it here.")
                          % {"backup": manifest.get("testigo_version", "?"), "version": _version()})
    if not empty and manifest["deployment"] != deployment_id():
        raise BackupError(_("This backup comes from another deployment (%(backup)s): it restores only into "
                            "an empty target, never over this deployment's data.")
                          % {"backup": manifest["deployment"]})
    return moving


def _replace_dir(staged: Path, root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if staged.exists():
        shutil.move(str(staged), str(root))
    else:
        root.mkdir(mode=0o700)
    root.chmod(0o700)


def _replace_stored(staged: Path, alias: str) -> None:
    """Put a storage's files back: a folder on disk is replaced whole; in a remote store every
    object under the storage's folder is deleted, then each staged file uploaded under its name."""
    storage = stores.get(alias)
    root = stores.on_disk(storage)
    if root is not None:
        _replace_dir(staged, root)
        return
    for stored in list(stores.walk(storage)):
        storage.delete(stored)
    for path in _files_under(staged):
        name = path.relative_to(staged).as_posix()
        with open(path, "rb") as handle:
            if storage.save(name, File(handle)) != name:
                raise BackupError(_("The storage renamed %(name)s while restoring it.") % {"name": name})


def _restore_secrets(staging: Path) -> list[str]:
    """SECRET_KEY: written to DATA_DIR/secret_key unless the environment sets it; then it must match."""
    secret = (staging / SECRET).read_text()
    (staging / SETTINGS).replace(Path(settings.DATA_DIR) / "restored-settings.json")
    notes = [_("The backup's settings (not secrets) are in %(path)s: compare them with this deployment's.")
             % {"path": Path(settings.DATA_DIR) / "restored-settings.json"}]
    notes += _restore_pepper(staging)
    if os.environ.get("TESTIGO_SECRET_KEY"):
        if os.environ["TESTIGO_SECRET_KEY"] != secret:
            notes.append(_("TESTIGO_SECRET_KEY differs from the backup's secret key: set it to the old one, "
                           "or public locations will be fuzzed anew."))
        return notes
    _write_private(Path(settings.DATA_DIR) / "secret_key", secret.encode())
    return notes


def _restore_pepper(staging: Path) -> list[str]:
    """The codename pepper, written to DATA_DIR/tipline_pepper (0600). When the environment sets
    TESTIGO_TIPLINE_PEPPER to something else, the nodes refuse to start and name that file
    (core/nodes.py): its value goes into the variable on every node (docs/scale-out.md)."""
    stored = staging / PEPPER
    if not stored.is_file():  # an archive from before the pepper was kept, or a deployment without a tip line
        return []
    pepper = stored.read_bytes()
    target = Path(settings.DATA_DIR) / PEPPER
    _write_private(target, pepper)
    if settings.TIPLINE_PEPPER:
        try:
            same = nodes.parse_pepper(settings.TIPLINE_PEPPER) == pepper
        except ValueError:
            same = False
        if not same:
            return [_("TESTIGO_TIPLINE_PEPPER differs from the backup's tip-line pepper, written to %(path)s: set the "
                      "variable to that file's value (xxd -p -c 32 %(path)s) on every node, or no source's "
                      "codename will open their conversation.") % {"path": target}]
    return []


def _write_private(target: Path, data: bytes) -> None:
    target.unlink(missing_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


# --- The schedule -----------------------------------------------------------------------------

def configured_key() -> Key | None:
    """The key scheduled backups use: TESTIGO_BACKUP_PUBLIC_KEY, else TESTIGO_BACKUP_PASSPHRASE_FILE."""
    if settings.BACKUP_PUBLIC_KEY:
        return Key(public_key=decode_key(settings.BACKUP_PUBLIC_KEY))
    if settings.BACKUP_PASSPHRASE_FILE:
        return Key(passphrase=read_passphrase(Path(settings.BACKUP_PASSPHRASE_FILE)))
    return None


def read_passphrase(path: Path) -> str:
    try:
        passphrase = Path(path).read_text().strip("\r\n")
    except OSError as exc:
        raise BackupError(_("Cannot read the passphrase file: %(error)s") % {"error": exc.strerror}) from None
    if len(passphrase) < 12:
        raise BackupError(_("A backup passphrase has at least 12 characters."))
    return passphrase


def prune(to_dir: Path | None, keep: int) -> list:
    """Delete this deployment's oldest archives in `to_dir` (None: the "backups" storage) beyond
    the newest `keep`; return them (paths, or names in the storage)."""
    if to_dir is None and not backups_remote():
        to_dir = stores.on_disk(stores.get(BACKUPS))
    if to_dir is not None:
        mine = sorted(Path(to_dir).glob(f"testigo-*-{deployment_id()[:8]}{SUFFIX}"))
        doomed = mine[:-keep] if keep > 0 else []
        for path in doomed:
            path.unlink(missing_ok=True)
        return doomed
    storage, pattern = stores.get(BACKUPS), re.compile(rf"^testigo-[\w-]+-{re.escape(deployment_id()[:8])}{re.escape(SUFFIX)}$")
    mine = sorted(name for name in stores.walk(storage) if pattern.match(name))
    doomed = mine[:-keep] if keep > 0 else []
    for name in doomed:
        storage.delete(name)
    return doomed


def scheduled_target() -> tuple[bool, Path | None]:
    """(whether scheduled backups run, where to): BACKUP_DIR when set; else, with a remote store
    (TESTIGO_STORAGE_URL), its backups/ folder (None) once a backup key is configured."""
    if settings.BACKUP_DIR:
        return True, Path(settings.BACKUP_DIR)
    if backups_remote() and (settings.BACKUP_PUBLIC_KEY or settings.BACKUP_PASSPHRASE_FILE):
        return True, None
    return False, None


def run_scheduled() -> BackupRun | None:
    """The periodic job's body: back up, read back, prune. A failure is recorded for the console."""
    runs, to_dir = scheduled_target()
    if not runs:
        return None
    started = timezone.now()
    try:
        key = configured_key()
        if key is None:
            raise BackupError(_("Scheduled backups need TESTIGO_BACKUP_PUBLIC_KEY or TESTIGO_BACKUP_PASSPHRASE_FILE."))
        run = check_run(create(to_dir=to_dir, key=key, scheduled=True), key)
        prune(to_dir, settings.BACKUP_KEEP)
        return run
    except (BackupError, OSError) as exc:
        log.error("scheduled backup failed: %s", exc)
        run = BackupRun.objects.create(started_at=started, finished_at=timezone.now(), scheduled=True,
                                       verified=False, error=str(exc))
        record_failure(stage="create", error=str(exc), run=run)
        return run
