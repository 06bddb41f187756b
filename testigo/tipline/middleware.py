"""Headers and cookies for the tip line (/tip/) and the staff tip pages (/console/tips/).

Installed last in MIDDLEWARE (innermost), so it sees every response of those paths, including
CSRF failures and 404s, before the CSP, security and session middlewares finish them.
"""

from __future__ import annotations

from csp.constants import NONE, SELF
from django.conf import settings
from django.utils import translation

from testigo.tipline import sourcesession, vault

TIP_PREFIX = "/tip/"
STAFF_PREFIX = "/console/tips/"

# The tip pages run no script (but see TIP_CSP_WITH_WORK) and load nothing from anywhere else.
TIP_CSP = {
    "default-src": [NONE],
    "script-src": [NONE],
    "style-src": [SELF],
    "img-src": [SELF],
    "font-src": [SELF],
    "connect-src": [NONE],
    "object-src": [NONE],
    "base-uri": [NONE],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
# The first-tip page alone may run our own script (the proof of work, needed only during a
# flood) and fetch its challenge from us: still no inline code, no other origin.
TIP_CSP_WITH_WORK = {**TIP_CSP, "script-src": [SELF], "connect-src": [SELF]}
STRICT_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
}


def _language(request, state) -> None:
    choice = request.GET.get("lang", "")
    if choice in dict(settings.LANGUAGES):
        state.lang = choice
    if state.lang:
        translation.activate(state.lang)
        request.LANGUAGE_CODE = state.lang


class TiplineMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        is_tip = path.startswith(TIP_PREFIX)
        if is_tip:
            request.tip_state = sourcesession.load(request)
            _language(request, request.tip_state)
        response = self.get_response(request)
        if is_tip:
            for name in list(response.cookies):  # the tip line sets one cookie and no other
                del response.cookies[name]
            sourcesession.save(request, response, request.tip_state)
            response._csp_config = TIP_CSP_WITH_WORK if getattr(response, "tip_script", False) else TIP_CSP
        if is_tip or path.startswith(STAFF_PREFIX):
            for header, value in STRICT_HEADERS.items():
                response[header] = value
            if not is_tip:
                response._csp_replace = {"img-src": [SELF]}  # no tile server on staff tip pages
                # Staff forms here go through Django's CSRF checks, which need the browser to send
                # our Origin; `same-origin` still gives no other site anything (and these pages
                # load nothing from elsewhere). The public tip pages keep `no-referrer` and their
                # own token (csrf_exempt).
                response["Referrer-Policy"] = settings.SECURE_REFERRER_POLICY
        self._tipkey_cookie(request, response)
        return response

    @staticmethod
    def _tipkey_cookie(request, response) -> None:
        if getattr(request, "_tipkey_clear", False):
            response.delete_cookie(vault.COOKIE, path="/", samesite="Strict")
        elif getattr(request, "_tipkey_set", None):
            # No max_age: dies with the browser; the session half dies at logout or expiry.
            response.set_cookie(vault.COOKIE, request._tipkey_set, path="/", httponly=True,
                                samesite="Strict", secure=request.is_secure())
