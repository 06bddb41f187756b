"""The backups page: the last backups, their size, and whether each read back whole (admins only:
an archive holds the whole deployment)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from testigo.core import roles
from testigo.core.access import staff_required
from testigo.core.backups import services as backup_services
from testigo.core.models import BackupRun

RUNS_SHOWN = 20


@never_cache
@staff_required(roles.MANAGE_USERS)
def backups(request):
    runs = list(BackupRun.objects.all()[:RUNS_SHOWN])
    mode = "public_key" if settings.BACKUP_PUBLIC_KEY else "passphrase" if settings.BACKUP_PASSPHRASE_FILE else ""
    scheduled, to_dir = backup_services.scheduled_target()
    # The bucket's backups/ folder (TESTIGO_STORAGE_URL) when no BACKUP_DIR is set.
    where = "" if not scheduled else str(to_dir) if to_dir else f"{backup_services.STORED}{backup_services.BACKUPS}/"
    return render(request, "console/backups.html", {
        "runs": runs, "last": runs[0] if runs else None, "backup_dir": where,
        "keep": settings.BACKUP_KEEP, "hour": settings.BACKUP_HOUR, "mode": mode,
    })
