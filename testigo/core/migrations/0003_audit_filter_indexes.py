"""Indexes for the audit page filtered by action or by actor, newest first (issue #19).

(action, -seq) makes the old index on action alone redundant. It is dropped by name, found in the
catalogue: an AlterField would make SQLite copy the whole trail into a new table to drop it.
"""

import django.db.models.functions.text
from django.db import migrations, models


def _action_only_indexes(schema_editor) -> list[str]:
    constraints = schema_editor.connection.introspection.get_constraints(
        schema_editor.connection.cursor(), "core_auditevent")
    return [name for name, c in constraints.items()
            if c["index"] and not c["unique"] and not c["primary_key"] and c["columns"] == ["action"]]


def drop_action_index(apps, schema_editor):
    for name in _action_only_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_action_index(apps, schema_editor):
    schema_editor.execute('CREATE INDEX "core_auditevent_action" ON "core_auditevent" ("action")')


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_access_permissions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="action",
                    field=models.CharField(max_length=64),
                ),
            ],
            database_operations=[migrations.RunPython(drop_action_index, create_action_index)],
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["action", "-seq"], name="audit_action_seq"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(django.db.models.functions.text.Upper("actor_name"),
                               models.OrderBy(models.F("seq"), descending=True), name="audit_actor_seq"),
        ),
    ]
