"""The organisation key's life cycle: set-up, wrapping for staff, unlocking into a session.

At rest the server holds the organisation private key only wrapped (by each authorised staff
member's Argon2id password key, and by the recovery key). At login it is unwrapped and
re-encrypted under a fresh random session key K: the ciphertext goes into the server-side
session, K into the staff browser's `tipkey` cookie. Each request that needs the key combines
the two in memory, so it works across any number of gunicorn workers, while a seized server
(database, session store, logs) holds neither the plaintext key nor K.
"""

from __future__ import annotations

import base64

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from testigo.core import audit, roles
from testigo.tipline import crypto
from testigo.tipline.models import StaffKeyWrap, VaultKey

SESSION_KEY = "tipline_org_key"  # session: org private key encrypted under K
COOKIE = "tipkey"  # staff browser: K


def current() -> VaultKey | None:
    return VaultKey.objects.first()


def has_access(user) -> bool:
    """Tip-line access = an active staff user with a wrapped copy of the organisation key."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and StaffKeyWrap.objects.filter(user=user).exists())


def require_key_holder(user, action: str | None = None) -> None:
    """The tip line's one gate: the role action, when the act needs one (decided by core.roles),
    and holding a wrapped copy of the organisation key (granted by someone who holds it)."""
    if action is not None:
        roles.require(user, action)
    if not has_access(user):
        raise PermissionDenied(_("You do not have tip-line access."))


def _wrap_for(user, password: str, org_private: bytes) -> StaffKeyWrap:
    salt = crypto.random_salt()
    key = crypto.password_key(password, salt, crypto.ARGON2_OPSLIMIT, crypto.ARGON2_MEMLIMIT)
    wrap, _created = StaffKeyWrap.objects.update_or_create(user=user, defaults=dict(
        salt=salt, opslimit=crypto.ARGON2_OPSLIMIT, memlimit=crypto.ARGON2_MEMLIMIT,
        wrapped=crypto.wrap(key, org_private)))
    return wrap


def _unwrap_for(user, password: str) -> bytes | None:
    wrap = StaffKeyWrap.objects.filter(user=user).first()
    if wrap is None:
        return None
    key = crypto.password_key(password, bytes(wrap.salt), wrap.opslimit, wrap.memlimit)
    try:
        return crypto.unwrap(key, bytes(wrap.wrapped))
    except crypto.CryptoError:
        return None


def initialise(*, user, password: str) -> str:
    """Create the organisation key pair, give `user` access, and return the recovery key.

    The recovery key is returned exactly once and never stored in clear: print it, hand it to
    the board, keep it offline. Losing every password and the recovery key loses every tip."""
    roles.require(user, roles.MANAGE_TIPLINE)
    if not user.check_password(password):
        raise ValidationError(_("The password is not correct."))
    with transaction.atomic():
        if VaultKey.objects.exists():
            raise ValidationError(_("The tip line is already set up."))
        private, public = crypto.new_keypair()
        raw, printable = crypto.new_recovery_key()
        VaultKey.objects.create(public_key=public, recovery_wrapped=crypto.wrap(raw, private))
        _wrap_for(user, password, private)
        audit.record(action="tipline.initialise", actor=user, object_type="tipline.vault")
    return printable


def grant(*, grantor, org_private: bytes, grantee, grantee_password: str) -> StaffKeyWrap:
    """Give `grantee` tip-line access. The grantor (authorised, key unlocked in their session,
    and allowed to manage users) hands over the key; the grantee, present, types their own
    password so their wrapped copy can be made. We never learn a password any other way."""
    require_key_holder(grantor, roles.MANAGE_TIPLINE)
    if not grantee.is_active or not grantee.check_password(grantee_password):
        raise ValidationError(_("That is not this colleague's current password."))
    with transaction.atomic():
        wrap = _wrap_for(grantee, grantee_password, org_private)
        audit.record(action="tipline.grant", actor=grantor, obj=grantee, data={"grantee": grantee.username})
    return wrap


def revoke(*, actor, grantee) -> None:
    """Remove a colleague's access. (They saw the key while authorised; see the threat model.)"""
    require_key_holder(actor, roles.MANAGE_TIPLINE)
    with transaction.atomic():
        StaffKeyWrap.objects.filter(user=grantee).delete()
        audit.record(action="tipline.revoke", actor=actor, obj=grantee, data={"grantee": grantee.username})


def rewrap(*, user, old_password: str, new_password: str) -> bool:
    """Re-wrap the user's copy under a new password. Returns False if they had no access."""
    private = _unwrap_for(user, old_password)
    if private is None:
        return False
    with transaction.atomic():
        _wrap_for(user, new_password, private)
        audit.record(action="tipline.rewrap", actor=user, obj=user)
    return True


def recover(*, recovery_key: str, user, password: str) -> None:
    """Use the recovery key to give `user` (whose password is checked) a fresh wrapped copy:
    the way back in when every authorised member has forgotten their password."""
    vault = current()
    if vault is None:
        raise ValidationError(_("The tip line is not set up."))
    if not user.check_password(password):
        raise ValidationError(_("The password is not correct."))
    private = open_with_recovery_key(recovery_key=recovery_key)
    with transaction.atomic():
        _wrap_for(user, password, private)
        audit.record(action="tipline.recover", actor=user, obj=user)


def open_with_recovery_key(*, recovery_key: str) -> bytes:
    """The organisation private key, opened with the printed recovery key (no password cost).
    Callers use it and drop it, never store it: `recover` re-wraps it for a user, and `testigo
    demo` replies to its sample tip right after printing the key."""
    vault = current()
    if vault is None:
        raise ValidationError(_("The tip line is not set up."))
    try:
        return crypto.unwrap(crypto.parse_recovery_key(recovery_key), bytes(vault.recovery_wrapped))
    except (ValueError, crypto.CryptoError):
        raise ValidationError(_("That recovery key does not open this tip line.")) from None


# --- the key in a staff session -----------------------------------------------------------------

def unlock(request, *, user, password: str) -> bool:
    """Unwrap the org key with the password and split it between session and cookie."""
    private = _unwrap_for(user, password)
    if private is None:
        return False
    session_key = crypto.random_key()
    request.session[SESSION_KEY] = base64.b64encode(crypto.wrap(session_key, private)).decode("ascii")
    request._tipkey_set = base64.urlsafe_b64encode(session_key).decode("ascii")  # middleware sets cookie
    return True


def lock(request) -> None:
    if hasattr(request, "session"):
        request.session.pop(SESSION_KEY, None)
    request._tipkey_clear = True


def org_key(request) -> bytes:
    """The organisation private key for this request, combined in memory; VaultLocked if absent."""
    if not has_access(getattr(request, "user", None)):
        raise crypto.VaultLocked
    blob = request.session.get(SESSION_KEY)
    cookie = getattr(request, "_tipkey_set", None) or request.COOKIES.get(COOKIE)
    if not blob or not cookie:
        raise crypto.VaultLocked
    try:
        return crypto.unwrap(base64.urlsafe_b64decode(cookie), base64.b64decode(blob))
    except (ValueError, crypto.CryptoError):
        raise crypto.VaultLocked from None
