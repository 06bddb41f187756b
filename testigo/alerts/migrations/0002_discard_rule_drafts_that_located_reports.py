"""Rule alerts drafted before rules worked on coarse cells are centred on reports' true positions
(and may have counted confidential reports): approving one would still locate them. Discard those
drafts and forget their firings, so each rule fires again, within five minutes, the new way
(testigo/alerts/privacy.py)."""

from django.db import migrations


def discard_old_rule_drafts(apps, schema_editor):
    Alert = apps.get_model("alerts", "Alert")
    RuleFiring = apps.get_model("alerts", "RuleFiring")
    drafts = Alert.objects.filter(kind="rule", status="draft")
    RuleFiring.objects.filter(alert__in=drafts).delete()
    drafts.update(status="discarded")


class Migration(migrations.Migration):

    dependencies = [("alerts", "0001_initial")]

    operations = [migrations.RunPython(discard_old_rule_drafts, migrations.RunPython.noop)]
