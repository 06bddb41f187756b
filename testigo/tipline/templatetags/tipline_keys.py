"""`{% tipline_key_warning %}`: the console's warning when fewer than two people can open the vault."""

from __future__ import annotations

from django import template

from testigo.core import roles
from testigo.tipline import vault

register = template.Library()


@register.inclusion_tag("tipline/console/_key_warning.html", takes_context=True)
def tipline_key_warning(context):
    """Shown to those who can act on it (tip-line administrators) and to key holders."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return {"show": False}
    if not (roles.can(user, roles.MANAGE_TIPLINE) or vault.has_access(user)) or not vault.too_few_key_holders():
        return {"show": False}
    holders = vault.key_holders()
    return {"show": True, "holders": [h.get_username() for h in holders], "count": len(holders),
            "can_manage": roles.can(user, roles.MANAGE_TIPLINE)}
