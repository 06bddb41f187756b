"""The organisation key's life cycle: set-up, wrapping for staff, unlocking into a session.

At rest the server holds the organisation private key only wrapped (by each authorised staff
member's Argon2id password key, and by the recovery key). At login it is unwrapped and
re-encrypted under a fresh random session key K: the ciphertext goes into the server-side
session, K into the staff browser's `tipkey` cookie. Each request that needs the key combines
the two in memory, so it works across any number of gunicorn workers, while a seized server
(database, session store, logs) holds neither the plaintext key nor K.

Key rotation (start_rotation / continue_rotation) replaces the key pair when people leave: every
tip's sealed per-tip key is opened with the old private key in memory and re-sealed to the new
public key, in batches, each in a transaction. Until the last row is done, the old private key is
kept wrapped under a key derived from the new one, so a tip is readable at every moment and an
interrupted rotation resumes where it stopped; then it is destroyed. Staff other than the admin
who rotates receive the new key as GlobaLeaks hands keys to users: sealed to their own key pair
(whose private half only their password opens) and re-wrapped under their password at their next
unlock. The recovery key is replaced (one key, or Shamir shares k of n).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from testigo.core import audit, roles
from testigo.core.access import may_enter
from testigo.tipline import crypto, filemeta
from testigo.tipline.models import StaffKeyWrap, Tip, TipFile, VaultKey

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


def _store_wrap(user, key: bytes, salt: bytes, opslimit: int, memlimit: int, org_private: bytes,
                staff_private: bytes | None = None) -> StaffKeyWrap:
    """Write the holder's row: the org key and their own private key, both under their password key."""
    if staff_private is None:
        staff_private, _public = crypto.new_keypair()
    wrap, _created = StaffKeyWrap.objects.update_or_create(user=user, defaults=dict(
        salt=salt, opslimit=opslimit, memlimit=memlimit, wrapped=crypto.wrap(key, org_private),
        public_key=crypto.public_of(staff_private), private_wrapped=crypto.wrap(key, staff_private), pending=b""))
    return wrap


def _wrap_for(user, password: str, org_private: bytes) -> StaffKeyWrap:
    salt = crypto.random_salt()
    key = crypto.password_key(password, salt, crypto.ARGON2_OPSLIMIT, crypto.ARGON2_MEMLIMIT)
    return _store_wrap(user, key, salt, crypto.ARGON2_OPSLIMIT, crypto.ARGON2_MEMLIMIT, org_private)


def _unwrap_for(user, password: str) -> bytes | None:
    """The org private key from the user's row and password, or None. A key left pending by a
    rotation is taken now and re-wrapped under the password; a row from before personal key
    pairs gets one, so a later rotation can hand it the new key."""
    wrap = StaffKeyWrap.objects.filter(user=user).first()
    if wrap is None:
        return None
    key = crypto.password_key(password, bytes(wrap.salt), wrap.opslimit, wrap.memlimit)
    try:
        if wrap.pending:
            staff_private = crypto.unwrap(key, bytes(wrap.private_wrapped))
            private = crypto.open_sealed(staff_private, bytes(wrap.pending))
        else:
            staff_private = crypto.unwrap(key, bytes(wrap.private_wrapped)) if wrap.private_wrapped else None
            private = crypto.unwrap(key, bytes(wrap.wrapped))
    except crypto.CryptoError:
        return None
    if wrap.pending or not wrap.public_key:
        with transaction.atomic():
            _store_wrap(user, key, bytes(wrap.salt), wrap.opslimit, wrap.memlimit, private, staff_private)
            if wrap.pending:
                audit.record(action="tipline.key_received", actor=user, obj=user)
    return private


@dataclass
class Recovery:
    """What is shown once: the recovery key, or its Shamir shares (any `threshold` of `count`)."""

    key: str = ""
    shares: list[str] = field(default_factory=list)
    threshold: int = 0
    count: int = 0


def _new_recovery(threshold: int, count: int) -> tuple[bytes, Recovery, int]:
    raw, printable = crypto.new_recovery_key()
    if not threshold:
        return raw, Recovery(key=printable), 0
    if not crypto.SHARES_MIN <= threshold <= count <= crypto.SHARES_MAX:
        raise ValidationError(_("Choose between 2 and 10 shares, and a number needed between 2 and the number "
                                "of shares."))
    shares, split_id = crypto.split_recovery_key(raw, threshold=threshold, count=count)
    return raw, Recovery(shares=shares, threshold=threshold, count=count), split_id


def _recovery_fields(vault: VaultKey, raw: bytes, private: bytes, recovery: Recovery, split_id: int) -> None:
    vault.recovery_wrapped = crypto.wrap(raw, private)
    vault.recovery_threshold, vault.recovery_shares, vault.recovery_split_id = recovery.threshold, recovery.count, split_id


def _recovery_label(recovery: Recovery) -> str:
    return f"{recovery.threshold}-of-{recovery.count} shares" if recovery.threshold else "single key"


def setup(*, user, password: str, threshold: int = 0, count: int = 0) -> Recovery:
    """Create the organisation key pair, give `user` access, and return the recovery key (or,
    with `threshold`/`count`, its Shamir shares) to show once.

    The recovery key is returned exactly once and never stored in clear: print it, hand it to
    the board, keep it offline. Losing every password and the recovery key loses every tip."""
    roles.require(user, roles.MANAGE_TIPLINE)
    if not user.check_password(password):
        raise ValidationError(_("The password is not correct."))
    raw, recovery, split_id = _new_recovery(threshold, count)
    with transaction.atomic():
        if VaultKey.objects.exists():
            raise ValidationError(_("The tip line is already set up."))
        private, public = crypto.new_keypair()
        vault = VaultKey(public_key=public)
        _recovery_fields(vault, raw, private, recovery, split_id)
        vault.save()
        _wrap_for(user, password, private)
        audit.record(action="tipline.initialise", actor=user, object_type="tipline.vault",
                     data={"recovery": _recovery_label(recovery)})
    return recovery


def initialise(*, user, password: str) -> str:
    """setup() with a single recovery key; returns its printable form."""
    return setup(user=user, password=password).key


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


def _share_message(error: crypto.ShareError) -> str:
    messages = {
        "unreadable": _("Share %(number)s has a typo: a word is misspelt or missing (its checksum does not match). "
                        "Check it word by word."),
        "duplicate": _("Share %(number)s is the same share as share %(other)s. Enter different shares."),
        "other_split": _("Share %(number)s belongs to another set of shares (another split of a recovery key), not "
                         "to this tip line's current one."),
        "too_few": _("Too few shares: this tip line needs %(need)s shares; you entered %(given)s."),
        "mismatch": _("These shares do not fit together. Check that each one belongs to this tip line."),
    }
    return messages[error.code] % error.params


def open_with_recovery_key(*, recovery_key: str = "", shares: list[str] | None = None) -> bytes:
    """The organisation private key, opened with the printed recovery key or with enough of its
    Shamir shares (no password cost). Callers use it and drop it, never store it: `recover`
    re-wraps it for a user, and `testigo demo` replies to its sample tip right after printing."""
    vault = current()
    if vault is None:
        raise ValidationError(_("The tip line is not set up."))
    if shares is not None and any(s.strip() for s in shares):
        if not vault.recovery_threshold:
            raise ValidationError(_("This tip line has a single recovery key, not shares: enter the key."))
        try:
            raw = crypto.combine_shares(shares, split_id=vault.recovery_split_id, threshold=vault.recovery_threshold)
        except crypto.ShareError as error:
            raise ValidationError(_share_message(error), code=error.code) from None
        try:
            return crypto.unwrap(raw, bytes(vault.recovery_wrapped))
        except crypto.CryptoError:
            raise ValidationError(_("These shares do not open this tip line.")) from None
    try:
        return crypto.unwrap(crypto.parse_recovery_key(recovery_key), bytes(vault.recovery_wrapped))
    except (ValueError, crypto.CryptoError):
        if vault.recovery_threshold:
            raise ValidationError(_("This tip line's recovery key was split into shares: enter %(need)s of them.")
                                  % {"need": vault.recovery_threshold}) from None
        raise ValidationError(_("That recovery key does not open this tip line.")) from None


def recover(*, recovery_key: str = "", shares: list[str] | None = None, user, password: str) -> None:
    """Use the recovery key (or k of its shares) to give `user` (whose password is checked) a
    fresh wrapped copy: the way back in when every authorised member has forgotten their
    password. Every use, and every refused attempt, is in the audit trail (never the key)."""
    vault = current()
    if vault is None:
        raise ValidationError(_("The tip line is not set up."))
    if not user.check_password(password):
        raise ValidationError(_("The password is not correct."))
    used = "shares" if shares is not None and any(s.strip() for s in shares) else "key"
    try:
        private = open_with_recovery_key(recovery_key=recovery_key, shares=shares)
    except ValidationError as error:
        audit.record(action="tipline.recover_refused", actor=user, obj=user,
                     data={"with": used, "reason": getattr(error, "code", None) or "wrong"})
        raise
    with transaction.atomic():
        _wrap_for(user, password, private)
        audit.record(action="tipline.recover", actor=user, obj=user, data={"with": used})


# --- who can open the vault -----------------------------------------------------------------------

def key_holders() -> list:
    """Active staff who can open the vault: a wrapped (or pending) copy of the key, an active
    account and still the console access that reading tips needs."""
    return [w.user for w in StaffKeyWrap.objects.select_related("user").order_by("user__username")
            if may_enter(w.user)]


def too_few_key_holders() -> bool:
    """True when the tip line is set up and fewer than two people can open it: one forgotten
    password or one departure away from relying on the recovery key."""
    return current() is not None and len(key_holders()) < 2


# --- key rotation ---------------------------------------------------------------------------------

def _retiring(org_private: bytes, vault: VaultKey | None = None) -> bytes | None:
    """The previous private key, while a rotation runs and `org_private` is the new one."""
    vault = vault or current()
    if vault is None or not vault.rotating:
        return None
    try:
        return crypto.unwrap(crypto.retiring_key(org_private), bytes(vault.retiring_wrapped))
    except crypto.CryptoError:
        return None


def open_for_org(org_private: bytes, sealed: bytes) -> bytes:
    """Open something sealed to the organisation key (a tip's key, a legacy file's metadata),
    whether or not a running rotation has re-sealed it yet."""
    try:
        return crypto.open_sealed(org_private, sealed)
    except crypto.CryptoError:
        old = _retiring(org_private)
        if old is None:
            raise
        return crypto.open_sealed(old, sealed)


@dataclass
class Rotation:
    recovery: Recovery
    org_private: bytes
    access_kept: list[str]
    access_lost: list[str]


def rotation_preview() -> tuple[list[str], list[str]]:
    """(usernames who will receive the new key, usernames who will need access granted again:
    their copy predates personal key pairs and they have not unlocked since)."""
    kept, lost = [], []
    for wrap in StaffKeyWrap.objects.select_related("user").order_by("user__username"):
        (kept if wrap.public_key else lost).append(wrap.user.get_username())
    return kept, lost


def start_rotation(*, actor, org_private: bytes, password: str, threshold: int = 0, count: int = 0) -> Rotation:
    """Make a new key pair and hand it out; the tips are re-sealed by continue_rotation().

    In one transaction: the new public key takes over (new tips are sealed to it), the old
    private key is kept wrapped under a key derived from the new one, the recovery key is
    replaced, `actor` gets the new key under `password`, and every other holder gets it sealed
    to their own key pair, to take at their next unlock (holders without one lose access)."""
    require_key_holder(actor, roles.MANAGE_TIPLINE)
    if not actor.check_password(password):
        raise ValidationError(_("The password is not correct."))
    raw, recovery, split_id = _new_recovery(threshold, count)
    new_private, new_public = crypto.new_keypair()
    with transaction.atomic():
        vault = VaultKey.objects.select_for_update().first()
        if vault is None:
            raise ValidationError(_("The tip line is not set up."))
        if vault.rotating:
            raise ValidationError(_("A key rotation is already under way: continue it first."))
        if crypto.public_of(org_private) != bytes(vault.public_key):
            raise ValidationError(_("Your unlocked key is not the current one. Unlock the tip line again."))
        vault.public_key, vault.generation = new_public, vault.generation + 1
        vault.retiring_wrapped = crypto.wrap(crypto.retiring_key(new_private), org_private)
        _recovery_fields(vault, raw, new_private, recovery, split_id)
        vault.save()
        kept, lost = [], []
        for wrap in StaffKeyWrap.objects.select_related("user").exclude(user=actor).order_by("user__username"):
            if wrap.public_key:
                wrap.wrapped, wrap.pending = b"", crypto.seal_to(bytes(wrap.public_key), new_private)
                wrap.save(update_fields=["wrapped", "pending"])
                kept.append(wrap.user.get_username())
            else:
                lost.append(wrap.user.get_username())
                wrap.delete()
        _wrap_for(actor, password, new_private)
        audit.record(action="tipline.key_rotated", actor=actor, object_type="tipline.vault",
                     data={"phase": "started", "generation": vault.generation, "recovery": _recovery_label(recovery),
                           "access_pending": kept, "access_removed": lost,
                           "tips_to_reseal": Tip.objects.filter(key_generation__lt=vault.generation).count()})
    return Rotation(recovery=recovery, org_private=new_private, access_kept=kept, access_lost=lost)


def rotation_remaining() -> int:
    vault = current()
    return 0 if vault is None else Tip.objects.filter(key_generation__lt=vault.generation).count()


def continue_rotation(*, actor, org_private: bytes, batch_size: int = 200, max_batches: int | None = None,
                      progress=None) -> int:
    """Re-seal, batch by batch, every tip key (and legacy file metadata) still sealed to the
    previous key; when none is left, destroy the previous key. Returns how many tips this call
    re-sealed. Safe to interrupt at any point and to call again (it resumes)."""
    require_key_holder(actor, roles.MANAGE_TIPLINE)
    vault = current()
    if vault is None or not vault.rotating:
        return 0
    old = _retiring(org_private, vault)
    if old is None:
        raise ValidationError(_("Your unlocked key is not the current one. Unlock the tip line again."))
    public, generation, done, batches = bytes(vault.public_key), vault.generation, 0, 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            ids = list(Tip.objects.filter(key_generation__lt=generation).order_by("pk")
                       .values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            tips = list(Tip.objects.select_for_update().filter(pk__in=ids, key_generation__lt=generation))
            for tip in tips:
                tip.key_for_org = crypto.seal_to(public, crypto.open_sealed(old, bytes(tip.key_for_org)))
                tip.key_generation = generation
            files = list(TipFile.objects.filter(message__tip__in=tips, format=filemeta.FORMAT_LEGACY).exclude(meta=b""))
            for item in files:
                item.meta = crypto.seal_to(public, crypto.open_sealed(old, bytes(item.meta)))
            Tip.objects.bulk_update(tips, ["key_for_org", "key_generation"])
            TipFile.objects.bulk_update(files, ["meta"])
        done, batches = done + len(tips), batches + 1
        if progress is not None:
            progress(done)
    if not Tip.objects.filter(key_generation__lt=generation).exists():
        from testigo.tipline import sealing  # recordings' originals kept sealed for evidence

        sealing.reseal_originals(old_private=old, new_private=org_private)
    with transaction.atomic():
        vault = VaultKey.objects.select_for_update().get(pk=vault.pk)
        if vault.rotating and not Tip.objects.filter(key_generation__lt=vault.generation).exists():
            vault.retiring_wrapped = b""
            vault.save(update_fields=["retiring_wrapped"])
            audit.record(action="tipline.key_rotated", actor=actor, object_type="tipline.vault",
                         data={"phase": "finished", "generation": vault.generation})
    return done


# --- the key in a staff session -----------------------------------------------------------------

def unlock(request, *, user, password: str) -> bool:
    """Unwrap the org key with the password and split it between session and cookie."""
    private = _unwrap_for(user, password)
    if private is None:
        return False
    unlock_with(request, private)  # the middleware sets the cookie
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
        private = crypto.unwrap(base64.urlsafe_b64decode(cookie), base64.b64decode(blob))
    except (ValueError, crypto.CryptoError):
        raise crypto.VaultLocked from None
    vault = current()
    if vault is None or crypto.public_of(private) != bytes(vault.public_key):
        lock(request)  # unlocked before a rotation: unlocking again takes the new key
        raise crypto.VaultLocked
    return private


def unlock_with(request, private: bytes) -> None:
    """Put `private` in this session (after a rotation made it the current key)."""
    session_key = crypto.random_key()
    request.session[SESSION_KEY] = base64.b64encode(crypto.wrap(session_key, private)).decode("ascii")
    request._tipkey_set = base64.urlsafe_b64encode(session_key).decode("ascii")
    request._tipkey_clear = False
