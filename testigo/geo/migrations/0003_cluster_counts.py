"""The map's count pyramid (testigo/geo/pyramid.py, testigo/reports/counts/); reports' migration 0004
fills it from the existing reports."""

from django.db import migrations, models


def without_rowid_on_sqlite(apps, schema_editor):
    """On SQLite, keep the counts in a WITHOUT ROWID table: the composite primary key *is* the
    table, so each upsert maintains one B-tree instead of a rowid table plus its key index (about
    a third of the cost the counts add to a bulk import). A later AlterField on this model would
    rebuild the table with a rowid: repeat this step in such a migration."""
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(
        "CREATE TABLE geo_clustercount_new (scope smallint NOT NULL, category integer NOT NULL, "
        "level smallint NOT NULL, cell bigint NOT NULL, part smallint NOT NULL, n integer NOT NULL, "
        "sum_lat real NOT NULL, sum_lon real NOT NULL, sum_id bigint NOT NULL, "
        "PRIMARY KEY (scope, category, level, cell, part)) WITHOUT ROWID")
    schema_editor.execute("DROP TABLE geo_clustercount")
    schema_editor.execute("ALTER TABLE geo_clustercount_new RENAME TO geo_clustercount")


class Migration(migrations.Migration):

    dependencies = [
        ('geo', '0002_cluster_covering_indexes'),
        ('reports', '0002_drop_indexes_covered_by_map_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='ClusterCount',
            fields=[
                ('pk', models.CompositePrimaryKey('scope', 'category', 'level', 'cell', 'part', blank=True, editable=False, primary_key=True, serialize=False)),
                ('scope', models.SmallIntegerField()),
                ('category', models.IntegerField()),
                ('level', models.SmallIntegerField()),
                ('cell', models.BigIntegerField()),
                ('part', models.SmallIntegerField()),
                ('n', models.IntegerField()),
                ('sum_lat', models.FloatField()),
                ('sum_lon', models.FloatField()),
                ('sum_id', models.BigIntegerField()),
            ],
            options={
                'verbose_name': 'cluster count',
            },
        ),
        migrations.RunPython(without_rowid_on_sqlite, migrations.RunPython.noop),
        # Filled from the existing reports by reports' migration 0004, which depends on this one
        # (counting is reports' business: geo does not import reports).
    ]
