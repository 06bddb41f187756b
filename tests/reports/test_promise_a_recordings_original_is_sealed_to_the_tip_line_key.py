"""Promise: the original of a recording or video, kept for evidence (TESTIGO_MEDIA_KEEP_ORIGINALS),
is sealed to the tip line's organisation key as tip-line files are: the bytes on disk are neither
the original nor anything ffmpeg can read (no header, no plaintext tags), so a stolen disk or
backup reveals nothing. An evidence-role staff member holding the tip-line key, unlocked in their
session, downloads the exact original and gets it in evidence packages; an evidence-role member
without the key sees that it is sealed and a package lists it as sealed with its sha256. Without a
tip-line key no original is kept, and the report says so. A purge deletes the sealed file."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile

import nacl.pwhash
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from testigo.core import roles
from testigo.reports import evidence, recordings, retention
from testigo.tipline import crypto, sealing, vault
from tests.reports.conftest import PHONE_TAGS, generate
from tests.reports.retention_kit import age, make_policy

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ffmpeg_tools")]

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _cheap_kdf(monkeypatch, settings):
    monkeypatch.setattr(crypto, "ARGON2_OPSLIMIT", nacl.pwhash.argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(crypto, "ARGON2_MEMLIMIT", nacl.pwhash.argon2id.MEMLIMIT_MIN)
    settings.MEDIA_KEEP_ORIGINALS = True


@pytest.fixture
def video(tmp_path) -> bytes:
    return generate(tmp_path, "clip.mov", "-f", "lavfi", "-i", "testsrc=s=160x120:r=10:d=1", "-c:v", "libx264",
                    "-preset", "ultrafast", "-f", "mov", *PHONE_TAGS)


def logged_in(user) -> Client:
    """Through the real login page, which unlocks the tip-line key for a holder."""
    client = Client()
    client.cookies["django_language"] = "en"
    assert client.post("/console/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def package_of(report, actor, unseal=None) -> tuple[zipfile.ZipFile, dict]:
    package = zipfile.ZipFile(io.BytesIO(b"".join(
        evidence.evidence_zip(reports=[report], actor=actor, unseal=unseal).stream())))
    (entry,) = json.loads(package.read(f"reports/{report.reference}.json"))["media"]
    return package, entry


def ffprobe_reads(data: bytes, tmp_path) -> bool:
    path = tmp_path / "stored-original"
    path.write_bytes(data)
    return subprocess.run(["ffprobe", "-v", "error", str(path)], capture_output=True).returncode == 0


def test_the_original_is_sealed_on_disk_and_only_a_key_holder_opens_it(make_user, report_factory, video, tmp_path):
    holder = make_user(roles.ADMIN, username="key-holder")
    vault.initialise(user=holder, password=PASSWORD)
    other = make_user(roles.ADMIN, username="no-key")  # may export evidence, holds no tip-line key
    holder_client, other_client = logged_in(holder), logged_in(other)
    report = report_factory()
    response = holder_client.post(f"/console/r/{report.reference}/recordings/",
                                  {"recordings": [SimpleUploadedFile("clip.mov", video)]})
    assert response.status_code == 302
    clip = report.media.get()
    assert clip.original and clip.sha256 == hashlib.sha256(video).hexdigest()

    with default_storage.open(clip.original.name, "rb") as handle:
        on_disk = handle.read()
    assert on_disk != video and video[:64] not in on_disk
    assert b"ftyp" not in on_disk[:64] and b"+14.0723-087.1921" not in on_disk
    assert not ffprobe_reads(on_disk, tmp_path)

    # The key holder downloads the exact original.
    url = f"/console/media/{clip.id}/original/"
    assert url in holder_client.get(f"/console/r/{report.reference}/").content.decode()
    response = holder_client.get(url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert hashlib.sha256(response.content).hexdigest() == clip.sha256

    # Another evidence-role member without the key: told it is sealed, gets nothing.
    page = other_client.get(f"/console/r/{report.reference}/").content.decode()
    assert url not in page and "sealed: a tip-line key holder can open it" in page
    refused = other_client.get(url)
    assert refused.status_code == 302 and video[:64] not in refused.content

    # A holder who has not unlocked (a fresh session without the key cookie) cannot either.
    locked = Client()
    locked.force_login(holder)
    assert locked.get(url).status_code == 302

    # Packages: the exporter holding the key gets the original; one without it, a sealed entry.
    opener = recordings.original_opener(response.wsgi_request)
    assert opener is not None
    package, entry = package_of(report, holder, unseal=opener)
    original = package.read(entry["original_file"].removeprefix("../"))
    assert hashlib.sha256(original).hexdigest() == entry["sha256_original"] == clip.sha256
    package, entry = package_of(report, other)
    assert entry["original_sealed"] is True and entry["sha256_original"] == clip.sha256
    assert "original_file" not in entry
    assert not [name for name in package.namelist() if name.endswith("-original")]
    assert all(video[:64] not in package.read(name) for name in package.namelist())


def test_without_a_tip_line_key_no_original_is_kept_and_the_report_says_so(make_user, report_factory, video):
    admin = make_user(roles.ADMIN)
    client = logged_in(admin)
    report = report_factory()
    client.post(f"/console/r/{report.reference}/recordings/", {"recordings": [SimpleUploadedFile("clip.mov", video)]})
    clip = report.media.get()
    assert not clip.original
    assert "Originals of recordings are not kept" in client.get(f"/console/r/{report.reference}/").content.decode()


def test_a_purge_deletes_the_sealed_original(make_user, report_factory, video, admin_user,
                                             django_capture_on_commit_callbacks):
    vault.initialise(user=admin_user, password=PASSWORD)
    report = report_factory()
    recordings.hold_recordings(report=report, files=[("clip.mov", video)])  # jobs are immediate here
    clip = report.media.get()
    assert clip.original and default_storage.exists(clip.original.name)
    name = clip.original.name
    age(report, days=400)
    with django_capture_on_commit_callbacks(execute=True):
        retention.apply_policy(policy=make_policy(days=365, statuses=["new"], confirm=True), actor=admin_user)
    assert not default_storage.exists(name)


def test_a_key_rotation_reseals_the_original_to_the_new_key(report_factory, video, admin_user):
    vault.initialise(user=admin_user, password=PASSWORD)
    old_key = vault._unwrap_for(admin_user, PASSWORD)
    report = report_factory()
    recordings.hold_recordings(report=report, files=[("clip.mov", video)])
    clip = report.media.get()
    rotation = vault.start_rotation(actor=admin_user, org_private=old_key, password=PASSWORD)
    vault.continue_rotation(actor=admin_user, org_private=rotation.org_private)
    assert not vault.current().rotating  # the old key is gone
    clip.refresh_from_db()
    with default_storage.open(clip.original.name, "rb") as handle:
        sealed = handle.read()
    assert hashlib.sha256(sealing.open_with(rotation.org_private, sealed)).hexdigest() == clip.sha256
    with pytest.raises(crypto.CryptoError):
        sealing.open_with(old_key, sealed)


def test_a_damaged_sealed_original_is_said_not_crashed(make_user, report_factory, video):
    holder = make_user(roles.ADMIN, username="key-holder")
    vault.initialise(user=holder, password=PASSWORD)
    client = logged_in(holder)
    report = report_factory()
    recordings.hold_recordings(report=report, files=[("clip.mov", video)])
    clip = report.media.get()
    with default_storage.open(clip.original.name, "rb") as handle:
        sealed = bytearray(handle.read())
    sealed[-10] ^= 0xFF
    default_storage.delete(clip.original.name)
    default_storage.save(clip.original.name, io.BytesIO(bytes(sealed)))
    response = client.get(f"/console/media/{clip.id}/original/", follow=True)
    assert "could not be opened" in response.content.decode()
    opener = recordings.original_opener(response.wsgi_request)
    package, entry = package_of(report, holder, unseal=opener)
    assert entry["original_sealed"] is True and "original_file" not in entry
