"""The public map's answers kept in memory, per server process (issue #19).

A public map move (`GET /api/v1/map/clusters` from a visitor who is not logged in) is answered by
the whole Django stack once; the response (its bytes and every header the middleware set:
security headers, the Content-Security-Policy, Vary, gzip) is then kept, and the same request
gets a copy of it without running the middleware, the URL routing, the API framework or the
view again: one statement (the two generation tokens) and a dictionary look-up.

What makes two requests the same: the path and query string, the host, HTTP or HTTPS, the
Accept-Encoding and Accept-Language headers, the language cookie, the database, and the settings
the answer depends on (language, time zone, fuzz radius). Only requests that would be answered
as the public are served from memory: no Authorization header and no cookie other than the
language and CSRF cookies (a session cookie, even an anonymous one, always goes through the
whole stack), and nothing refused elsewhere (a NUL in a cookie is a 400 there). Only a complete
200 answer without cookies, whose Vary names nothing but those headers, is kept.

Staying right: each answer is kept with the two generation tokens read *before* it was made
(geo/memindex.py): the public counts' token (renewed with every change to what the public map
counts: publishing, unpublishing, moving, re-categorising, deleting, importing) and the public
rows' token (reports/public_changes.py: renewed when a public report's public title, dates,
point or categories change, e.g. a title redacted). Every request reads both again; an answer
kept under other tokens is never served. A change committed between the read and the answer
makes the kept answer newer than its tokens, never older; a change rolled back renews nothing.
So an unpublished or confidential report leaves the map on the very next request, in every
process, exactly as without this cache, and a cached answer only ever holds what the public
answer held (it *is* the public answer).

A compressed answer is kept compressed: the same bytes, with the random padding Django's gzip adds
against BREACH, go to everyone asking the same question (the padding protects secrets in pages
that also reflect what a visitor typed; a public map answer holds no secret).

Bounded: at most MAX_ENTRIES answers and MAX_BYTES of bodies per process, least recently used
dropped first.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

from django.conf import settings
from django.db import connection
from django.http import HttpResponse

from testigo.core import untrusted
from testigo.core.db import replicas
from testigo.geo import memindex
from testigo.reports import counts, public_changes

PATH = "/api/v1/map/clusters"
MAX_ENTRIES = 512
MAX_BYTES = 16 * 1024 * 1024
SCOPES = (counts.PUBLIC, public_changes.ROWS_TOKEN)
VARY_KEPT = {"accept-encoding", "accept-language", "cookie"}  # the key holds all a public answer varies by
_INSTANCES: weakref.WeakSet = weakref.WeakSet()


def clear() -> None:
    """Forget every kept answer in this process (benchmarks time the first request of a view)."""
    for instance in list(_INSTANCES):
        instance.clear()


class PublicMapCacheMiddleware:
    """Outermost middleware: see the module's docstring."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.entries: OrderedDict[tuple, tuple[bytes, tuple]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()  # threaded servers: the dictionary only
        self.allowed_cookies = {settings.LANGUAGE_COOKIE_NAME, settings.CSRF_COOKIE_NAME}
        _INSTANCES.add(self)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0

    def __call__(self, request):
        if request.path_info != PATH or request.method != "GET":
            return self.get_response(request)
        if replicas.aliases():
            # The tokens are read here, before the replica router picks where the view reads: with
            # read replicas a token from one database could label an answer made from another's
            # older rows. Those deployments answer every request through the whole stack.
            return self.get_response(request)
        key = self._key(request)
        if key is None:
            return self.get_response(request)
        tokens = memindex.tokens(SCOPES)
        key = (*key, *tokens)
        with self.lock:
            held = self.entries.get(key)
            if held is not None:
                self.entries.move_to_end(key)
        if held is not None:
            body, headers = held
            return HttpResponse(body, headers=dict(headers))
        with memindex.already_read(dict(zip(SCOPES, tokens, strict=True))):  # the view needs not read them again
            response = self.get_response(request)
        if self._keepable(response):
            self._keep(key, response.content, tuple(response.items()))
        return response

    def _key(self, request) -> tuple | None:
        """What the public answer depends on besides the tokens; None when the request is not
        surely answered as the public, or would be refused by the middleware."""
        meta = request.META
        if "HTTP_AUTHORIZATION" in meta:
            return None
        cookies = request.COOKIES
        language = ""
        if cookies:
            if not cookies.keys() <= self.allowed_cookies:
                return None
            if any(untrusted.NUL in value for value in cookies.values()):
                return None
            language = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
        return (connection.alias, connection.settings_dict["NAME"], meta.get("QUERY_STRING", ""),
                meta.get("HTTP_HOST", ""), meta.get("SERVER_NAME", ""), meta.get("SERVER_PORT", ""),
                request.is_secure(), meta.get("HTTP_ACCEPT_ENCODING", ""), meta.get("HTTP_ACCEPT_LANGUAGE", ""),
                language, settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.FUZZ_RADIUS_M)

    @staticmethod
    def _keepable(response) -> bool:
        if response.status_code != 200 or response.streaming or response.cookies:
            return False
        vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
        return vary <= VARY_KEPT and "no-store" not in response.get("Cache-Control", "")

    def _keep(self, key: tuple, body: bytes, headers: tuple) -> None:
        if len(body) > MAX_BYTES // 8:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= len(old[0])
            self.entries[key] = (body, headers)
            self.size += len(body)
            while len(self.entries) > MAX_ENTRIES or self.size > MAX_BYTES:
                _key, (dropped, _headers) = self.entries.popitem(last=False)
                self.size -= len(dropped)
