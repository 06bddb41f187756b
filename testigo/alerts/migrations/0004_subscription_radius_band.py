"""Point-and-radius subscriptions are found by radius class and latitude band (bands.radius_band)."""

from django.db import migrations, models

import testigo.alerts.models


def fill_bands(apps, schema_editor):
    from testigo.alerts.bands import radius_band

    Subscription = apps.get_model("alerts", "Subscription")
    rows = Subscription.objects.filter(radius_m__isnull=False, lat__isnull=False).values_list("pk", "lat", "radius_m")
    by_band: dict[int, list[int]] = {}
    for pk, lat, radius_m in rows.iterator(chunk_size=5000):
        by_band.setdefault(radius_band(lat, radius_m), []).append(pk)
    for band, pks in by_band.items():
        for start in range(0, len(pks), 500):
            Subscription.objects.filter(pk__in=pks[start:start + 500]).update(radius_band=band)


class Migration(migrations.Migration):

    dependencies = [
        ("alerts", "0003_subscription_point_radius_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="subscription", name="alerts_sub_point_radius"),
        migrations.AddField(
            model_name="subscription",
            name="radius_band",
            field=testigo.alerts.models.RadiusBandField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_bands, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(condition=models.Q(("radius_band__isnull", False)), fields=["radius_band", "lon", "lat", "radius_m", "confirmed_at", "cancelled_at", "contact_id", "channel_id", "language"], name="alerts_sub_radius_band"),
        ),
    ]
