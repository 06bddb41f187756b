"""Staff two-factor login: a time-based code from any authenticator app (TOTP, RFC 6238), with
one-time recovery codes, required per role by the administrators.

Why each piece is as it is:
- TOTP is RFC 4226's HMAC-SHA1 code over the 30-second time step, written out below (a dozen
  lines, checked against the RFC's test vectors in tests/console) rather than taken from a
  library: every authenticator app speaks exactly this. A code is accepted one step either side
  of the server's clock (phones drift), and each accepted step is stored, so a code seen over a
  shoulder or replayed from a log is refused: only a later step is ever accepted again.
- The TOTP secret is stored encrypted (SecretBox, XSalsa20-Poly1305) under a key derived from
  SECRET_KEY: a copy of the database alone (a backup, an SQL injection) does not give the
  secrets. Whoever also holds SECRET_KEY can decrypt them; the server must be able to check codes
  without a person present, so nothing stronger is possible for this factor.
- Recovery codes are 50 random bits each, stored as an HMAC keyed the same way (high entropy: no
  slow hash needed, and a database copy alone cannot even test guesses), each usable once.
- Wrong codes are throttled per person (core.auth's lockout, keyed by the user, never by an
  address: we keep no IP addresses) and audited; the throttle bounds the audit events too.
- Between the password and the code the session is not logged in: it holds only a signed,
  short-lived marker naming the user (see console/twofactor_views.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import mark_safe
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from testigo.core import audit, auth, roles
from testigo.core.models import RecoveryCode, TwoFactorDevice, TwoFactorRequirement

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1  # codes from one step before or after the server's clock are accepted
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommended length; 32 base32 characters
RECOVERY_CODES = 10
TIPLINE = "tipline"  # the scope "anyone with tip-line access", beside the roles
SCOPES = [*roles.ROLES, TIPLINE]
# Required unless an administrator decided otherwise on the settings page. tests/conftest.py
# empties this for tests whose subject is not two-factor login.
DEFAULT_REQUIRED = frozenset({roles.ADMIN, TIPLINE})
log = logging.getLogger(__name__)


# --- RFC 4226 / RFC 6238 ----------------------------------------------------------------------

def hotp(key: bytes, counter: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226: the HMAC of the counter, dynamically truncated to `digits` decimal digits."""
    mac = hmac.new(key, counter.to_bytes(8, "big"), digest).digest()
    offset = mac[-1] & 0x0F
    value = int.from_bytes(mac[offset:offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def time_step(at: float | None = None) -> int:
    return int(time.time() if at is None else at) // STEP_SECONDS


def totp(key: bytes, at: float | None = None, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 6238: HOTP over the number of 30-second steps since the Unix epoch."""
    return hotp(key, time_step(at), digits, digest)


def matching_step(key: bytes, code: str, at: float | None = None) -> int | None:
    """The time step (within the drift window) whose code is `code`, or None."""
    now = time_step(at)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(hotp(key, step), code):
            return step
    return None


def secret_text(key: bytes) -> str:
    """The secret as authenticator apps take it typed in: base32, no padding, in groups of four."""
    raw = base64.b32encode(key).decode("ascii").rstrip("=")
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def provisioning_uri(key: bytes, username: str) -> str:
    """The otpauth:// address the QR code carries (Google Authenticator's key URI format)."""
    issuer = settings.SITE_NAME
    label = quote(f"{issuer}:{username}", safe="")
    query = urlencode({"secret": secret_text(key).replace(" ", ""), "issuer": issuer, "algorithm": "SHA1",
                       "digits": DIGITS, "period": STEP_SECONDS}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri: str) -> str:
    """The QR code as inline SVG: drawn by the server, so enrolment works without JavaScript and
    loads nothing (the console's CSP allows no data: images on every page)."""
    return mark_safe(segno.make(uri, error="m").svg_inline(scale=5, border=4, svgclass="qr", lineclass=None,
                                                             omitsize=False))


# --- Keys at rest -------------------------------------------------------------------------------

def _key(secret_key: str, purpose: bytes) -> bytes:
    return hashlib.blake2b(secret_key.encode("utf-8"), digest_size=32, person=purpose).digest()


def seal(key: bytes) -> bytes:
    return SecretBox(_key(settings.SECRET_KEY, b"testigo.totp")).encrypt(key)


def unseal(sealed: bytes) -> bytes:
    """Decrypt with SECRET_KEY, then each of SECRET_KEY_FALLBACKS (a key being rotated)."""
    for secret_key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        try:
            return SecretBox(_key(secret_key, b"testigo.totp")).decrypt(bytes(sealed))
        except CryptoError:
            continue
    raise CryptoError("the two-factor secret does not open with SECRET_KEY")


def recovery_digest(code: str) -> str:
    normal = code.replace("-", "").replace(" ", "").strip().lower()
    return hmac.new(_key(settings.SECRET_KEY, b"testigo.recovery"), normal.encode("utf-8"),
                    hashlib.sha256).hexdigest()


# --- Who must use it ----------------------------------------------------------------------------

def requirements() -> dict[str, bool]:
    """Scope -> required, with the defaults filled in for scopes no administrator has set."""
    chosen = dict(TwoFactorRequirement.objects.values_list("scope", "required"))
    return {scope: chosen.get(scope, scope in DEFAULT_REQUIRED) for scope in SCOPES}


@transaction.atomic
def set_requirements(*, actor, required: set[str]) -> None:
    roles.require(actor, roles.MANAGE_USERS)
    before = requirements()
    for scope in SCOPES:
        TwoFactorRequirement.objects.update_or_create(scope=scope, defaults={"required": scope in required})
    if {s for s, on in before.items() if on} != set(required):
        audit.record(action="twofactor.policy_changed", actor=actor,
                     data={"required": sorted(required)})


def _has_tipline_access(user) -> bool:
    # tipline.StaffKeyWrap (related name tip_key) marks access; read through the relation so core
    # does not import the tip line.
    return get_user_model().objects.filter(pk=user.pk, tip_key__isnull=False).exists()


def required_for(user) -> bool:
    policy = requirements()
    role = roles.role_of(user)
    if role is not None and policy.get(role):
        return True
    return policy[TIPLINE] and _has_tipline_access(user)


def device_of(user) -> TwoFactorDevice | None:
    return TwoFactorDevice.objects.filter(user=user).first()


def is_enabled(user) -> bool:
    return TwoFactorDevice.objects.filter(user=user).exclude(secret=b"").exists()


def users_enabled() -> set[int]:
    """Ids of the users who have two-factor login on (one query, for the settings list)."""
    return set(TwoFactorDevice.objects.exclude(secret=b"").values_list("user_id", flat=True))


def second_step(user) -> str | None:
    """After the right password: "code" when the user has an authenticator, "enrol" when they
    must set one up first, None when the password is enough."""
    if is_enabled(user):
        return "code"
    return "enrol" if required_for(user) else None


# --- Enrolment ----------------------------------------------------------------------------------

def pending_key(user) -> bytes:
    """The secret being set up (made on first call, kept until confirmed so a reload shows the
    same QR code)."""
    device, _created = TwoFactorDevice.objects.get_or_create(user=user)
    if device.pending_secret:
        try:
            return unseal(device.pending_secret)
        except CryptoError:  # sealed under a SECRET_KEY since replaced: start afresh
            pass
    key = secrets.token_bytes(SECRET_BYTES)
    device.pending_secret = seal(key)
    device.save(update_fields=["pending_secret"])
    return key


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(7)).decode("ascii")[:10].lower()  # 10 x 5 = 50 bits
    return f"{raw[:5]}-{raw[5:]}"


def _replace_recovery_codes(user) -> list[str]:
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, digest=recovery_digest(c)) for c in codes])
    return codes


@transaction.atomic
def confirm(*, user, code: str, at: float | None = None) -> list[str] | None:
    """Turn the pending secret on once `code` matches it; return the new recovery codes (shown
    once), or None when the code is wrong."""
    device = TwoFactorDevice.objects.select_for_update().filter(user=user).exclude(pending_secret=b"").first()
    if device is None:
        return None
    step = matching_step(unseal(device.pending_secret), _digits(code), at)
    if step is None:
        return None
    device.secret, device.pending_secret = device.pending_secret, b""
    device.last_step, device.confirmed_at = step, timezone.now()
    device.save()
    audit.record(action="twofactor.enrolled", actor=user, obj=user)
    return _replace_recovery_codes(user)


# --- Checking a code ----------------------------------------------------------------------------

class Outcome:
    OK, RECOVERY, WRONG, LOCKED = "ok", "recovery", "wrong", "locked"


def _throttle_key(user) -> str:
    # A colon never appears in a Django username, so this counter cannot be a login's.
    return f"2fa:{user.pk}"


def check_not_locked(user) -> None:
    """Raise auth.LoginLocked while `user` is locked out of the code step."""
    auth.check_not_locked(username=_throttle_key(user))


def _digits(code: str) -> str:
    return "".join(code.split())


def _use_totp(user, code: str, at: float | None) -> bool:
    device = device_of(user)
    if device is None or not device.secret or not code.isdigit() or len(code) != DIGITS:
        return False
    try:
        key = unseal(device.secret)
    except CryptoError:  # SECRET_KEY changed without a fallback: only a reset helps (docs/security.md)
        log.error("two-factor secret of user %s does not open with SECRET_KEY", user.pk)
        return False
    step = matching_step(key, code, at)
    # Conditional update: of two requests racing with one code, only one moves last_step.
    return step is not None and bool(
        TwoFactorDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step))


def _use_recovery_code(user, code: str) -> bool:
    return bool(RecoveryCode.objects.filter(user=user, digest=recovery_digest(code), used_at__isnull=True)
                .update(used_at=timezone.now()))


def verify(*, user, code: str, at: float | None = None) -> str:
    """Check a code from the app or a recovery code; count and audit failures. Returns an
    Outcome; raises auth.LoginLocked while locked (the code is not even looked at)."""
    check_not_locked(user)
    code = _digits(code or "")[:64]
    if _use_totp(user, code, at):
        auth.record_success(username=_throttle_key(user))
        return Outcome.OK
    if code and len(code) != DIGITS and _use_recovery_code(user, code):
        auth.record_success(username=_throttle_key(user))
        audit.record(action="twofactor.recovery_code_used", actor=user, obj=user,
                     data={"remaining": recovery_codes_left(user)})
        return Outcome.RECOVERY
    locked = auth.record_failure(username=_throttle_key(user))
    audit.record(action="twofactor.locked" if locked else "twofactor.failed", actor=user, obj=user)
    return Outcome.LOCKED if locked else Outcome.WRONG


def verify_password(*, user, password: str) -> bool:
    """The password as proof (to turn two-factor login off): throttled with the codes, so it
    cannot be guessed here faster than at the login page."""
    check_not_locked(user)
    if user.check_password(password):
        return True
    auth.record_failure(username=_throttle_key(user))
    return False


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# --- Changes by the person or an administrator ----------------------------------------------

def regenerate_recovery_codes(*, user) -> list[str]:
    codes = _replace_recovery_codes(user)
    audit.record(action="twofactor.recovery_codes_renewed", actor=user, obj=user)
    return codes


@transaction.atomic
def disable(*, user) -> None:
    """Turn two-factor login off for oneself (the view has checked a code or the password)."""
    TwoFactorDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit.record(action="twofactor.disabled", actor=user, obj=user)


@transaction.atomic
def reset(*, actor, user) -> None:
    """An administrator removes someone's authenticator (a lost phone): at their next login they
    set up a new one if their role requires it."""
    roles.require(actor, roles.MANAGE_USERS)
    TwoFactorDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    auth.record_success(username=_throttle_key(user))  # a fresh start, not a locked one
    audit.record(action="twofactor.reset", actor=actor, obj=user)
