"""Writes to API tokens. The token itself is returned once and never stored, only its SHA-256."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.api.models import ApiToken
from testigo.core import audit, roles

TOKEN_PREFIX = "tgo_"
TOKEN_BYTES = 32  # 256 bits: guessing is hopeless, so a fast hash (SHA-256) is enough to store it


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_token(*, user, name: str, scope: str, actor) -> tuple[ApiToken, str]:
    """Create a token for `user` (a staff member) and return it with the raw token, shown once.

    Staff may create tokens for themselves; creating one for someone else needs MANAGE_TOKENS.
    """
    if actor != user:
        roles.require(actor, roles.MANAGE_TOKENS)
    if not roles.can(user, roles.VIEW):
        raise ValidationError(_("Only staff members can have API tokens."))
    if scope not in ApiToken.Scope.values:
        raise ValidationError(_("The scope must be “read” or “write”."))
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the token a name."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(user=user, name=name[:100], scope=scope, token_hash=hash_token(raw), prefix=raw[:10])
    token.save()
    audit.record(action="api_token.created", actor=actor, obj=token,
                 data={"user": user.username, "scope": scope, "name": token.name})
    return token, raw


@transaction.atomic
def revoke_token(*, token: ApiToken, actor) -> ApiToken:
    """Revoke a token: every later request with it gets 401."""
    if actor != token.user:
        roles.require(actor, roles.MANAGE_TOKENS)
    if token.revoked is None:
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
        audit.record(action="api_token.revoked", actor=actor, obj=token, data={"user": token.user.username})
    return token


def touch(token: ApiToken) -> None:
    """Record use, at most once a minute per token so reads do not become writes."""
    now = timezone.now()
    if token.last_used is None or (now - token.last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
