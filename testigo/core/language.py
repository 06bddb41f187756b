"""Which language a page speaks.

Pages speak the deployment's language (TESTIGO_LANGUAGE, Spanish by default) unless the visitor
chose another with the language switch (a cookie). The browser's Accept-Language is not used
for pages: Tor Browser sends `en-US` for every user to resist fingerprinting, and many phones in
Central America are set to English, so following it would greet most tipsters and citizens in
the wrong language. The JSON API still honours Accept-Language: API clients set it on purpose.
"""

from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

API_PREFIX = "/api/"


def chosen_language(request) -> str:
    choice = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return choice if choice in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class SiteLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        if request.path_info.startswith(API_PREFIX):
            return super().process_request(request)
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        if request.path_info.startswith(API_PREFIX):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
