"""The tip line end to end in Chromium with JavaScript off (Tor Browser "Safest")."""

from __future__ import annotations

import io

import nacl.pwhash
import pytest
from django.apps import apps
from django.db import connection
from PIL import Image

from testigo.tipline import crypto, services, storage, vault
from testigo.tipline.models import Tip, TipFile

PASSWORD = "correct horse battery"
SECRET = "Contraband leaves pier four every Tuesday"
FILE_NAME = "pier-four-ledger.jpg"


def _gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Maker"
    exif[0x8825] = {1: "N", 2: (14.0, 4.0, 20.0), 3: "W", 4: (87.0, 11.0, 30.0)}
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 40)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def _exif(data: bytes):
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif())


def _database_hits(needle: str) -> list[str]:
    raw, hits = needle.encode(), []
    tables = {m._meta.db_table for m in apps.get_models() if m._meta.managed} | set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    value = value.tobytes() if isinstance(value, memoryview) else value
                    if (isinstance(value, bytes) and raw in value) or (isinstance(value, str) and needle in value):
                        hits.append(table)
    return hits


@pytest.fixture
def tip_storage(settings, tmp_path, monkeypatch):
    """A data directory of the test's own for the tip line, and the cheapest Argon2id."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.TIP_STORAGE_DIR = settings.DATA_DIR / "tipline"
    monkeypatch.setattr(crypto, "ARGON2_OPSLIMIT", nacl.pwhash.argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(crypto, "ARGON2_MEMLIMIT", nacl.pwhash.argon2id.MEMLIMIT_MIN)


@pytest.fixture
def tipline_ready(tip_storage, make_user):
    admin = make_user("admin", username="lead")
    vault.initialise(user=admin, password=PASSWORD)
    return admin


def test_tip_conversation_works_without_javascript(nojs_page, tipline_ready, settings):
    page = nojs_page
    page.goto("/tip/?lang=en")
    assert page.locator("script").count() == 0
    page.fill("textarea[name=body]", SECRET)
    page.set_input_files("input[name=files]", files=[{"name": FILE_NAME, "mimeType": "image/jpeg",
                                                       "buffer": _gps_jpeg()}])
    page.click("form.tip-form button[type=submit]")
    page.wait_for_url("**/tip/sent/")
    codename = page.inner_text("#codename").strip()
    assert len(codename.split()) == 7

    # Staff reply (through the service, with the key unwrapped by the password).
    org_key = vault._unwrap_for(tipline_ready, PASSWORD)
    tip = Tip.objects.get()
    services.staff_reply(actor=tipline_ready, org_private=org_key, tip=tip, body="Which company owns the boat?")

    # The source leaves, comes back days later with the codename, reads the reply.
    page.goto("/tip/conversation/")
    page.click("form.tip-logout button[type=submit]")
    page.context.clear_cookies()
    page.goto("/tip/login/")
    page.fill("input[name=codename]", codename.upper())
    page.click("form.tip-form button[type=submit]")
    page.wait_for_url("**/tip/conversation/")
    assert "Which company owns the boat?" in page.inner_text("main")
    assert SECRET in page.inner_text("main") and FILE_NAME in page.inner_text("main")
    page.fill("textarea[name=body]", "The Marisol, registered in Belize")
    page.click("form.tip-form button[type=submit]")
    page.wait_for_url("**/tip/conversation/")
    assert "registered in Belize" in page.inner_text("main")

    # The photo kept for viewing has no EXIF (no GPS, no camera).
    item = TipFile.objects.get()
    box_key = crypto.open_sealed(org_key, bytes(tip.key_for_org))
    view = crypto.unpad(crypto.unwrap(box_key, storage.read(item.view_path)))
    assert _exif(view) == {}

    # No staff session holds the key: database and files hold neither the text nor the file name.
    for needle in (SECRET, FILE_NAME, "pier-four", "registered in Belize", "Which company", codename):
        assert _database_hits(needle) == [], needle
        for path in list(settings.DATA_DIR.rglob("*")) + list(settings.MEDIA_ROOT.rglob("*")):
            if path.is_file():
                assert needle.encode() not in path.read_bytes() and needle not in path.name, (needle, path)


def test_staff_set_up_and_unlock_the_tip_line_in_a_real_browser(page, tip_storage, make_user):
    """The staff tip-line forms post through Django's CSRF check: the browser must send our Origin
    (a `no-referrer` policy made Chromium send `Origin: null`, and every form was refused)."""
    admin = make_user("admin", username="lead")
    admin.set_password(PASSWORD)
    admin.save()
    page.goto("/console/login/")
    page.fill("input[name=username]", "lead")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.goto("/console/tips/setup/")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert vault.VaultKey.objects.exists(), page.inner_text("main")
    page.goto("/console/tips/unlock/")
    if page.locator("input[name=password]").count():
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_load_state()
    assert "/console/tips/" in page.url and "unlock" not in page.url
