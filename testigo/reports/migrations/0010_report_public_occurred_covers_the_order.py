"""The public list by date reads its page's keys from the date index alone (issue #19): the index
report_public_occurred also holds the public order's columns, so ordering a period's reports
sorts index entries instead of fetching every report of the period; see Report.Meta.indexes."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0009_staff_order_indexes'),
    ]

    operations = [
        migrations.RemoveIndex(model_name='report', name='report_public_occurred'),
        migrations.AddIndex(
            model_name='report',
            index=models.Index(fields=['status', 'visibility', 'occurred_at', 'published_at', 'reference'],
                               name='report_public_occurred'),
        ),
    ]
