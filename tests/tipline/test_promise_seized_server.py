"""Promise 1: a seized server reveals no tip while no authorised staff member is logged in."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import nacl.pwhash
import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.utils import timezone

from testigo.core.signals import staff_password_changed, staff_password_verified
from testigo.tipline import crypto, selectors, services, vault
from testigo.tipline.models import StaffKeyWrap, Tip, TipFile, VaultKey

SECRET_TEXT = "Colonel Zapata moves cocaine through dock nine"
SECRET_NAME = "ledger-zapata-dock9.pdf"


@pytest.fixture
def submitted(tip_admin, tl):
    access, codename = services.submit_tip(body=SECRET_TEXT, language="en",
                                           files=[(SECRET_NAME, b"%PDF-1.4 " + SECRET_TEXT.encode()),
                                                  ("zapata-photo.jpg", tl.gps_jpeg())])
    tip = Tip.objects.get()
    return access, codename, tip


def test_seized_server_reveals_no_tip_while_no_staff_is_logged_in(submitted, org_key, tip_admin, settings, tl):
    _access, codename, tip = submitted
    services.staff_reply(actor=tip_admin, org_private=org_key, tip=tip, body="Reply about Zapata's dock nine")
    for needle in (SECRET_TEXT, SECRET_NAME, "zapata-photo", "Reply about Zapata", codename, "SpyCam Maker"):
        assert tl.database_hits(needle) == [], needle
        assert tl.file_hits(settings.DATA_DIR, needle) == [], needle
        assert tl.file_hits(settings.MEDIA_ROOT.parent, needle) == [], needle
    # The organisation private key itself is nowhere in clear.
    raw = org_key
    assert all(raw not in p.read_bytes() for p in settings.DATA_DIR.rglob("*") if p.is_file())
    assert tl.database_hits(base64.b64encode(raw).decode()) == []


def test_organisation_key_is_stored_only_wrapped(tip_admin, org_key, tl):
    from testigo.tipline.models import VaultKey

    vk = VaultKey.objects.get()
    assert org_key not in bytes(vk.recovery_wrapped)
    assert org_key not in bytes(StaffKeyWrap.objects.get(user=tip_admin).wrapped)
    assert crypto.public_of(org_key) == bytes(vk.public_key)


def test_argon2_parameters_are_strong(monkeypatch):
    monkeypatch.undo()  # the tip-line fixture lowers them for speed; check the module's own values
    assert crypto.ARGON2_OPSLIMIT >= nacl.pwhash.argon2id.OPSLIMIT_MODERATE
    assert crypto.ARGON2_MEMLIMIT >= nacl.pwhash.argon2id.MEMLIMIT_MODERATE


@pytest.mark.real_kdf
def test_staff_keys_are_wrapped_with_the_production_argon2_cost(tip_admin, org_key):
    wrap = StaffKeyWrap.objects.get(user=tip_admin)
    assert wrap.opslimit >= nacl.pwhash.argon2id.OPSLIMIT_MODERATE
    assert wrap.memlimit >= nacl.pwhash.argon2id.MEMLIMIT_MODERATE
    assert crypto.public_of(org_key) == bytes(VaultKey.objects.get().public_key)  # and it unwraps


def test_login_splits_the_key_between_session_and_browser_cookie(client, tip_admin, org_key, tl):
    tl.staff_client(client, tip_admin)
    cookie = client.cookies["tipkey"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    session = Session.objects.get()
    decoded = session.get_decoded()
    blob = base64.b64decode(decoded[vault.SESSION_KEY])
    k = base64.urlsafe_b64decode(cookie.value)
    assert org_key not in blob and k not in blob and org_key not in session.session_data.encode()
    assert tl.database_hits(cookie.value) == []
    assert crypto.unwrap(k, blob) == org_key  # together, and only together, they give the key


def test_key_is_available_to_any_worker_holding_session_and_cookie(client, tip_admin, org_key, tl):
    """Nothing per-process: a request rebuilt from the stored session and the cookie unlocks."""
    from django.contrib.sessions.backends.db import SessionStore

    tl.staff_client(client, tip_admin)
    request = RequestFactory().get("/console/tips/")
    request.user = tip_admin
    request.session = SessionStore(session_key=client.cookies["sessionid"].value)
    request.COOKIES["tipkey"] = client.cookies["tipkey"].value
    assert vault.org_key(request) == org_key
    request.COOKIES["tipkey"] = base64.urlsafe_b64encode(b"x" * 32).decode()
    with pytest.raises(crypto.VaultLocked):
        vault.org_key(request)


def test_logout_drops_the_key(client, tip_admin, submitted, tl):
    tl.staff_client(client, tip_admin)
    assert client.get(f"/console/tips/{submitted[2].pk}/").status_code == 200
    client.post("/console/logout/")
    assert client.cookies["tipkey"].value == ""
    assert all(vault.SESSION_KEY not in s.get_decoded() for s in Session.objects.all())


def test_signal_receiver_unlocks_without_the_console_view(tip_admin, org_key):
    request = RequestFactory().post("/console/login/")
    from django.contrib.sessions.backends.db import SessionStore

    request.session, request.user = SessionStore(), tip_admin
    staff_password_verified.send(sender=None, request=request, user=tip_admin, password="correct horse battery")
    assert vault.org_key(request) == org_key


def test_password_change_rewraps_the_key(tip_admin, org_key):
    request = RequestFactory().post("/console/password/")
    from django.contrib.sessions.backends.db import SessionStore

    request.session, request.user = SessionStore(), tip_admin
    tip_admin.set_password("a whole new passphrase")
    tip_admin.save()
    staff_password_changed.send(sender=None, request=request, user=tip_admin,
                                old_password="correct horse battery", new_password="a whole new passphrase")
    assert vault._unwrap_for(tip_admin, "a whole new passphrase") == org_key
    assert vault._unwrap_for(tip_admin, "correct horse battery") is None


def test_password_change_through_console_keeps_tip_access(client, tip_admin, submitted, tl):
    tl.staff_client(client, tip_admin)
    response = client.post("/console/password/", {"old_password": "correct horse battery",
                                                   "new_password1": "violet sunrise over copan",
                                                   "new_password2": "violet sunrise over copan"})
    assert response.status_code == 302
    client.post("/console/logout/")
    tl.staff_client(client, tip_admin, "violet sunrise over copan")
    assert SECRET_TEXT.encode() in client.get(f"/console/tips/{submitted[2].pk}/").content


def test_granting_access_needs_an_unlocked_authorised_member_and_the_grantees_password(
        client, tip_admin, org_key, make_user, submitted, tl):
    from testigo.core import roles

    colleague = make_user(roles.MODERATOR, username="ana")
    with pytest.raises(ValidationError):
        vault.grant(grantor=tip_admin, org_private=org_key, grantee=colleague, grantee_password="wrong")
    with pytest.raises(PermissionDenied):
        vault.grant(grantor=colleague, org_private=org_key, grantee=colleague, grantee_password="correct horse battery")
    # Through the console: the grantor is logged in (key unlocked), the colleague types their password.
    tl.staff_client(client, tip_admin)
    response = client.post("/console/tips/access/", {"grantee": colleague.pk, "grantee_password": "correct horse battery"})
    assert response.status_code == 302
    assert vault._unwrap_for(colleague, "correct horse battery") == org_key
    other = client.__class__()
    tl.staff_client(other, colleague)
    assert SECRET_TEXT.encode() in other.get(f"/console/tips/{submitted[2].pk}/").content


def test_staff_without_tipline_access_cannot_read_tips(client, tip_admin, make_user, submitted, tl):
    from testigo.core import roles

    outsider = make_user(roles.COORDINATOR, username="carlos")
    tl.staff_client(client, outsider)
    response = client.get(f"/console/tips/{submitted[2].pk}/")
    assert response.status_code == 403 and SECRET_TEXT.encode() not in response.content
    with pytest.raises(PermissionDenied):
        selectors.tips_for(outsider)


def test_locked_session_is_sent_to_unlock_page(client, tip_admin, submitted):
    client.force_login(tip_admin)  # logged in without the password: no key in this session
    response = client.get(f"/console/tips/{submitted[2].pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/console/tips/unlock/")
    response = client.post("/console/tips/unlock/", {"password": "correct horse battery",
                                                     "next": f"/console/tips/{submitted[2].pk}/"})
    assert SECRET_TEXT.encode() in client.get(response["Location"]).content


def test_recovery_key_restores_access_and_a_wrong_one_does_not(tip_admin, org_key):
    StaffKeyWrap.objects.all().delete()  # every password forgotten
    with pytest.raises(ValidationError):
        vault.recover(recovery_key="AAAA-BBBB", user=tip_admin, password="correct horse battery")
    vault.recover(recovery_key=tip_admin.recovery_key.lower().replace("-", " "), user=tip_admin,
                  password="correct horse battery")
    assert vault._unwrap_for(tip_admin, "correct horse battery") == org_key


# --- A seized server cannot confirm which known file a source sent (issue #13) -----------------

KNOWN_FILE = b"%PDF-1.4 internal audit, dock nine " + bytes(range(256)) * 47  # 12,067 bytes
UPLOAD_MOMENT = datetime(2031, 5, 17, 13, 47, 29, 123456, tzinfo=UTC)


def _seconds_precise(value) -> bool:
    """A stored time of UPLOAD_MOMENT's day that is finer than the hour (datetime, or SQLite text)."""
    if isinstance(value, str) and value.startswith("2031-05-17"):
        value = datetime.fromisoformat(value)
    return isinstance(value, datetime) and value.date() == UPLOAD_MOMENT.date() and \
        (value.minute, value.second, value.microsecond) != (0, 0, 0)


def test_seized_server_cannot_confirm_which_known_file_a_source_sent(tip_admin, org_key, settings, tl, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: UPLOAD_MOMENT)
    access, _codename = services.submit_tip(body="see the audit", files=[("audit.pdf", KNOWN_FILE)], language="en")
    digest = hashlib.sha256(KNOWN_FILE)
    size = len(KNOWN_FILE)
    # Not its hash (hex or raw), not its exact size, not its upload time: in no column of any table.
    assert tl.database_hits(digest.hexdigest()) == [] and tl.database_hits(digest.hexdigest().upper()) == []
    assert tl.database_hits(digest.digest()) == []
    assert [(t, c) for t, c, v in tl.database_values() if v == size or v == str(size)] == []
    assert [(t, c, v) for t, c, v in tl.database_values() if _seconds_precise(v)] == []
    # Nor on disk: the sealed file is padded, and its modification time is the hour.
    for path in settings.TIP_STORAGE_DIR.iterdir():
        assert path.stat().st_size > size + 40 and path.stat().st_size % 256 == 40
        assert path.stat().st_mtime == UPLOAD_MOMENT.replace(minute=0, second=0, microsecond=0).timestamp()
    # Staff holding the key, and the source, still see the real name, size and hash.
    tip = Tip.objects.get()
    for messages in (selectors.conversation_for_staff(tip_admin, org_private=org_key, tip=tip),
                     selectors.conversation_for_source(access)):
        opened = messages[0].files[0]
        assert (opened.name, opened.size, opened.sha256) == ("audit.pdf", size, digest.hexdigest())
    file_id = TipFile.objects.get().pk
    assert selectors.file_for_staff(tip_admin, org_private=org_key, file_id=file_id, original=False)[2] == KNOWN_FILE


def test_console_shows_staff_the_unsealed_file_name_size_and_hash(client, tip_admin, tl, english):
    services.submit_tip(body="see the audit", files=[("audit.pdf", KNOWN_FILE)], language="en")
    tl.staff_client(client, tip_admin)
    page = client.get(f"/console/tips/{Tip.objects.get().pk}/").content.decode()
    assert "audit.pdf" in page and hashlib.sha256(KNOWN_FILE).hexdigest() in page and "11.8" in page
