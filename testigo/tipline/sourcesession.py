"""The tip line's one cookie: signed, HttpOnly, SameSite=Strict, gone when the browser closes.

It holds a per-visit form token (our CSRF defence: the tip pages use no other cookie), the
chosen language, and after login the source id plus the key that opens the source's replies.
Nothing in it says who the source is. Idle for TIP_SOURCE_SESSION_MINUTES, it is void.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing

from testigo.tipline.services import SourceAccess

COOKIE = "tipsession"
_SALT = "testigo.tipline.source"


@dataclass
class SourceState:
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    lang: str = ""
    source_id: int | None = None
    seed: str = ""
    codename_once: str = ""  # shown on /tip/sent/ once, then dropped

    @property
    def access(self) -> SourceAccess | None:
        if self.source_id is None or not self.seed:
            return None
        return SourceAccess(source_id=self.source_id, reading_seed=base64.b64decode(self.seed))

    def log_in(self, access: SourceAccess) -> None:
        self.source_id, self.seed = access.source_id, base64.b64encode(access.reading_seed).decode()
        self.token = secrets.token_urlsafe(24)  # a new token at each privilege change

    def log_out(self) -> None:
        lang = self.lang
        self.__init__()
        self.lang = lang

    def token_ok(self, submitted: str | None) -> bool:
        return bool(submitted) and hmac.compare_digest(self.token, submitted)


def load(request) -> SourceState:
    raw = request.COOKIES.get(COOKIE)
    if raw:
        try:
            data = signing.loads(raw, salt=_SALT, max_age=settings.TIP_SOURCE_SESSION_MINUTES * 60)
            return SourceState(**{k: v for k, v in data.items() if k in SourceState.__dataclass_fields__})
        except (signing.BadSignature, TypeError, ValueError):
            pass
    return SourceState()


def save(request, response, state: SourceState) -> None:
    value = signing.dumps(state.__dict__, salt=_SALT, compress=True)
    # No max_age/expires: a session cookie, dropped when the browser (Tor Browser) closes.
    response.set_cookie(COOKIE, value, path="/tip/", httponly=True, samesite="Strict", secure=request.is_secure())
