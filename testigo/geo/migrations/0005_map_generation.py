"""The map's generation tokens (geo/memindex.py), with the public scope's first token: until a
token exists the public map reads the database on every request."""

import secrets

from django.db import migrations, models


def first_token(apps, schema_editor):
    apps.get_model("geo", "MapGeneration").objects.using(schema_editor.connection.alias).get_or_create(
        scope=0, defaults={"value": secrets.randbits(62)})  # 0: reports.counts.PUBLIC


class Migration(migrations.Migration):

    dependencies = [
        ('geo', '0004_restore_cluster_covering_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='MapGeneration',
            fields=[
                ('scope', models.SmallIntegerField(primary_key=True, serialize=False)),
                ('value', models.BigIntegerField()),
            ],
            options={
                'verbose_name': 'map generation',
            },
        ),
        migrations.RunPython(first_token, migrations.RunPython.noop),
    ]
