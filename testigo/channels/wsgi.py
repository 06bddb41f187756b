"""Gateway webhooks (/ch/) skip the middleware that only browsers need.

Sessions, CSRF, authentication, flash messages, the page language, gzip, static files and the
Content-Security-Policy do nothing for a gateway posting an SMS, yet cost about a fifth of each
webhook request (bench/bench_inbound.py). Webhooks keep the middleware that matters to any HTTP
client: security headers, host validation (CommonMiddleware), secure cookies and frame denial.
Every other path goes through the full stack.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

WEBHOOK_PREFIX = "/ch/"
WEBHOOK_MIDDLEWARE = {
    "django.middleware.security.SecurityMiddleware",
    "testigo.core.middleware.SecureCookiesOverHttpsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
}


class WebhookHandler(WSGIHandler):
    """A Django WSGI handler whose middleware chain is the webhook subset of settings.MIDDLEWARE."""

    def load_middleware(self, is_async: bool = False) -> None:
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = [name for name in full if name in WEBHOOK_MIDDLEWARE]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


def with_webhooks(application):
    """Wrap the site's WSGI application: webhook paths go to a WebhookHandler."""
    webhooks = WebhookHandler()

    def dispatch(environ, start_response):
        if environ.get("PATH_INFO", "").startswith(WEBHOOK_PREFIX):
            return webhooks(environ, start_response)
        return application(environ, start_response)

    return dispatch
