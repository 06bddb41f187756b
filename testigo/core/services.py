"""Writes to staff accounts: create users, change roles, (de)activate, change passwords.

Every function is keyword-only, checks the actor's permission, runs in a transaction and
records an audit event. Passwords never reach the audit trail.
"""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from testigo.core import audit, roles

User = get_user_model()

# 15 URL-safe bytes = 120 bits: far beyond guessing, still short enough to read out by phone.
GENERATED_PASSWORD_BYTES = 15


def active_admins():
    """Active accounts that can manage users: superusers and holders of the admin role."""
    return User.objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(groups__name=roles.ADMIN)).distinct()


def _would_remove_last_admin(user) -> bool:
    return not active_admins().exclude(pk=user.pk).exists()


def _check_role(role: str) -> None:
    if role not in roles.ROLES:
        raise ValidationError(_("Choose a valid role."))


@transaction.atomic
def create_user(*, actor, username: str, email: str = "", role: str,
                password: str | None = None) -> tuple[User, str | None]:
    """Create an active staff account with `role`.

    When `password` is empty a strong one is generated and returned (to be shown once, never
    stored in clear); otherwise the given one must pass the password validators. Returns
    (user, generated_password_or_None).
    """
    roles.require(actor, roles.MANAGE_USERS)
    username = (username or "").strip()
    email = (email or "").strip()
    _check_role(role)
    if not username:
        raise ValidationError(_("Enter a username."))
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("A user with that username already exists."))
    if email:
        validate_email(email)
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    else:
        password_validation.validate_password(password, User(username=username, email=email))
    user = User(username=username, email=email, is_staff=True)
    user.full_clean(exclude=["password"])
    user.set_password(password)
    user.save()
    roles.set_role(user, role)
    audit.record(action="user.created", actor=actor, obj=user,
                 data={"username": username, "role": role, "generated_password": generated is not None})
    return user, generated


@transaction.atomic
def change_role(*, actor, user, role: str) -> User:
    """Give `user` a new role. Refuses to take the admin role away from the last active admin."""
    roles.require(actor, roles.MANAGE_USERS)
    _check_role(role)
    old = roles.role_of(user)
    if old == role:
        return user
    if old == roles.ADMIN and user.is_active and _would_remove_last_admin(user):
        raise ValidationError(_("This is the last administrator; make someone else an administrator first."))
    if user.is_superuser and role != roles.ADMIN:
        raise ValidationError(_("A superuser is always an administrator; change it from the command line."))
    roles.set_role(user, role)
    audit.record(action="user.role_changed", actor=actor, obj=user,
                 data={"username": user.username, "from": old, "to": role})
    return User.objects.get(pk=user.pk)


@transaction.atomic
def set_active(*, actor, user, is_active: bool) -> User:
    """Deactivate (the account can no longer log in; nothing is deleted) or reactivate `user`.
    Nobody can deactivate themselves, and the last active admin cannot be deactivated."""
    roles.require(actor, roles.MANAGE_USERS)
    if user.is_active == is_active:
        return user
    if not is_active:
        if user.pk == actor.pk:
            raise ValidationError(_("You cannot deactivate your own account."))
        if roles.role_of(user) == roles.ADMIN and _would_remove_last_admin(user):
            raise ValidationError(_("This is the last administrator and cannot be deactivated."))
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    audit.record(action="user.activated" if is_active else "user.deactivated", actor=actor, obj=user,
                 data={"username": user.username})
    return user


@transaction.atomic
def change_own_password(*, user, new_password: str) -> None:
    """Set a new password for `user` (the caller has checked the old one and the validators)."""
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(action="user.password_changed", actor=user, obj=user, data={"username": user.username})

