"""Point-and-radius subscriptions are found per radius class through one (lat, radius_m, lon, ...) index."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("alerts", "0002_discard_rule_drafts_that_located_reports"),
    ]

    operations = [
        migrations.AlterField(
            model_name="subscription",
            name="lat",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(condition=models.Q(("radius_m__isnull", False)), fields=["lat", "radius_m", "lon", "confirmed_at", "cancelled_at", "contact_id", "channel_id", "language"], name="alerts_sub_point_radius"),
        ),
    ]
