"""The automatic replies, translated into the language active when they are built."""

from django.utils.translation import gettext as _


def report_received(reference: str) -> str:
    return _("We received your report %(ref)s. Thank you. Write again to add details; "
             "send STOP to receive no more messages.") % {"ref": reference}


def empty_report() -> str:
    return _("Send REPORT followed by what happened, where and when.")


def help_text() -> str:
    return _("Send REPORT and what happened to report it. Send STOP to receive no more messages. "
             "Send HELP for this message.")


def stopped() -> str:
    return _("You will receive no more messages from us. Send REPORT to write to us again.")
