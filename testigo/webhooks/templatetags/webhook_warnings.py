"""`{% webhook_warning %}`: the console's warning, for administrators, that a webhook was disabled
after repeated failures (its events wait, nothing is sent until someone looks)."""

from __future__ import annotations

from django import template

from testigo.core import roles

register = template.Library()


@register.inclusion_tag("webhooks/_warning.html", takes_context=True)
def webhook_warning(context):
    user = context.get("user")
    if user is None or not user.is_authenticated or not roles.can(user, roles.MANAGE_CHANNELS):
        return {"disabled": []}
    from testigo.webhooks.services import disabled_automatically

    return {"disabled": disabled_automatically()}
