from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0017_admin_areas'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='report',
            index=models.Index(fields=['received_at', 'status', 'source', 'admin1', 'visibility', 'id'],
                               name='report_dashboard'),
        ),
    ]
