"""`testigo retention list|apply`: what each retention policy would touch now, and applying the
enabled ones at once (as the nightly job does, recorded as "system"). See reports/retention.py."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from testigo.core import roles
from testigo.reports import retention
from testigo.reports.models import RetentionPolicy


class Command(BaseCommand):
    help = "Retention policies: list shows what each would touch now; apply runs the enabled ones (or --policy ID)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "apply"])
        parser.add_argument("--policy", type=int, help="only this policy (apply runs it even if disabled)")

    def handle(self, *args, **options):
        policies = RetentionPolicy.objects.order_by("pk")
        if options["policy"]:
            policies = policies.filter(pk=options["policy"])
            if not policies.exists():
                raise CommandError(_("No retention policy has the id %(id)s.") % {"id": options["policy"]})
        elif options["action"] == "apply":
            policies = policies.filter(is_enabled=True)
        for policy in policies:
            if options["action"] == "list":
                preview = retention.preview(policy)
                self.stdout.write(_("%(id)s %(name)s (%(action)s): %(count)s of %(total)s reports now %(sample)s") % {
                    "id": policy.pk, "name": policy.name, "action": policy.get_action_display(),
                    "count": preview.count, "total": preview.total, "sample": " ".join(preview.sample)})
                continue
            outcome = retention.apply_policy(policy=policy, actor=roles.SYSTEM)
            if outcome.skipped:
                self.stderr.write(_("%(id)s %(name)s: skipped, it reaches every report and is not confirmed") % {
                    "id": policy.pk, "name": policy.name})
            else:
                self.stdout.write(_("%(id)s %(name)s: %(done)s reports, %(contacts)s contacts removed, %(failed)s failed")
                                  % {"id": policy.pk, "name": policy.name, "done": outcome.done,
                                     "contacts": outcome.contacts_removed, "failed": len(outcome.failed)})
