"""Reports whose time of day is unknown. Until now a date without a time was stored as the start
of that day in TIME_ZONE, so the existing reports at exactly local midnight are marked date-only
(one UPDATE; a real event at 00:00:00 sharp is far rarer than a form left without a time)."""

from django.db import migrations, models


def mark_date_only(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    # __hour/__minute/__second read the time in the current time zone: TIME_ZONE here.
    Report.objects.filter(occurred_at__hour=0, occurred_at__minute=0, occurred_at__second=0).update(
        occurred_time_known=False)


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_public_points_by_fuzz_cell")]

    operations = [
        migrations.AddField(model_name="report", name="occurred_time_known",
                            field=models.BooleanField(default=True)),
        migrations.RunPython(mark_date_only, migrations.RunPython.noop),
    ]
