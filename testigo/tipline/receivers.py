"""Signal receivers: the only moments the staff password is in hand (login, password change)."""

from __future__ import annotations

from testigo.tipline import vault


def unlock_on_login(sender, *, request, user, password, **kwargs) -> None:
    if request is not None and vault.has_access(user):
        vault.unlock(request, user=user, password=password)


def rewrap_on_password_change(sender, *, request, user, old_password, new_password, **kwargs) -> None:
    if vault.rewrap(user=user, old_password=old_password, new_password=new_password) and request is not None:
        vault.unlock(request, user=user, password=new_password)


def lock_on_logout(sender, *, request, user, **kwargs) -> None:
    if request is not None:
        vault.lock(request)
