from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('channels', '0006_discreet_address'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='outboundmessage',
            index=models.Index(fields=['created_at', 'channel', 'status'], name='outbound_time_channel_status'),
        ),
    ]
