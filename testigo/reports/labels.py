"""Translated names for the codes the console shows: where a report came from."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from testigo.core import audit
from testigo.core.models import AuditEvent
from testigo.reports.models import Report

SOURCE_LABELS = {
    "web": gettext_lazy("Web form"),
    "sms": gettext_lazy("SMS"),
    "email": gettext_lazy("Email"),
    "tipline": gettext_lazy("Tip line"),
    "odk": gettext_lazy("ODK"),
    "api": gettext_lazy("API"),
    "import": gettext_lazy("Imported file"),
    "whatsapp": gettext_lazy("WhatsApp"),
    "telegram": gettext_lazy("Telegram"),
}


def source_label(code: str) -> str:
    """The translated name of a report source; an unknown code reads as 'Other channel'."""
    return str(SOURCE_LABELS.get(code, _("Other channel")))


def _status_label(code) -> str:
    try:
        return str(Report.Status(code).label)
    except ValueError:
        return str(_("unknown status"))


def describe(event: AuditEvent) -> str:
    """One translated sentence for an event: 'Status changed from In review to Verified by admin'."""
    data = event.data if isinstance(event.data, dict) else {}
    actor = str(_("the system")) if event.actor_name in ("", "system") else event.actor_name
    if event.action.startswith("report.") and {"from", "to"} <= data.keys():
        return _("Status changed from %(from)s to %(to)s by %(actor)s") % {
            "from": _status_label(data["from"]), "to": _status_label(data["to"]), "actor": actor}
    return _("%(action)s by %(actor)s") % {"action": audit.action_label(event.action), "actor": actor}
