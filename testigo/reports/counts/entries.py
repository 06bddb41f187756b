"""What one report contributes to the map's counts, and the deltas between two states."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection as default_connection

from testigo.geo.pyramid import STORED_LEVELS
from testigo.geo.tiles import KEY_ZOOM
from testigo.reports.models import Category, Report

PUBLIC, STAFF = 0, 1
# Not on the map: every report, located or not, per category key and part, counted in
# reports.StatusCount for the inbox's status tabs (tally_deltas).
TALLY = 2
ALL = 0
# The status order is part of the stored key (part = index * 2 + confidential): append new
# statuses at the end of Report.Status, and run `testigo map rebuild-counts` after any reordering.
STATUSES = tuple(Report.Status.values)
CONFIDENTIAL = Report.Visibility.CONFIDENTIAL.value
PUBLISHED = Report.Status.PUBLISHED.value  # selectors.public_base() admits only reports with this status


def part_of(status: str, visibility: str) -> int:
    return STATUSES.index(status) * 2 + (1 if visibility == CONFIDENTIAL else 0)


def staff_parts(statuses: Iterable[str], confidential: bool) -> list[int]:
    return sorted(STATUSES.index(s) * 2 + c for s in statuses for c in ((0, 1) if confidential else (0,)))


# (scope, category, part, tile_key, lat, lon, id): one report's entries before levels are applied.
Entry = tuple[int, int, int, int, float, float, int]


def entries_of(ids: list[int]) -> dict[int, list[Entry]]:
    """The current entries of these reports, read from the database (missing ids get none).

    Called for every single-report save (a web or ODK submission, a status change), so the fixed
    reads are plain SQL rather than ORM queries that would be compiled each time; only the
    public selector goes through the ORM, and only for reports that are published (the selector
    admits nothing else)."""
    from testigo.reports.selectors import public_base  # selectors import this package's callers

    out: dict[int, list[Entry]] = {}
    if not ids:
        return out
    keys: dict[int, set[int]] = defaultdict(set)
    quote = default_connection.ops.quote_name
    columns = ", ".join(quote(c) for c in ("id", "status", "visibility", "tile_key", "lat", "lon", "public_tile_key",
                                         "public_lat", "public_lon"))
    links = Report.categories.through._meta.db_table
    public: set[int] = set()
    rows = []
    with default_connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('id')}, {quote('parent_id')} FROM {quote(Category._meta.db_table)}")
        parents = dict(cursor.fetchall())
        for start in range(0, len(ids), 900):
            chunk = ids[start:start + 900]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT {columns} FROM {quote(Report._meta.db_table)} WHERE {quote('id')} IN ({marks})",
                           chunk)
            found = cursor.fetchall()
            rows += found
            published = [row[0] for row in found if row[1] == PUBLISHED]
            if published:
                public.update(public_base().filter(id__in=published).values_list("id", flat=True))
            cursor.execute(f"SELECT {quote('report_id')}, {quote('category_id')} FROM {quote(links)} "
                           f"WHERE {quote('report_id')} IN ({marks})", chunk)
            for report_id, category_id in cursor.fetchall():
                keys[report_id].add(category_id)
                if parents.get(category_id):
                    keys[report_id].add(parents[category_id])
    for rid, status, visibility, tk, lat, lon, ptk, plat, plon in rows:
        cats = (ALL, *sorted(keys.get(rid, ())))
        part = part_of(status, visibility)
        mine: list[Entry] = [(TALLY, c, part, 0, 0.0, 0.0, rid) for c in cats]
        if tk is not None:
            mine += [(STAFF, c, part, tk, lat, lon, rid) for c in cats]
        if rid in public and ptk is not None:
            mine += [(PUBLIC, c, 0, ptk, plat, plon, rid) for c in cats]
        out[rid] = mine
    return out


def deltas(before: dict[int, list[Entry]], after: dict[int, list[Entry]]) -> dict[tuple, list]:
    """(scope, level, category, part, cell) -> [n, sum_lat, sum_lon, sum_id] to add."""
    acc: dict[tuple, list] = {}
    for rid in set(before) | set(after):
        old, new = before.get(rid, []), after.get(rid, [])
        if old == new:
            continue
        for sign, items in ((-1, old), (1, new)):
            for scope, cat, part, tk, lat, lon, report_id in items:
                if scope == TALLY:
                    continue
                for level in STORED_LEVELS:
                    key = (scope, level, cat, part, tk >> (2 * (KEY_ZOOM - level)))
                    row = acc.get(key)
                    if row is None:
                        acc[key] = [sign, sign * lat, sign * lon, sign * report_id]
                    else:
                        row[0] += sign
                        row[1] += sign * lat
                        row[2] += sign * lon
                        row[3] += sign * report_id
    return {k: v for k, v in acc.items() if any(v)}



def tally_deltas(before: dict[int, list[Entry]], after: dict[int, list[Entry]]) -> dict[tuple[int, int], int]:
    """(category, part) -> reports to add to reports.StatusCount."""
    acc: dict[tuple[int, int], int] = defaultdict(int)
    for rid in set(before) | set(after):
        old, new = before.get(rid, []), after.get(rid, [])
        if old == new:
            continue
        for sign, items in ((-1, old), (1, new)):
            for scope, cat, part, *_rest in items:
                if scope == TALLY:
                    acc[(cat, part)] += sign
    return {k: v for k, v in acc.items() if v}
