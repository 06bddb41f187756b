"""`Report.public_updated_at`: when the public row last changed (reports.public_changes), which the
public API's `updated_since` reads instead of `updated_at`."""

from django.db import migrations, models


def stamp_published_reports(apps, schema_editor):
    """Published reports get the time of this upgrade (rounded up): their public points are
    recomputed by the next migration, so their public rows do change now. Sync clients fetch
    them once more; no earlier staff edit time is carried over."""
    from testigo.reports.public_changes import stamp

    Report = apps.get_model("reports", "Report")
    Report.objects.using(schema_editor.connection.alias).filter(status="published").update(public_updated_at=stamp())


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0002_drop_indexes_covered_by_map_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='report',
            name='public_updated_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(stamp_published_reports, migrations.RunPython.noop),
    ]
