"""The message a web reporter gets when they ask for one (issue #21, docs/help-services.md).

Nothing is sent unless the reporter ticked "Send me a confirmation message": a phone may be read by
the person being reported. In discreet mode (asked for, or a survivor-pathway category) the text is
neutral: no "report", no category, no word about violence; a survivor-pathway report also gets the
nearest help services, as names and phone numbers only.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from testigo.channels import replies
from testigo.reports import help_services
from testigo.reports.models import Report


def compose(*, report: Report, discreet: bool, survivor: bool) -> tuple[str, str]:
    """(subject, text) of the confirmation, in the active language."""
    if discreet or survivor:
        subject = _("Message received")
        text = _("We received your message (ref. %(ref)s). Thank you.") % {"ref": report.reference}
    else:
        subject = _("Report received")
        text = _("We received your report %(ref)s. Thank you.") % {"ref": report.reference}
    contacts = help_services.contacts_message(lat=report.lat, lon=report.lon) if survivor else ""
    if contacts:
        text += "\n" + contacts
    return subject, text


def send(*, report: Report, address: str, discreet: bool, survivor: bool, language: str) -> bool:
    """Queue the confirmation for `address`; False when no channel reaches it."""
    with translation.override(language):
        subject, text = compose(report=report, discreet=discreet, survivor=survivor)
    return replies.send_to_address(address=address, text=text, subject=subject, language=language, report=report)
