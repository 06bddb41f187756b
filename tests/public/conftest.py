"""Fixtures for the public site tests: a valid form submission and small real images."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from tests.conftest import speak_english


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def make_image():
    return image_bytes


@pytest.fixture
def en_client(db) -> Client:
    """A client that asks for English, so page text can be checked before translations exist."""
    return speak_english(Client())


@pytest.fixture
def publish(admin_user):
    """Verify then publish a report, as staff would: returns the published report."""
    from testigo.reports import services

    def run(report):
        services.verify(report=report, actor=admin_user)
        return services.publish(report=report, actor=admin_user)

    return run


@pytest.fixture
def form_data(category) -> dict:
    yesterday = timezone.localdate() - timedelta(days=1)
    return {
        "title": "Asalto en la parada",
        "description": "Dos hombres armados asaltaron el bus de la ruta 5.",
        "category": str(category.pk),
        "occurred_date": yesterday.isoformat(),
        "occurred_time": "18:30",
        "place_name": "Colonia Kennedy, Tegucigalpa",
        "lat": "",
        "lon": "",
        "reporter_name": "",
        "reporter_contact": "",
    }


# --- Upload promises (also imported by tests/tipline/test_promise_upload_*.py) -----------------

def huge_png(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height pixels, built in microseconds: one tiny IDAT.
    Only a header check can afford to look at it; decoding it would take seconds or fail."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def padded_jpeg(extra: int) -> tuple[bytes, bytes]:
    """A valid small JPEG followed by `extra` random bytes (JPEG readers stop at the end-of-image
    marker), so a request over 5 MB is cheap to build. Returns (file, a slice of the padding)."""
    import os

    padding = os.urandom(extra)
    return image_bytes("JPEG", (32, 24)) + padding, padding[extra // 2: extra // 2 + 64]


class DecodeSpy:
    """Counts full decodes (Pillow's `load`, which every decode and re-encode goes through)."""

    def __init__(self, monkeypatch):
        from PIL import Image, ImageFile

        self.calls = 0
        for cls in (Image.Image, ImageFile.ImageFile):
            original = cls.load

            def load(image, _original=original):
                self.calls += 1
                return _original(image)

            monkeypatch.setattr(cls, "load", load)


class QueueSpy:
    """Holds the jobs a request queues instead of running them, so the request is measured alone;
    `run()` then plays the worker."""

    def __init__(self, monkeypatch):
        from huey.contrib.djhuey import HUEY

        self.huey, self.tasks = HUEY, []
        monkeypatch.setattr(HUEY, "enqueue", self.tasks.append)

    def run(self) -> None:
        for task in self.tasks:
            self.huey.execute(task)
        self.tasks.clear()


class SpoolSpy:
    """Points the system temp dir and FILE_UPLOAD_TEMP_DIR at empty folders and records every
    temporary file created (Django spools large uploads with tempfile.NamedTemporaryFile)."""

    def __init__(self, monkeypatch, settings, tmp_path):
        import tempfile

        self.system = tmp_path / "system-tmp"
        self.upload = tmp_path / "upload-tmp"
        self.system.mkdir()
        self.upload.mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(self.system))
        settings.FILE_UPLOAD_TEMP_DIR = str(self.upload)
        self.created: list[str] = []
        from django.core.files import temp

        # Django's TemporaryUploadedFile uses django.core.files.temp, bound at import time.
        for module in (tempfile, temp):
            original = module.NamedTemporaryFile

            def recording(*args, _original=original, **kwargs):
                handle = _original(*args, **kwargs)
                self.created.append(handle.name)
                return handle

            monkeypatch.setattr(module, "NamedTemporaryFile", recording)

    def leftovers(self) -> list[str]:
        return [str(p) for d in (self.system, self.upload) for p in d.rglob("*")]


def bytes_found(roots, needle: bytes) -> list[str]:
    """Every file under `roots` containing `needle`."""
    from pathlib import Path

    found = []
    for root in roots:
        for path in Path(root).rglob("*") if Path(root).exists() else []:
            if path.is_file() and needle in path.read_bytes():
                found.append(str(path))
    return found
