from __future__ import annotations

from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _

from testigo.core import untrusted

# Gateway webhooks (/ch/, testigo.channels.wsgi.WEBHOOK_PREFIX) are exempt from the NUL refusal:
# an SMS is never refused for a NUL; channels.services.receive() keeps it with U+FFFD instead.
NUL_EXEMPT_PREFIXES = ("/ch/",)
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


class SecureCookiesOverHttpsMiddleware:
    """Mark every cookie Secure when the request came over HTTPS.

    Testigo is often reached both by http://127.0.0.1 on the NGO's laptop and by HTTPS behind a
    proxy, so a fixed SESSION_COOKIE_SECURE would either break the first or weaken the second.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response


class RefuseUnreadableInputMiddleware:
    """Answer 400, never 500, to a request whose path, query, form or JSON body carries a NUL, or
    whose JSON body nests deeper than untrusted.MAX_JSON_DEPTH.

    PostgreSQL cannot store or even compare a string with a NUL, so `?q=a%00b` made every search
    answer 500; a deeply nested JSON body made the API's parser raise RecursionError. Refusing
    with a clear message is better than silently changing what a person wrote in a form; the one
    exception is an SMS (webhooks), which is kept with the NUL replaced.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(NUL_EXEMPT_PREFIXES):
            if untrusted.NUL in request.path_info or _lists_have_nul(request.GET) or _cookies_have_nul(request):
                return bad_request(_nul_message())
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The body is read only once the view is known: a view that keeps its uploads in memory
        # (core.uploads) must set its upload handlers before anything parses the form, so it
        # runs this same check itself right after.
        if request.path_info.startswith(NUL_EXEMPT_PREFIXES) or getattr(view_func, "checks_own_body", False):
            return None
        problem = body_problem(request)
        return bad_request(problem) if problem else None


def _nul_message() -> str:
    return _("The request contains a NUL character (code 0), which Testigo does not accept.")


def bad_request(problem: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")


def body_problem(request) -> str:
    """Why this request's form or JSON body is refused (a NUL, JSON nested too deep), or ""."""
    if request.method not in {"POST", "PUT", "PATCH"}:
        return ""
    ctype = (request.content_type or "").lower()
    if ctype in FORM_TYPES:
        return _nul_message() if _lists_have_nul(request.POST) else ""
    if ctype == "application/json" or ctype.endswith("+json"):
        try:
            value = untrusted.loads(request.body)
        except untrusted.UnreadableJSON as exc:
            if "nested deeper" in str(exc):
                return _("The JSON body is nested deeper than %(n)d levels.") % {"n": untrusted.MAX_JSON_DEPTH}
            return ""  # invalid JSON: the API answers that itself, with its own error format
        return _nul_message() if untrusted.has_nul(value) else ""
    return ""


def _lists_have_nul(query) -> bool:
    return any(untrusted.NUL in key or any(untrusted.NUL in v for v in values if isinstance(v, str))
               for key, values in query.lists())


def _cookies_have_nul(request) -> bool:
    return any(untrusted.NUL in k or untrusted.NUL in v for k, v in request.COOKIES.items())
