"""The index that serves the public list order (selectors.PUBLIC_ORDER) under its filter.

The state is a plain Index (status, visibility, -published_at, -reference). In the database,
PostgreSQL gets `published_at DESC NULLS LAST`: its DESC index puts NULLs first, so an index
built from the state alone could not serve `ORDER BY published_at DESC NULLS LAST` and every
visitor would still sort every published report. SQLite rejects NULLS in CREATE INDEX and needs
none: its NULLs are the smallest values, last in DESC, and its planner uses the plain index.
"""

from django.db import migrations, models

NAME = "report_public_order"
COLUMNS = {
    "postgresql": '"status", "visibility", "published_at" DESC NULLS LAST, "reference" DESC',
    "default": '"status", "visibility", "published_at" DESC, "reference" DESC',
}


def create(apps, schema_editor):
    columns = COLUMNS.get(schema_editor.connection.vendor, COLUMNS["default"])
    schema_editor.execute(f"CREATE INDEX {NAME} ON reports_report ({columns})")


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_media_kinds"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="report",
                    index=models.Index(fields=["status", "visibility", "-published_at", "-reference"],
                                       name=NAME),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
