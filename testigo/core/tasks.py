"""Background jobs of the core app (Huey)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from testigo.core.backups import services as backups
from testigo.core.models import LoginThrottle


def purge_stale_login_throttles(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget failed-login counters that are no longer locking anyone out. Returns how many."""
    cutoff = timezone.now() - older_than
    stale = LoginThrottle.objects.filter(updated_at__lt=cutoff).exclude(locked_until__gt=timezone.now())
    deleted, _ = stale.delete()
    return deleted


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_login_throttles_daily() -> int:
    return purge_stale_login_throttles()


@db_periodic_task(crontab(minute="23", hour=str(settings.BACKUP_HOUR)))
def backup_daily():
    """The scheduled backup (a no-op until TESTIGO_BACKUP_DIR is set); docs/operations.md."""
    run = backups.run_scheduled()
    return run.pk if run else None


@db_task()
def ping(value: str) -> str:
    """A no-op job: the queue tests send it through a real worker to prove a round trip."""
    return value
