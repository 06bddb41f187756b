"""Recompute every stored public point with the cell-keyed fuzzing of testigo/geo/fuzz.py, then
the map's counts (their public centroid sums come from the public points).

The earlier scheme keyed each report's offset by its reference and exact position, so many
reports at one place (or many small edits of one pin) averaged back towards the true point. The
public point is now a function of the true point's cell only. Reads and writes in batches of
BATCH reports by id; about a minute per million reports.
"""

from django.conf import settings
from django.db import migrations

BATCH = 5000


def _write(cursor, connection, rows: list[tuple]) -> None:
    """rows: (public_lat, public_lon, public_tile_key, id)."""
    if connection.vendor == "postgresql":  # one statement per batch instead of a round trip per row
        cursor.execute(
            "UPDATE reports_report r SET public_lat = v.la, public_lon = v.lo, public_tile_key = v.tk "
            "FROM unnest(%s::float8[], %s::float8[], %s::bigint[], %s::bigint[]) AS v(la, lo, tk, id) "
            "WHERE r.id = v.id", [list(column) for column in zip(*rows, strict=True)])
        return
    cursor.executemany("UPDATE reports_report SET public_lat = %s, public_lon = %s, public_tile_key = %s "
                       "WHERE id = %s", rows)


def recompute_public_points(apps, schema_editor):
    from testigo.reports import counts
    from testigo.geo.fuzz import fuzz
    from testigo.geo.tiles import tile_key

    connection = schema_editor.connection
    radius, secret = settings.FUZZ_RADIUS_M, settings.SECRET_KEY
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT id, lat, lon FROM reports_report WHERE id > %s AND lat IS NOT NULL "
                           "AND lon IS NOT NULL ORDER BY id LIMIT %s", [last, BATCH])
            found = cursor.fetchall()
            if not found:
                break
            rows = []
            for pk, lat, lon in found:
                public_lat, public_lon = fuzz(lat=lat, lon=lon, radius_m=radius, secret=secret)
                rows.append((public_lat, public_lon, tile_key(public_lat, public_lon), pk))
            _write(cursor, connection, rows)
            last = found[-1][0]
    counts.rebuild(connection)


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0003_report_public_updated_at"),
        ("geo", "0003_cluster_counts"),
    ]

    operations = [
        migrations.RunPython(recompute_public_points, migrations.RunPython.noop),
    ]
