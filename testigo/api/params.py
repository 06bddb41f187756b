"""The API's own query parameters: page size and cursors. (Report filters are read by
reports.filters, shared with the map pages.)

Every malformed value becomes an ApiError 400 with a stable code naming the parameter.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from testigo.api.errors import bad_param
from testigo.core import untrusted

MAX_LIMIT = 100


def parse_limit(value) -> int:
    try:
        limit = int(value) if value not in (None, "") else 50
    except (TypeError, ValueError):
        raise bad_param("limit", _("limit must be an integer.")) from None
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_param("limit", _("limit must be between 1 and %(max)d.") % {"max": MAX_LIMIT})
    return limit


# The longest tie-breaker a cursor may carry: a report reference ("T-XXXX-XXXX") on the public side.
MAX_CURSOR_KEY = 32


def encode_cursor(sort_value: datetime | None, key: int | str) -> str:
    """An opaque cursor: the last row's sort value and tie-breaker (the public side's is the
    report's reference, never its id: an id would tell how many reports were created between
    two published ones)."""
    raw = json.dumps([sort_value.isoformat() if sort_value else None, key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str | None, *, key_type: type = int) -> tuple[datetime | None, int | str] | None:
    """(sort value, tie-breaker) of a cursor from encode_cursor; the tie-breaker must be of
    `key_type` (a staff cursor is refused on the public side and the other way round)."""
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        sort_value, key = untrusted.loads(raw)  # nesting-limited (a ValueError): a forged deep cursor is a 400
        moment = parse_datetime(sort_value) if sort_value else None
        if type(key) is not key_type or (key_type is str and len(key) > MAX_CURSOR_KEY):
            raise ValueError
        if sort_value and moment is None:
            raise ValueError
        return moment, key
    except (ValueError, TypeError, UnicodeDecodeError):
        raise bad_param("cursor", _("The cursor is not valid; start again without it.")) from None
