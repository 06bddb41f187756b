"""Translated names for the codes the console shows: where a report came from."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
