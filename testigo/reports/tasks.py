"""Background jobs of the reports app (Huey): thin wrappers over reports/photos.py."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from testigo.reports import photos


@db_task()
def process_held_photo(*, report_id: int, name: str, held: str, key: bytes) -> None:
    """Re-encode one photo a citizen sent, off the request path (see photos.py)."""
    photos.process_held_photo(report_id=report_id, name=name, held=held, key=key)


@db_periodic_task(crontab(minute="41", hour="3"))
def purge_stale_held_photos_daily() -> int:
    return photos.purge_stale_held_photos()
