"""Reads of API tokens: who may see which, and resolving a bearer token to its owner."""

from __future__ import annotations

from django.db.models import QuerySet

from testigo.api.models import ApiToken
from testigo.api.services import hash_token
from testigo.core import roles


def tokens_for(viewer) -> QuerySet:
    """Tokens the viewer may see: their own, or everyone's with MANAGE_TOKENS."""
    qs = ApiToken.objects.select_related("user")
    return qs if roles.can(viewer, roles.MANAGE_TOKENS) else qs.filter(user=viewer)


def active_token(raw: str) -> ApiToken | None:
    """The live (not revoked, active user) token matching `raw`, or None."""
    if not raw or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(raw), revoked__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    return token
