from django import template

from testigo.channels import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def channel_conversation(context, report):
    """The report's messages for the current user (contact shown only with SEE_CONTACT)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return selectors.conversation(user, report)
