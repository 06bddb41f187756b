"""Indexes for the staff inbox by status and source, the public list by date and a report's duplicates
at a million reports (issue #19); see the comments on Report.Meta.indexes."""


from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0008_report_text_search'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='report',
            index=models.Index(fields=['status', 'source', '-received_at'], name='report_status_source_received'),
        ),
        migrations.AddIndex(
            model_name='report',
            index=models.Index(fields=['status', 'visibility', 'occurred_at'], name='report_public_occurred'),
        ),
        migrations.AddIndex(
            model_name='report',
            index=models.Index(condition=models.Q(('merged_into__isnull', False)), fields=['merged_into'], name='report_merged_into'),
        ),
    ]
