"""The counts computed in SQL: a full rebuild from the reports table, and bulk additions of freshly
inserted reports without reading them into Python."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection as default_connection
from django.db import transaction

from testigo.geo import memindex
from testigo.geo.pyramid import COLUMNS, KEY_COLUMNS, STORED_LEVELS, TABLE, TOP
from testigo.geo.tiles import KEY_ZOOM
from testigo.reports.counts.entries import CONFIDENTIAL, PUBLIC, STAFF, STATUSES, TALLY
from testigo.reports.models import Category, Report, StatusCount

MIDDLE = 12  # bulk additions group the levels coarser than this from this one (add_in_sql)
SCRATCH = TABLE + "_batch"
TALLY_TABLE = StatusCount._meta.db_table

@dataclass(frozen=True)
class Only:
    """Some reports: the ids from `lo` to `hi` (inclusive), or exactly `ids`."""

    lo: int = 0
    hi: int = 0
    ids: tuple[int, ...] = ()

    def sql(self, column: str) -> tuple[str, list]:
        if self.ids:
            return f" AND {column} IN ({', '.join(['%s'] * len(self.ids))})", list(self.ids)
        return f" AND {column} BETWEEN %s AND %s", [self.lo, self.hi]

    def filter(self, queryset):
        return queryset.filter(pk__in=self.ids) if self.ids else queryset.filter(pk__range=(self.lo, self.hi))


def _sources(connection, only: Only | None = None) -> list[tuple]:
    """The six GROUP BY sources of the finest stored level (staff and public, every report and
    per category key) and of the status counts (TALLY: staff without the location), as (scope,
    category expression, part expression, key, lat, lon, FROM ... WHERE ..., params), restricted
    to some reports when `only` is given."""
    from testigo.reports.selectors import public_base  # selectors import this package's callers

    quote = connection.ops.quote_name
    through = Report.categories.through._meta
    reports, links, categories = (quote(Report._meta.db_table), quote(through.db_table),
                                  quote(Category._meta.db_table))
    report_id, category_id = (quote(through.get_field(name).column) for name in ("report", "category"))
    parent_id = quote(Category._meta.get_field("parent").column)

    def restrict(column: str) -> tuple[str, list]:
        return ("", []) if only is None else only.sql(column)

    part = ("(CASE status " + " ".join(f"WHEN '{s}' THEN {i * 2}" for i, s in enumerate(STATUSES))
            + f" ELSE 0 END + CASE WHEN visibility = '{CONFIDENTIAL}' THEN 1 ELSE 0 END)")
    on_links, links_params = restrict(report_id)
    on_parents, parents_params = restrict(f"l.{report_id}")
    keys = (f"SELECT {report_id} AS rid, {category_id} AS cat FROM {links} WHERE 1 = 1{on_links} UNION "
            f"SELECT l.{report_id}, c.{parent_id} FROM {links} l "
            f"JOIN {categories} c ON c.id = l.{category_id} WHERE c.{parent_id} IS NOT NULL{on_parents}")
    keys_params = links_params + parents_params
    rows, rows_params = restrict("r.id")
    public = public_base() if only is None else only.filter(public_base())  # the subquery as small as the batch
    public_sql, public_params = public.order_by().values("id").query.get_compiler(connection=connection).as_sql()
    public_params = list(public_params)
    return [
        (STAFF, "0", part, "tile_key", "lat", "lon",
         f"{reports} r WHERE tile_key IS NOT NULL{rows}", rows_params),
        (STAFF, "k.cat", part, "tile_key", "lat", "lon",
         f"{reports} r JOIN ({keys}) k ON k.rid = r.id WHERE tile_key IS NOT NULL{rows}",
         keys_params + rows_params),
        (PUBLIC, "0", "0", "public_tile_key", "public_lat", "public_lon",
         f"{reports} r WHERE public_tile_key IS NOT NULL{rows} AND r.id IN ({public_sql})",
         rows_params + public_params),
        (PUBLIC, "k.cat", "0", "public_tile_key", "public_lat", "public_lon",
         f"{reports} r JOIN ({keys}) k ON k.rid = r.id WHERE public_tile_key IS NOT NULL{rows} "
         f"AND r.id IN ({public_sql})", keys_params + rows_params + public_params),
        (TALLY, "0", part, None, None, None, f"{reports} r WHERE 1 = 1{rows}", rows_params),
        (TALLY, "k.cat", part, None, None, None, f"{reports} r JOIN ({keys}) k ON k.rid = r.id WHERE 1 = 1{rows}",
         keys_params + rows_params),
    ]


def _fill_finest(cursor, connection, table: str, names: str, only: Only | None) -> None:
    """INSERT the finest level's groups of the sources into `table` (the counts, or a scratch table)."""
    shift = 2 * (KEY_ZOOM - TOP)
    for scope, cat, part_sql, key, lat, lon, source, params in _sources(connection, only):
        if scope == TALLY:
            continue
        cell = f"{key} >> {shift}"
        group = ", ".join(g for g in (cat, part_sql, cell) if g not in ("0",))
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {scope}, {TOP}, {cat}, {part_sql}, {cell}, "
            f"COUNT(*), SUM({lat}), SUM({lon}), SUM(r.id) FROM {source} GROUP BY {group}", params)


def rebuild(connection=None) -> int:
    """Recompute every count from the reports table in a few GROUP BY passes. Returns the rows."""
    connection = connection or default_connection
    quote = connection.ops.quote_name
    table = quote(TABLE)
    names = ", ".join(quote(c) for c in COLUMNS)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        _fill_finest(cursor, connection, table, names, None)
        for finer, level in zip(STORED_LEVELS[::-1], STORED_LEVELS[-2::-1], strict=False):
            step = 2 * (finer - level)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT scope, {level}, category, part, cell >> {step}, SUM(n), "
                f"SUM(sum_lat), SUM(sum_lon), SUM(sum_id) FROM {table} WHERE level = {finer} "
                f"GROUP BY scope, category, part, cell >> {step}")
        if TALLY_TABLE in connection.introspection.table_names(cursor):  # not yet in reports' migration 0004
            _fill_tally(cursor, connection, None, rebuild=True)
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        rows = cursor.fetchone()[0]
        # Points held in memory by any process are stale now. (Migrations rebuild the counts before
        # the token's table exists: nothing can hold points then.)
        if memindex.TABLE in connection.introspection.table_names(cursor):
            memindex.bump(memindex.WATCHED, connection)
        return rows


def _fill_tally(cursor, connection, only: Only | None, *, rebuild: bool = False) -> None:
    """The status counts of these reports (all when `only` is None): refilled when `rebuild`,
    else added to the stored ones."""
    table = connection.ops.quote_name(TALLY_TABLE)
    if rebuild:
        cursor.execute(f"DELETE FROM {table}")
    upsert = "" if rebuild else " ON CONFLICT (category, part) DO UPDATE SET n = " + table + ".n + excluded.n"
    for scope, cat, part_sql, _key, _lat, _lon, source, params in _sources(connection, only):
        if scope != TALLY:
            continue
        group = ", ".join(g for g in (cat, part_sql) if g != "0")
        cursor.execute(f"INSERT INTO {table} (category, part, n) SELECT {cat}, {part_sql}, COUNT(*) FROM {source} "
                       f"GROUP BY {group}{upsert}", params)


def rebuild_tally(connection=None) -> None:
    """Recompute the status counts only (reports' migration that created them)."""
    connection = connection or default_connection
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _fill_tally(cursor, connection, None, rebuild=True)


def add_in_sql(ids: list[int], connection=None) -> None:
    """Count freshly inserted reports without reading them into Python: their finest-level groups
    go into a scratch table, and each stored level is one INSERT ... SELECT ... ON CONFLICT from
    it. A bulk import's batches are contiguous id ranges (one statement each); other id lists go
    in chunks."""
    connection = connection or default_connection
    quote = connection.ops.quote_name
    table, scratch = quote(TABLE), quote(SCRATCH)
    names = ", ".join(quote(c) for c in COLUMNS)
    keys = ", ".join(quote(c) for c in KEY_COLUMNS)
    sums = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in COLUMNS[len(KEY_COLUMNS):])
    ids = sorted(set(ids))
    if ids[-1] - ids[0] + 1 == len(ids):
        restrictions = [Only(lo=ids[0], hi=ids[-1])]
    else:
        restrictions = [Only(ids=tuple(ids[i:i + 900])) for i in range(0, len(ids), 900)]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {scratch} (LIKE {table} INCLUDING DEFAULTS)")
        else:
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {scratch} AS SELECT * FROM {table} WHERE 0")
        cursor.execute(f"DELETE FROM {scratch}")
        for restriction in restrictions:
            _fill_finest(cursor, connection, scratch, names, restriction)
            _fill_tally(cursor, connection, restriction)
        # The fine levels are grouped from the finest level's rows; the coarse ones from MIDDLE's
        # groups, put in the scratch table first (a few hundred rows instead of tens of thousands).
        cursor.execute(
            f"INSERT INTO {scratch} ({names}) SELECT scope, {MIDDLE}, category, part, cell >> {2 * (TOP - MIDDLE)}, "
            f"SUM(n), SUM(sum_lat), SUM(sum_lon), SUM(sum_id) FROM {scratch} WHERE level = {TOP} "
            f"GROUP BY scope, category, part, cell >> {2 * (TOP - MIDDLE)}")
        for level in STORED_LEVELS:
            source = TOP if level > MIDDLE else MIDDLE
            step = 2 * (source - level)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT scope, {level}, category, part, cell >> {step}, SUM(n), "
                f"SUM(sum_lat), SUM(sum_lon), SUM(sum_id) FROM {scratch} WHERE level = {source} "
                # Grouped in the primary key's order (scope, category, level, cell, part): the
                # upserts then walk the key's B-tree forwards instead of hopping across it.
                f"GROUP BY scope, category, cell >> {step}, part ON CONFLICT ({keys}) DO UPDATE SET {sums}")
        cursor.execute(f"DELETE FROM {scratch}")
        memindex.bump(memindex.WATCHED, connection)



def status_totals(category: int, confidential: bool, connection=None) -> dict[str, int]:
    """How many reports the single-category filter `category` (ALL: no filter) matches per status,
    the confidential ones only when `confidential`: one read of a few stored rows."""
    connection = connection or default_connection
    totals = dict.fromkeys(STATUSES, 0)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT part, n FROM {connection.ops.quote_name(TALLY_TABLE)} WHERE category = %s", [category])
        for part, n in cursor.fetchall():
            if part // 2 < len(STATUSES) and (confidential or part % 2 == 0):
                totals[STATUSES[part // 2]] += n
    return totals
