"""Covering indexes for map clustering on the reports table.

The cluster query reads only (status, visibility, tile key, lat, lon, id); with all of them in one
index both SQLite and PostgreSQL answer from the index without touching the table, which makes a
country-wide view over a million reports several times faster. Plain CREATE INDEX, portable to
both back ends; kept in the geo app because clustering is what needs them.
"""

from django.db import migrations

PUBLIC = "geo_report_public_cover"
STAFF = "geo_report_staff_cover"


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0001_initial"),
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {PUBLIC} ON reports_report (status, visibility, public_tile_key, public_lat, public_lon, id)",
            f"DROP INDEX {PUBLIC}",
        ),
        migrations.RunSQL(
            f"CREATE INDEX {STAFF} ON reports_report (status, tile_key, lat, lon, visibility, id)",
            f"DROP INDEX {STAFF}",
        ),
    ]
