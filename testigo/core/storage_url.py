"""TESTIGO_STORAGE_URL: where files live (docs/scale-out.md, "Files on S3").

Empty: the data directory, as on a single machine (media/, tipline/, backups under BACKUP_DIR).
Otherwise one S3-compatible bucket shared by every node:

    s3://ACCESS_KEY:SECRET_KEY@host[:port]/bucket[/prefix]?region=us-east-1&secure=1&addressing=path

Each class of file gets its own storage in settings.STORAGES and its own folder in the bucket:
"default" (media/: photos, recordings, documents, survey imports), "tiles" (media/tilesets/, so a
tile set's stored name is the same on disk and in the bucket), "tipline" (tipline/: sealed tip
files, stored exactly as sealed) and "backups" (backups/). The bucket stays private: objects are
written with no ACL, and every file is served by Testigo after its permission checks.

This module only reads strings: settings.py imports it before Django is set up.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

VARIABLE = "TESTIGO_STORAGE_URL"
SCHEMES = ("s3",)
# Presigned links (S3Storage.url), should anything ask for one: short-lived. Testigo streams files itself.
SIGNED_URL_SECONDS = 300
FOLDERS = {"default": "media", "tiles": "media", "tipline": "tipline", "backups": "backups"}
_FILESYSTEM_PRIVATE = {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


class BadStorageURL(ValueError):
    """The URL cannot be used; the message says why (English: settings load before translations)."""


def parse(url: str) -> dict | None:
    """None for the filesystem (empty URL); otherwise the S3 options shared by every storage."""
    url = url.strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise BadStorageURL(f"{VARIABLE} must start with s3:// (or be empty for the data directory).")
    if not parts.hostname:
        raise BadStorageURL(f"{VARIABLE} names no host: s3://ACCESS_KEY:SECRET_KEY@host:port/bucket")
    if not parts.username or parts.password is None:
        raise BadStorageURL(f"{VARIABLE} needs the access key and secret key: s3://ACCESS_KEY:SECRET_KEY@host/bucket")
    path = [p for p in parts.path.split("/") if p]
    if not path:
        raise BadStorageURL(f"{VARIABLE} names no bucket: s3://ACCESS_KEY:SECRET_KEY@host:port/bucket")
    try:
        port = parts.port
    except ValueError:
        raise BadStorageURL(f"{VARIABLE} has a port that is not a number.") from None
    query = {k.lower(): v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(query) - {"region", "secure", "addressing"}
    if unknown:
        raise BadStorageURL(f"{VARIABLE} has unknown parameters: {', '.join(sorted(unknown))} "
                            "(known: region, secure, addressing).")
    secure = query.get("secure", "1").lower()
    if secure not in _TRUE | _FALSE:
        raise BadStorageURL(f"{VARIABLE}: secure must be 1 or 0.")
    addressing = query.get("addressing", "path").lower()
    if addressing not in ("path", "virtual"):
        raise BadStorageURL(f"{VARIABLE}: addressing must be path or virtual.")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return {
        "access_key": unquote(parts.username),
        "secret_key": unquote(parts.password),
        "bucket_name": path[0],
        "prefix": "/".join(path[1:]),
        "endpoint_url": f"{'https' if secure in _TRUE else 'http'}://{host}{f':{port}' if port else ''}",
        "region_name": query.get("region") or "us-east-1",
        "addressing_style": addressing,
    }


def storages(url: str, *, staticfiles: dict) -> dict:
    """The STORAGES setting for this URL (staticfiles is passed through: static files stay local)."""
    s3 = parse(url)
    if s3 is None:
        return {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": dict(_FILESYSTEM_PRIVATE)},
            # Tile sets stay where they always were (media/tilesets/).
            "tiles": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": dict(_FILESYSTEM_PRIVATE)},
            # Locations read from TIP_STORAGE_DIR / BACKUP_DIR when used (testigo/core/storage.py).
            "tipline": {"BACKEND": "testigo.core.storage.TiplineFileSystemStorage"},
            "backups": {"BACKEND": "testigo.core.storage.BackupFileSystemStorage"},
            "staticfiles": staticfiles,
        }
    try:
        import storages as _installed  # noqa: F401  (django-storages)
    except ImportError:
        raise BadStorageURL(f"{VARIABLE} is an S3 URL but django-storages is not installed: "
                            "pip install 'testigo[s3]'.") from None
    common = {
        "access_key": s3["access_key"], "secret_key": s3["secret_key"], "bucket_name": s3["bucket_name"],
        "endpoint_url": s3["endpoint_url"], "region_name": s3["region_name"],
        "addressing_style": s3["addressing_style"], "signature_version": "s3v4",
        # Private bucket: no ACL on any object (the bucket's own, private, applies), and any URL
        # made for an object is signed and expires.
        "default_acl": None, "querystring_auth": True, "querystring_expire": SIGNED_URL_SECONDS,
        # Like the filesystem: a name already taken gets a new one, nothing is overwritten.
        "file_overwrite": False,
    }
    result = {"staticfiles": staticfiles}
    for alias, folder in FOLDERS.items():
        location = "/".join(p for p in (s3["prefix"], folder) if p)
        result[alias] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**common, "location": location}}
    return result


def redacted(url: str) -> str:
    """The URL without its secret key (for messages and settings.json in backups)."""
    parts = urlsplit(url.strip())
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)
