"""Discreet replies on messaging channels: the survivor pathway (issue #21, docs/help-services.md).

A phone may be read by the person a survivor reports, so once a conversation is on the survivor
pathway every automatic reply to that person is neutral: no "report", no category, no word about
violence, no keyword that names one (replies.py). A person is on the pathway when

- they started a message with the discreet keyword (APOYO / SUPPORT, registered by processing.py):
  their report is filed under the organisation's survivor-pathway category, so it is confidential
  from the start, and the reply lists the nearest help services; or
- staff filed one of their reports under a survivor-pathway category (reports/sensitive.py).

The discretion is read from what is already kept (the keyword of their messages, the categories
of their reports), so it cannot drift out of step with either; and it is also remembered as a
keyed digest of the address (DiscreetAddress) when the person asks and whenever retention is about
to delete what it was read from, so a survivor who writes again after their messages and contact
were removed is still answered neutrally. Only the digest is kept: nothing to read an address from.
The person wrote to us, so a reply is expected; it is simply discreet.
"""

from __future__ import annotations

from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from testigo.channels import replies
from testigo.channels.models import Contact, Conversation, DiscreetAddress, InboundMessage
from testigo.core import roles
from testigo.reports import help_services, sensitive
from testigo.reports import services as report_services
from testigo.reports.models import Category, Report

DISCREET = "discreet"
# Words a survivor can start a message with to ask for discretion. Ordinary words (a message that
# starts "APOYO" says nothing on a screen), never HELP/AYUDA: carriers reserve those for the help
# text, and "Ayuda, hay un incendio" must stay an ordinary report (keywords.parse).
WORDS = {"APOYO": "es", "SUPPORT": "en"}


DIGEST_SALT = "testigo.channels.discreet"


def address_digest(contact: Contact) -> str:
    """The keyed digest of the contact's address (keyed by the shared secret key, so every node
    computes the same one)."""
    return salted_hmac(DIGEST_SALT, contact.urn, algorithm="sha256").hexdigest()


def remember(contact: Contact) -> None:
    """Keep this address's discretion beyond its messages and contact (idempotent)."""
    DiscreetAddress.objects.get_or_create(digest=address_digest(contact))


def remember_before_forgetting(contact_ids) -> None:
    """Called by retention before it deletes messages or contacts: remember the discreet ones."""
    for contact in Contact.objects.filter(pk__in=list(contact_ids)):
        if is_discreet(contact):
            remember(contact)


def is_discreet(contact: Contact) -> bool:
    """Whether automatic replies to `contact` must be neutral: they asked (the keyword), or one of
    their reports is on the survivor pathway, or either was remembered before retention removed it."""
    if DiscreetAddress.objects.filter(digest=address_digest(contact)).exists():
        return True
    if InboundMessage.objects.filter(contact=contact, keyword=DISCREET).exists():
        return True
    ids = sensitive.sensitive_ids()
    return bool(ids) and Conversation.objects.filter(contact=contact, report__categories__in=ids).exists()


def pathway_category() -> Category | None:
    """The category a discreet message is filed under: the first active top-level survivor-pathway
    category in the console's order (None when the organisation has none)."""
    return (Category.objects.filter(sensitive=True, is_active=True, parent__isnull=True)
            .order_by("position", "name_es", "pk").first())


def file_on_pathway(report: Report) -> None:
    """Put an existing report on the survivor pathway (its categories plus the pathway's): it
    becomes confidential at once (reports/sensitive.py). Without a pathway category it is made
    confidential all the same: the person asked for discretion."""
    category = pathway_category()
    if category is not None:
        if not report.categories.filter(pk=category.pk).exists():
            report_services.update_report(report=report, actor=roles.SYSTEM,
                                          categories=[*report.categories.all(), category])
    elif report.visibility != Report.Visibility.CONFIDENTIAL:
        report_services.update_report(report=report, actor=roles.SYSTEM, visibility=Report.Visibility.CONFIDENTIAL)


def received(report: Report, *, with_contacts: bool) -> str:
    """The neutral acknowledgement, in the active language, with the nearest help services (the
    general list when the report has no location) when `with_contacts`."""
    text = _("We received your message (ref. %(ref)s). Thank you.") % {"ref": report.reference}
    contacts = help_services.contacts_message(lat=report.lat, lon=report.lon) if with_contacts else ""
    return text + "\n" + contacts if contacts else text


def contacts_only(report: Report | None = None) -> str:
    """The answer to the discreet keyword alone: the help services nearest to the report of the
    open conversation (the general list without one, or without its location), neutrally."""
    lat, lon = (report.lat, report.lon) if report is not None else (None, None)
    contacts = help_services.contacts_message(lat=lat, lon=lon)
    written = replies.neutral_help()
    return contacts + "\n" + written if contacts else written
