"""Tip-line fixtures: isolated data/storage dirs, cheap Argon2 (strength is asserted separately)."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import nacl.pwhash
import pytest
from django.apps import apps
from django.db import connection
from PIL import Image

from testigo.tipline import crypto, throttle, vault

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _tipline_dirs(request, settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.TIP_STORAGE_DIR = tmp_path / "data" / "tipline"
    # Production uses MODERATE (see test_argon2_parameters_are_strong); tests use the minimum
    # so a login costs milliseconds, not seconds, except tests marked real_kdf.
    if request.node.get_closest_marker("real_kdf") is None:
        monkeypatch.setattr(crypto, "ARGON2_OPSLIMIT", nacl.pwhash.argon2id.OPSLIMIT_MIN)
        monkeypatch.setattr(crypto, "ARGON2_MEMLIMIT", nacl.pwhash.argon2id.MEMLIMIT_MIN)
    # Throttle buckets are minutes/hours: pin the clock so no boundary falls inside a test.
    monkeypatch.setattr(throttle, "_clock", lambda: 1_800_000_030.0)


@pytest.fixture
def tip_admin(admin_user):
    """An administrator who set up the vault; `.recovery_key` holds the printed recovery key."""
    admin_user.recovery_key = vault.initialise(user=admin_user, password=PASSWORD)
    return admin_user


@pytest.fixture
def org_key(tip_admin):
    return vault._unwrap_for(tip_admin, PASSWORD)






def database_values():
    """(table, column, value) for every stored value of every table the project knows, read by
    raw SQL on whichever backend runs (bytes as bytes)."""
    tables = sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed}
                    | set(connection.introspection.table_names()))
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    yield table, column, value.tobytes() if isinstance(value, memoryview) else value


def database_hits(needle: str | bytes) -> list[str]:
    """Every (table, column) whose stored value contains `needle` (text, or bytes / UTF-8 bytes)."""
    raw = needle if isinstance(needle, bytes) else needle.encode()
    return [f"{table}.{column}" for table, column, value in database_values()
            if (isinstance(value, bytes) and raw in value)
            or (isinstance(value, str) and isinstance(needle, str) and needle in value)]


def file_hits(root: Path, needle: str) -> list[str]:
    raw = needle.encode()
    return [str(p) for p in Path(root).rglob("*") if p.is_file() and (raw in p.read_bytes() or needle in p.name)]


def gps_jpeg(colour=(200, 30, 30)) -> bytes:
    """A JPEG carrying GPS EXIF (Tegucigalpa) and a camera make."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Maker"  # Make
    gps = {1: "N", 2: (14.0, 4.0, 20.0), 3: "W", 4: (87.0, 11.0, 30.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG", exif=exif)
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return bool(exif) and (0x8825 in exif or bool(exif.get_ifd(0x8825)))


def staff_client(client, user, password: str = "correct horse battery"):
    """Log in through the real console login page (which sends staff_password_verified)."""
    response = client.post("/console/login/", {"username": user.username, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.fixture
def tl():
    """The helpers above, for test modules (pytest 9 imports test modules in importlib mode)."""
    return SimpleNamespace(gps_jpeg=gps_jpeg, has_gps=has_gps, database_hits=database_hits,
                           database_values=database_values, file_hits=file_hits, staff_client=staff_client, PASSWORD=PASSWORD)
