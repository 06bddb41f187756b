"""Background jobs of the reports app (Huey): thin wrappers over reports/photos.py, recordings.py and
retention.py."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from testigo.core import roles
from testigo.reports import duplicates, hotspots, photos, placing, recordings, retention
from testigo.reports.models import RetentionPolicy


@db_task()
def process_held_photo(*, report_id: int, name: str, held: str, key: bytes) -> None:
    """Re-encode one photo a citizen sent, off the request path (see photos.py)."""
    photos.process_held_photo(report_id=report_id, name=name, held=held, key=key)


# ffmpeg missing (avmedia.ToolMissing): tried again for about a day, the file still held.
@db_task(retries=8, retry_delay=3 * 3600)
def process_held_recording(*, held_id: int, key: bytes) -> None:
    """Transcode one recording or video attached on the web, off the request path (see recordings.py)."""
    recordings.process_held_recording(held_id=held_id, key=key)


@db_task()
def locate_from_text(*, report_id: int, region: str = "", more_text: str = "") -> bool:
    """Place a report that came without a location from the places its text names (placing.py).
    Never fails the pipeline: a report left unplaced is only a report without a map point."""
    return placing.locate_many([report_id], region=region, more_text=more_text) == 1


@db_task()
def locate_imported(*, report_ids: list[int]) -> int:
    """Place an import batch's reports that had no coordinates."""
    return placing.locate_many(report_ids)


@db_periodic_task(crontab(minute="41", hour="3"))
def purge_stale_held_photos_daily() -> int:
    return recordings.fail_stale() + photos.purge_stale_held_photos()



@db_periodic_task(crontab(minute="53", hour="3"))
def apply_retention_policies_daily() -> int:
    """Apply every enabled retention policy (reports.retention); returns how many reports it handled."""
    return sum(outcome.done for outcome in retention.apply_enabled())


@db_task()
def apply_retention_policy(*, policy_id: int, actor_id: int | None = None) -> int:
    """"Apply now" from the console, off the request path (a policy may reach many reports), in
    the name of the admin who asked."""
    policy = RetentionPolicy.objects.filter(pk=policy_id).first()
    if policy is None:  # deleted while the job waited
        return 0
    actor = get_user_model().objects.filter(pk=actor_id, is_active=True).first() if actor_id else None
    return retention.apply_policy(policy=policy, actor=actor or roles.SYSTEM).done


@db_task()
def find_duplicates(*, report_ids: list[int]) -> int:
    """Duplicate candidates for new reports (reports.duplicates), off every request and webhook."""
    return duplicates.record_many(report_ids)


@db_periodic_task(crontab(minute="*/15"))
def detect_hotspots_periodically() -> int:
    """Hotspots (reports.hotspots) every 15 minutes; returns how many are active."""
    return len(hotspots.detect())
