"""Who is calling: an API token (Bearer), a staff session (cookie + CSRF), or the public.

Anonymous callers are allowed everywhere and get the public projection; handlers that need
staff call `caller.require_staff()` / `require_write()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from testigo.api import selectors, services
from testigo.api.errors import ApiError
from testigo.api.models import ApiToken
from testigo.core import roles

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Caller:
    user: object | None = None
    scope: str = ""  # "read" / "write"; a session counts as write
    via: str = "anonymous"  # "token" / "session" / "anonymous"

    def __bool__(self) -> bool:  # ninja treats a falsy result as "not authenticated"
        return True

    @property
    def is_staff(self) -> bool:
        return self.user is not None and roles.can(self.user, roles.VIEW)

    def require_staff(self) -> object:
        if self.user is None:
            raise ApiError(401, "unauthenticated", _("A valid API token is required."))
        if not self.is_staff:
            raise ApiError(403, "forbidden", _("You do not have permission to do this."))
        return self.user

    def require_write(self) -> object:
        user = self.require_staff()
        if self.scope != ApiToken.Scope.WRITE:
            raise ApiError(403, "read_only_token", _("This token can only read; create a write token."))
        return user


class CallerAuth(HttpBearer):
    """Bearer token if given (a bad or revoked one is a 401, never a silent downgrade), else the
    session of a logged-in staff member (CSRF checked for unsafe methods), else anonymous."""

    def __call__(self, request) -> Caller:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _sep, raw = header.partition(" ")
            token = selectors.active_token(raw.strip()) if scheme.lower() == "bearer" else None
            if token is None:
                raise ApiError(401, "invalid_token", _("The API token is not valid or has been revoked."))
            services.touch(token)
            return Caller(user=token.user, scope=token.scope, via="token")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if request.method in UNSAFE and check_csrf(request) is not None:
                raise ApiError(403, "csrf_failed", _("The CSRF check failed; reload the page."))
            return Caller(user=user, scope=ApiToken.Scope.WRITE, via="session")
        return Caller()

    def authenticate(self, request, token):  # pragma: no cover - __call__ does the work
        return None
