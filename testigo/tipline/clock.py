"""The tip line's coarse clock: every time it stores about a source is rounded down to the hour.

A seized database (or a backup) then cannot match a tip, a message or a file to the minute a
person was seen near a computer, or to an upload in a network log. An hour still orders a
conversation for staff (rows keep their insertion order) and is far finer than retention needs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

# The resolution of every source-related time the tip line stores (rows and file times on disk).
TIME_RESOLUTION = timedelta(hours=1)


def coarse(moment: datetime) -> datetime:
    """`moment` rounded down to TIME_RESOLUTION (aware in, aware out)."""
    step = int(TIME_RESOLUTION.total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % step, tz=moment.tzinfo or timezone.get_current_timezone())


def coarse_now() -> datetime:
    return coarse(timezone.now())
