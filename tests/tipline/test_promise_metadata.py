"""Promise 4: files lose their metadata; originals are kept only sealed, and only by choice."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError

from testigo.tipline import crypto, selectors, services, storage
from testigo.tipline.models import Tip, TipFile, VaultKey


def _box(org_key):
    return crypto.open_sealed(org_key, bytes(Tip.objects.get().key_for_org))


def test_photo_view_copy_has_no_exif_and_original_is_not_kept_by_default(tip_admin, org_key, tl):
    original = tl.gps_jpeg()
    assert tl.has_gps(original)
    services.submit_tip(body="", files=[("plaza.jpg", original)], language="es")
    item = TipFile.objects.get()
    opened = selectors.conversation_for_staff(tip_admin, org_private=org_key, tip=Tip.objects.get())[0].files[0]
    assert item.kind == "image" and item.original_path == "" and opened.sha256 == hashlib.sha256(original).hexdigest()
    view = crypto.unpad(crypto.unwrap(_box(org_key), storage.read(item.view_path)))
    assert not tl.has_gps(view) and b"SpyCam" not in view
    _name, content_type, served = selectors.file_for_staff(tip_admin, org_private=org_key, file_id=item.pk,
                                                           original=False)
    assert served == view and content_type == "image/jpeg"


def test_view_copy_is_sealed_at_rest(tip_admin, org_key, tl):
    services.submit_tip(body="", files=[("plaza.jpg", tl.gps_jpeg())], language="es")
    stored = storage.read(TipFile.objects.get().view_path)
    assert not stored.startswith(b"\xff\xd8")  # not a JPEG on disk: ciphertext
    with pytest.raises(crypto.CryptoError):
        crypto.unwrap(crypto.random_key(), stored)


def test_original_kept_sealed_when_the_organisation_chooses(tip_admin, org_key, tl):
    VaultKey.objects.update(keep_originals=True)
    original = tl.gps_jpeg()
    services.submit_tip(body="", files=[("plaza.jpg", original)], language="es")
    item = TipFile.objects.get()
    assert original not in storage.read(item.original_path)
    assert crypto.unpad(crypto.unwrap(_box(org_key), storage.read(item.original_path))) == original
    _n, content_type, data = selectors.file_for_staff(tip_admin, org_private=org_key, file_id=item.pk, original=True)
    assert data == original and content_type == "application/octet-stream"


def test_other_files_are_sealed_and_only_downloaded_as_attachments(client, tip_admin, tl):
    services.submit_tip(body="", files=[("../../etc/notes.html", b"<script>alert(1)</script>")], language="es")
    item = TipFile.objects.get()
    assert item.kind == "other" and item.view_path == ""
    tl.staff_client(client, tip_admin)
    for query in ("", "?inline=1", "?original=1"):
        response = client.get(f"/console/tips/file/{item.pk}/{query}")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert "notes.html" in response["Content-Disposition"] and ".." not in response["Content-Disposition"]
        assert response["Content-Type"] == "application/octet-stream"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_a_file_named_like_a_photo_that_is_not_one_is_refused(tip_admin):
    with pytest.raises(ValidationError):
        services.submit_tip(body="x", files=[("photo.jpg", b"MZ\x90 not an image")], language="en")
    assert not Tip.objects.exists()
