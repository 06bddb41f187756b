"""Staff login throttling: a lockout per username, never per address.

We keep no IP addresses (a tip-line promise that extends to the whole install), so throttling
counts failed attempts against the username that was typed. After LOGIN_FAILURE_LIMIT failures
the username is locked for LOGIN_LOCKOUT_MINUTES. Usernames that do not exist are counted and
locked exactly like real ones, so the lockout message never reveals whether an account exists.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.core.models import LoginThrottle

# Django's username column is 150 characters; anything longer is truncated so that an attacker
# cannot create unbounded keys, and cannot dodge the counter by appending characters either
# (a longer name never authenticates).
USERNAME_MAX = 150


class LoginLocked(PermissionDenied):
    """Raised while a username is locked. The message is identical for every username."""


def _key(username: str) -> str:
    # Case-folded so "Admin" and "admin" share one counter: varying the case must not
    # buy an attacker five more guesses.
    return (username or "").strip().casefold()[:USERNAME_MAX]


def _window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def locked_message() -> str:
    return _("Too many failed attempts. This account is locked for %(minutes)d minutes; try again later.") % {
        "minutes": settings.LOGIN_LOCKOUT_MINUTES
    }


def check_not_locked(*, username: str) -> None:
    """Raise LoginLocked while `username` is locked out; return quietly otherwise."""
    locked_until = (
        LoginThrottle.objects.filter(username=_key(username)).values_list("locked_until", flat=True).first()
    )
    if locked_until is not None and locked_until > timezone.now():
        raise LoginLocked(locked_message())


@transaction.atomic
def record_failure(*, username: str) -> bool:
    """Count one failed login for `username`; lock it when the limit is reached.

    Returns True when this failure locked the username. Failures older than the lockout window
    are forgotten first, so a few typos spread over weeks never add up to a lockout.
    """
    now = timezone.now()
    throttle, _created = LoginThrottle.objects.select_for_update().get_or_create(username=_key(username))
    if throttle.locked_until is not None and throttle.locked_until > now:
        return False  # already locked; attempts while locked are not even checked
    stale = throttle.updated_at is not None and throttle.updated_at < now - _window()
    expired_lock = throttle.locked_until is not None and throttle.locked_until <= now
    if stale or expired_lock:
        throttle.failures = 0
        throttle.locked_until = None
    throttle.failures += 1
    locked = throttle.failures >= settings.LOGIN_FAILURE_LIMIT
    if locked:
        throttle.locked_until = now + _window()
        throttle.failures = 0  # after the lock expires the user gets a fresh set of attempts
    throttle.save()
    return locked


def record_success(*, username: str) -> None:
    """A successful login clears the counter for `username`."""
    LoginThrottle.objects.filter(username=_key(username)).delete()
