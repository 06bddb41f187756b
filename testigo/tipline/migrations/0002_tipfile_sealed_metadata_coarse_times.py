# Issue #13: a seized database must not confirm which known file a source sent.
#
# TipFile.sha256 and TipFile.size were plaintext. Here each existing row's hash and size are
# sealed to the organisation's public key (the conversation key cannot be opened here: it needs
# a staff password) and marked FORMAT_LEGACY (1); then the plaintext columns are dropped. New
# rows (FORMAT_SEALED, 2) are sealed under the conversation key and padded (see filemeta.py).
# Source-related times are rounded down to the hour (clock.py), existing ones included.
#
# The functions below are frozen copies, not imports, so that later code changes cannot change
# what this migration did. On PostgreSQL the dropped values stay in dead tuples until the table is
# rewritten: docs/tipline.md tells operators to run VACUUM FULL on tipline_tipfile after upgrading.

import json
from datetime import UTC, datetime

from django.db import migrations, models
from nacl.public import PublicKey, SealedBox

import testigo.tipline.clock

HOUR = 3600
LEGACY = 1


def _hour(moment):
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % HOUR, tz=UTC)


def seal_legacy_metadata(apps, schema_editor):
    TipFile = apps.get_model("tipline", "TipFile")
    VaultKey = apps.get_model("tipline", "VaultKey")
    vault = VaultKey.objects.order_by("pk").first()
    box = SealedBox(PublicKey(bytes(vault.public_key))) if vault is not None else None
    for item in TipFile.objects.all().iterator():
        meta = json.dumps({"sha256": item.sha256, "size": item.size}).encode()
        # Without a vault no one could ever read it: drop it rather than keep it in clear.
        item.meta = box.encrypt(meta) if box is not None else b""
        item.format = LEGACY
        item.save(update_fields=["meta", "format"])


def coarsen_times(apps, schema_editor):
    for model, fields in (("Source", ("created", "last_activity")), ("Tip", ("created",)),
                          ("TipMessage", ("created",))):
        Model = apps.get_model("tipline", model)
        for row in Model.objects.all().iterator():
            for field in fields:
                setattr(row, field, _hour(getattr(row, field)))
            row.save(update_fields=list(fields))


class Migration(migrations.Migration):

    dependencies = [
        ('tipline', '0001_initial'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='tip',
            options={'ordering': ['-created', '-id']},
        ),
        migrations.AddField(
            model_name='tipfile',
            name='format',
            field=models.PositiveSmallIntegerField(default=2, help_text='2: name, meta and files sealed and padded under the tip key; 1: migrated, meta sealed to the organisation key, nothing padded'),
        ),
        migrations.AddField(
            model_name='tipfile',
            name='meta',
            field=models.BinaryField(default=b'', help_text='sealed SHA-256 and size of the original bytes (filemeta.py)'),
        ),
        migrations.RunPython(seal_legacy_metadata, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='tipfile',
            name='sha256',
        ),
        migrations.RemoveField(
            model_name='tipfile',
            name='size',
        ),
        migrations.AlterField(
            model_name='source',
            name='created',
            field=models.DateTimeField(default=testigo.tipline.clock.coarse_now, help_text='to the hour'),
        ),
        migrations.AlterField(
            model_name='source',
            name='last_activity',
            field=models.DateTimeField(db_index=True, help_text='to the hour'),
        ),
        migrations.AlterField(
            model_name='tip',
            name='created',
            field=models.DateTimeField(default=testigo.tipline.clock.coarse_now, help_text='to the hour'),
        ),
        migrations.AlterField(
            model_name='tipfile',
            name='name',
            field=models.BinaryField(help_text='sealed (and padded) file name'),
        ),
        migrations.AlterField(
            model_name='tipmessage',
            name='created',
            field=models.DateTimeField(default=testigo.tipline.clock.coarse_now, help_text='to the hour; rows keep their order by id'),
        ),
        migrations.RunPython(coarsen_times, migrations.RunPython.noop),
    ]
