"""Flood and guessing limits that need no address: counters per time bucket.

Over Tor every source shares a handful of exit addresses, so per-IP limits would be both
useless and a privacy leak. Instead, counters that say how often, never who: new tips per hour
(the load that sets the proof of work, proofofwork.py), failed codename logins per minute in
total and per codename (keyed by a hash of its hash), and spent proof-of-work challenges.
None of them refuses a right codename: they count and answer only wrong ones.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from testigo.tipline.models import TipThrottle

NEW_TIP, LOGIN_GLOBAL, LOGIN_CODENAME = "new_tip", "login", "login_code"


_clock = time.time  # replaced in tests so a bucket boundary cannot fall inside a test


def now() -> float:
    return _clock()


def _bucket(seconds: int) -> int:
    return int(_clock()) // seconds


def _window(kind: str) -> tuple[int, int]:
    """(bucket seconds, limit) per kind, from settings."""
    return {
        NEW_TIP: (3600, settings.TIP_NEW_PER_HOUR),
        LOGIN_GLOBAL: (60, settings.TIP_LOGIN_FAILURES_PER_MINUTE),
        LOGIN_CODENAME: (900, settings.TIP_LOGIN_FAILURES_PER_CODENAME),
    }[kind]


def codename_key(codename_hash: str) -> str:
    # A second hash and a slice: enough to count tries against one codename, useless otherwise.
    return hashlib.sha256(("throttle:" + codename_hash).encode()).hexdigest()[:16]


def count(kind: str, key: str = "*") -> int:
    seconds, _limit = _window(kind)
    total = TipThrottle.objects.filter(kind=kind, key=key, bucket=_bucket(seconds)).aggregate(n=Sum("count"))["n"]
    return total or 0


def exceeded(kind: str, key: str = "*") -> bool:
    return count(kind, key) >= _window(kind)[1]


def hit(kind: str, key: str = "*") -> None:
    seconds, _limit = _window(kind)
    bucket = _bucket(seconds)
    with transaction.atomic():
        updated = TipThrottle.objects.filter(kind=kind, key=key, bucket=bucket).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    TipThrottle.objects.create(kind=kind, key=key, bucket=bucket, count=1)
            except IntegrityError:
                TipThrottle.objects.filter(kind=kind, key=key, bucket=bucket).update(count=F("count") + 1)
        # Old buckets say nothing useful; drop them so the table stays tiny.
        TipThrottle.objects.filter(kind=kind, bucket__lt=bucket).delete()


def spend(kind: str, key: str, *, until: float) -> bool:
    """Record `key` as used until `until` (kept under that hour, no finer); False if it already
    was. Rows of hours gone by are deleted: an expired key cannot be presented anyway."""
    try:
        with transaction.atomic():
            TipThrottle.objects.create(kind=kind, key=key, bucket=int(until) // 3600, count=1)
    except IntegrityError:
        return False
    TipThrottle.objects.filter(kind=kind, bucket__lt=_bucket(3600)).delete()
    return True
