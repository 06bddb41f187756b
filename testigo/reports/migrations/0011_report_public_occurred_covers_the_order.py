"""The public list by date reads its page's keys from the date index alone (issue #19): the index
report_public_occurred also holds the public order's columns, so ordering a period's reports
sorts index entries instead of fetching every report of the period; see Report.Meta.indexes."""

from django.db import migrations, models


def analyze_the_new_index(apps, schema_editor):
    """Statistics for the rebuilt index, on SQLite, when the table has some: SQLite takes an index
    without statistics for a very selective one, and chose this one for the home page and the
    inbox's published tab (a sort of every published report) until the next ANALYZE."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return  # PostgreSQL plans from the table's column statistics, which the index does not change
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return
        cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'reports_report' LIMIT 1")
        if cursor.fetchone() is not None:
            cursor.execute("ANALYZE report_public_occurred")


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0010_retention_policy'),
    ]

    operations = [
        migrations.RemoveIndex(model_name='report', name='report_public_occurred'),
        migrations.AddIndex(
            model_name='report',
            index=models.Index(fields=['status', 'visibility', 'occurred_at', 'published_at', 'reference', 'id'],
                               name='report_public_occurred'),
        ),
        migrations.RunPython(analyze_the_new_index, migrations.RunPython.noop, elidable=True),
    ]
