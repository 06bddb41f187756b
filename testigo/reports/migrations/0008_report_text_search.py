"""Full-text search of report text (reports/search.py): FTS5 tables and their triggers on SQLite,
the `testigo_es` text search configuration (Spanish + unaccent) and GIN expression indexes on
PostgreSQL, filled from the existing reports. Nothing in the models' state changes."""

from django.db import migrations


def create(apps, schema_editor):
    from testigo.reports import search

    search.create(schema_editor)


def drop(apps, schema_editor):
    from testigo.reports import search

    search.drop(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_report_public_order"),
    ]

    operations = [migrations.RunPython(create, drop)]
