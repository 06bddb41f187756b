"""Create the map's covering indexes again where a table rebuild dropped them.

Migration 0002 creates them with raw SQL, so Django's model state does not know them. On SQLite,
a migration that alters reports_report rebuilds the table from the model state (reports' 0005
added a column with a default that way) and silently loses them: a fresh SQLite database had no
index on public_tile_key at all, and the map's edge reads scanned the table. IF NOT EXISTS keeps
this a no-op where they survived (PostgreSQL alters in place). A later rebuild of reports_report
on SQLite must repeat this step: tests/geo/test_promise_map_reads_are_few_and_exact.py checks it.
"""

from django.db import migrations

INDEXES = [  # as in 0002
    ("geo_report_public_cover", "status, visibility, public_tile_key, public_lat, public_lon, id"),
    ("geo_report_staff_cover", "status, tile_key, lat, lon, visibility, id"),
]
CREATE = [f"CREATE INDEX IF NOT EXISTS {name} ON reports_report ({columns})" for name, columns in INDEXES]


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0003_cluster_counts"),
        ("reports", "0007_report_public_order"),
    ]

    operations = [migrations.RunSQL(CREATE, migrations.RunSQL.noop)]
