from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0018_status_id_index'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='report',
            index=models.Index(fields=['received_at', 'status', 'source', 'admin1', 'visibility', 'id'],
                               name='report_dashboard'),
        ),
    ]
