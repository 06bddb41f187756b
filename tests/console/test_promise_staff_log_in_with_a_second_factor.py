"""Promise: a stolen staff password is not enough. Administrators and tip-line staff (by default;
per role as the administrators choose) log in with the password AND a code from an authenticator
app (TOTP, RFC 6238); until the code passes the session is not logged in. Codes are accepted one
30-second step either side of the clock, never twice; wrong codes are throttled per person and
audited; ten one-time recovery codes are shown once and stored only hashed; the TOTP secret is
stored encrypted; someone who must use it and has not set it up can do nothing but set it up.
"""

from __future__ import annotations

import base64
import re
import time

import nacl.pwhash
import pytest
from django.test import Client

from testigo.core import roles, twofactor
from testigo.core.models import AuditEvent, RecoveryCode, TwoFactorDevice

pytestmark = [pytest.mark.django_db, pytest.mark.twofactor_defaults]
PASSWORD = "correct horse battery"


# --- RFC 6238 Appendix B: the test vectors (8 digits; SHA-1, SHA-256, SHA-512 seeds) ----------

SEEDS = {"sha1": b"12345678901234567890", "sha256": b"12345678901234567890123456789012",
         "sha512": b"1234567890" * 6 + b"1234"}
VECTORS = [  # (unix time, SHA-1, SHA-256, SHA-512)
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize("at,sha1,sha256,sha512", VECTORS)
def test_totp_matches_the_rfc_6238_test_vectors(at, sha1, sha256, sha512):
    for digest, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        assert twofactor.totp(SEEDS[digest], at, digits=8, digest=digest) == expected


# --- helpers ------------------------------------------------------------------------------------

def secret_on(html: str) -> bytes:
    """The key as a person would type it from the page into their app."""
    text = re.search(r'id="twofactor-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    return base64.b32decode(text + "=" * (-len(text) % 8))


def password_step(client, user, **extra):
    return client.post("/console/login/", {"username": user.username, "password": PASSWORD, **extra})


def logged_in(client) -> bool:
    return client.get("/console/").status_code == 200


def enrol(client, user) -> tuple[bytes, list[str]]:
    """From the password step through enrolment; returns (key, recovery codes shown)."""
    assert password_step(client, user)["Location"] == "/console/2fa/set-up/"
    key = secret_on(client.get("/console/2fa/set-up/").content.decode())
    response = client.post("/console/2fa/set-up/", {"code": twofactor.totp(key, time.time() - 30)})
    assert response.status_code == 200
    return key, re.findall(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", response.content.decode())


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


@pytest.fixture
def admin(make_user):
    return make_user(roles.ADMIN, username="ana", password=PASSWORD)


@pytest.fixture
def enrolled(admin):
    """The admin with an authenticator; a fresh (logged-out) client."""
    key, codes = enrol(Client(), admin)
    return admin, key, codes


# --- enrolment ---------------------------------------------------------------------------------

def test_an_admin_must_set_up_a_second_factor_and_can_do_nothing_else_until_then(admin):
    client = Client()
    response = password_step(client, admin, next="/console/audit/")
    assert response.status_code == 302 and response["Location"] == "/console/2fa/set-up/"
    assert not logged_in(client)  # the password alone logged nobody in
    assert client.get("/console/2fa/").status_code == 302
    page = client.get("/console/2fa/set-up/").content.decode()
    assert "<svg" in page and "qr" in page  # the QR code, drawn by the server (no script)
    key = secret_on(page)
    assert secret_on(client.get("/console/2fa/set-up/").content.decode()) == key  # a reload: same key
    assert client.post("/console/2fa/set-up/", {"code": "000000" if twofactor.totp(key) != "000000"
                                                 else "111111"}).status_code == 200
    assert not logged_in(client)

    response = client.post("/console/2fa/set-up/", {"code": twofactor.totp(key)})
    codes = re.findall(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", response.content.decode())
    assert len(set(codes)) == twofactor.RECOVERY_CODES == 10
    assert 'href="/console/audit/"' in response.content.decode()  # then on to where they were going
    assert logged_in(client)
    assert events("twofactor.enrolled") == 1


def test_the_secret_is_stored_encrypted_and_recovery_codes_only_hashed(enrolled):
    admin, key, codes = enrolled
    device = TwoFactorDevice.objects.get(user=admin)
    assert key not in bytes(device.secret) and base64.b32encode(key) not in bytes(device.secret)
    assert twofactor.unseal(device.secret) == key
    stored = set(RecoveryCode.objects.filter(user=admin).values_list("digest", flat=True))
    assert len(stored) == 10 and not any(c in stored or c.replace("-", "") in stored for c in codes)


def test_roles_that_do_not_require_it_log_in_with_the_password(make_user):
    moderator = make_user(roles.MODERATOR, password=PASSWORD)
    client = Client()
    assert password_step(client, moderator)["Location"] == "/console/"
    assert logged_in(client)


# --- the code step ------------------------------------------------------------------------------

def test_after_the_password_the_session_is_not_logged_in_until_the_code_passes(enrolled):
    admin, key, _codes = enrolled
    client = Client()
    assert password_step(client, admin)["Location"] == "/console/login/code/"
    assert "_auth_user_id" not in client.session
    assert not logged_in(client)
    assert client.get("/console/2fa/set-up/").status_code == 302  # nor can the password replace the phone
    response = client.post("/console/login/code/", {"code": twofactor.totp(key)})
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert logged_in(client)


def test_a_code_is_accepted_once_and_one_step_either_side_of_the_clock(enrolled):
    admin, key, _codes = enrolled
    now = time.time() + 120  # later steps than the one enrolment used
    assert twofactor.verify(user=admin, code=twofactor.totp(key, now - 30), at=now) == twofactor.Outcome.OK
    assert twofactor.verify(user=admin, code=twofactor.totp(key, now - 30), at=now) == twofactor.Outcome.WRONG
    assert twofactor.verify(user=admin, code=twofactor.totp(key, now), at=now) == twofactor.Outcome.OK
    assert twofactor.verify(user=admin, code=twofactor.totp(key, now), at=now) == twofactor.Outcome.WRONG
    assert twofactor.verify(user=admin, code=twofactor.totp(key, now + 90), at=now) == twofactor.Outcome.WRONG
    assert twofactor.verify(user=admin, code=twofactor.totp(key, now + 30), at=now) == twofactor.Outcome.OK


def test_a_code_used_to_log_in_cannot_log_in_again(enrolled):
    admin, key, _codes = enrolled
    code = twofactor.totp(key, time.time() + 30)
    first = Client()
    password_step(first, admin)
    assert first.post("/console/login/code/", {"code": code}).status_code == 302
    second = Client()
    password_step(second, admin)
    assert second.post("/console/login/code/", {"code": code}).status_code == 200
    assert not logged_in(second)


def test_wrong_codes_are_audited_and_locked_out_per_person(enrolled, settings):
    admin, key, _codes = enrolled
    client = Client()
    password_step(client, admin)
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert client.post("/console/login/code/", {"code": "12345"}).status_code == 200
    assert events("twofactor.failed") == settings.LOGIN_FAILURE_LIMIT - 1
    assert client.post("/console/login/code/", {"code": "12345"}).status_code == 429
    assert events("twofactor.locked") == 1
    assert not logged_in(client)

    # Locked: even the right code, after the right password again, is refused (and not counted).
    password_step(client, admin)
    response = client.post("/console/login/code/", {"code": twofactor.totp(key, time.time() + 30)})
    assert response.status_code == 429 and not logged_in(client)
    assert events("twofactor.failed") == settings.LOGIN_FAILURE_LIMIT - 1


def test_a_recovery_code_logs_in_once_and_is_audited(enrolled):
    admin, _key, codes = enrolled
    client = Client()
    password_step(client, admin)
    assert client.post("/console/login/code/", {"code": codes[3].upper()}).status_code == 302
    assert logged_in(client)
    assert events("twofactor.recovery_code_used") == 1
    assert twofactor.recovery_codes_left(admin) == 9
    again = Client()
    password_step(again, admin)
    assert again.post("/console/login/code/", {"code": codes[3]}).status_code == 200
    assert not logged_in(again)


def test_the_half_way_marker_expires(enrolled, monkeypatch):
    from testigo.console import twofactor_views

    admin, key, _codes = enrolled
    client = Client()
    password_step(client, admin)
    monkeypatch.setattr(twofactor_views, "PENDING_SECONDS", -1)
    response = client.post("/console/login/code/", {"code": twofactor.totp(key, time.time() + 30)})
    assert response.status_code == 302 and response["Location"] == "/console/login/"
    assert not logged_in(client)


def test_the_tip_line_key_is_unlocked_once_the_code_passes(enrolled, monkeypatch, settings, tmp_path):
    from testigo.tipline import crypto, vault

    monkeypatch.setattr(crypto, "ARGON2_OPSLIMIT", nacl.pwhash.argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(crypto, "ARGON2_MEMLIMIT", nacl.pwhash.argon2id.MEMLIMIT_MIN)
    admin, key, _codes = enrolled
    vault.initialise(user=admin, password=PASSWORD)
    client = Client()
    password_step(client, admin)
    assert client.get("/console/tips/").status_code == 302  # not logged in yet
    client.post("/console/login/code/", {"code": twofactor.totp(key, time.time() + 30)})
    assert client.get("/console/tips/").status_code == 200
    assert "/console/tips/unlock/" not in client.get("/console/tips/").content.decode()


# --- who must use it; turning it off; resets ---------------------------------------------------

def test_admins_choose_the_roles_that_require_it(admin, make_user):
    moderator = make_user(roles.MODERATOR, password=PASSWORD)
    analyst = make_user(roles.ANALYST, password=PASSWORD)
    assert twofactor.required_for(admin) and not twofactor.required_for(moderator)

    client = Client()
    client.force_login(admin)
    response = client.post("/console/2fa/settings/", {"required": [roles.ADMIN, roles.MODERATOR]})
    assert response.status_code == 302
    assert twofactor.required_for(moderator) and not twofactor.required_for(analyst)
    assert events("twofactor.policy_changed") == 1
    assert password_step(Client(), moderator)["Location"] == "/console/2fa/set-up/"


def test_tip_line_access_requires_it_by_default(make_user):
    from testigo.tipline.models import StaffKeyWrap

    moderator = make_user(roles.MODERATOR, password=PASSWORD)
    assert not twofactor.required_for(moderator)
    StaffKeyWrap.objects.create(user=moderator, salt=b"s", opslimit=1, memlimit=1, wrapped=b"w")
    assert twofactor.required_for(moderator)


def test_only_administrators_change_the_requirement_or_reset_someone(enrolled, make_user):
    admin, _key, _codes = enrolled
    coordinator = Client()
    coordinator.force_login(make_user(roles.COORDINATOR))
    assert coordinator.get("/console/2fa/settings/").status_code == 403
    assert coordinator.post(f"/console/2fa/settings/{admin.pk}/reset/").status_code == 403
    assert twofactor.is_enabled(admin)


def test_an_administrator_resets_a_lost_phone_and_it_is_audited(enrolled, make_user):
    admin, _key, _codes = enrolled
    other = Client()
    other.force_login(make_user(roles.ADMIN, username="beto"))
    assert other.post(f"/console/2fa/settings/{admin.pk}/reset/").status_code == 302
    assert not twofactor.is_enabled(admin) and twofactor.recovery_codes_left(admin) == 0
    assert AuditEvent.objects.filter(action="twofactor.reset", object_id=str(admin.pk)).count() == 1
    assert password_step(Client(), admin)["Location"] == "/console/2fa/set-up/"  # set it up again


def test_turning_it_off_needs_a_code_or_the_password(enrolled):
    admin, key, _codes = enrolled
    client = Client()
    client.force_login(admin)
    client.post("/console/2fa/off/", {"password": "not the password"})
    assert twofactor.is_enabled(admin)
    client.post("/console/2fa/off/", {})
    assert twofactor.is_enabled(admin)
    client.post("/console/2fa/off/", {"password": PASSWORD})
    assert not twofactor.is_enabled(admin)
    assert events("twofactor.disabled") == 1


def test_new_recovery_codes_need_a_code_and_cancel_the_old_ones(enrolled):
    admin, key, codes = enrolled
    client = Client()
    client.force_login(admin)
    assert client.post("/console/2fa/recovery-codes/", {"code": "123456"}).status_code == 302
    response = client.post("/console/2fa/recovery-codes/", {"code": twofactor.totp(key, time.time() + 30)})
    fresh = re.findall(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", response.content.decode())
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    assert twofactor.verify(user=admin, code=codes[0]) == twofactor.Outcome.WRONG
    assert twofactor.verify(user=admin, code=fresh[0]) == twofactor.Outcome.RECOVERY


def test_a_rotated_secret_key_keeps_codes_working_through_the_fallbacks_only(enrolled, settings):
    admin, key, _codes = enrolled
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key-" * 3, [old]
    assert twofactor.verify(user=admin, code=twofactor.totp(key, time.time() + 30)) == twofactor.Outcome.OK
    settings.SECRET_KEY_FALLBACKS = []
    client = Client()
    password_step(client, admin)  # refused (a reset is the way back), never a server error
    response = client.post("/console/login/code/", {"code": twofactor.totp(key, time.time() + 60)})
    assert response.status_code == 200 and not logged_in(client)
