from django import template

from testigo.channels import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def channel_conversation(context, report):
    """The report's messages for the current user (contact shown only with SEE_CONTACT)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return selectors.conversation(user, report)


@register.simple_tag
def survivor_reply(report) -> str:
    """For a survivor-pathway report, a reply ready for staff to check and send: the nearest help
    services in neutral words (docs/help-services.md). Nothing is sent by itself: a phone may be
    read by the person being reported. "" for any other report."""
    from testigo.reports import help_services, sensitive

    if not sensitive.is_sensitive(report):
        return ""
    return help_services.contacts_message(lat=report.lat, lon=report.lon)
