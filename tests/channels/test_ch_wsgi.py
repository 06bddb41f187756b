"""The production WSGI application: gateway webhooks skip the browser-only middleware, keep the
security headers, and are stored as through the full stack; other pages keep every middleware."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from testigo.channels.models import InboundMessage


def call(application, method: str, path: str, body: bytes = b"", content_type: str = "") -> tuple[str, dict, bytes]:
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
               "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)), "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000", "SERVER_PROTOCOL": "HTTP/1.1",
               "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO()}
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, {k.lower(): v for k, v in headers}

    # As Django's test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, start_response)
        payload = b"".join(result)
        if hasattr(result, "close"):
            result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return started["status"], started["headers"], payload


def test_webhook_through_the_production_application_is_stored_without_browser_middleware(make_channel):
    from testigo.wsgi import application

    phone = make_channel("smssync", secret="s3cret")
    body = urlencode({"from": "+50499990001", "message": "REPORTE robo", "message_id": "w-1", "secret": "s3cret",
                      "sent_timestamp": "1700000000123"}).encode()
    status, headers, payload = call(application, "POST", f"/ch/smssync/{phone.uuid}/", body,
                                    "application/x-www-form-urlencoded")
    assert status.startswith("200") and b'"success": true' in payload
    assert InboundMessage.objects.get().text == "REPORTE robo"
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert "content-security-policy" not in headers and "set-cookie" not in headers
    assert "cookie" not in headers.get("vary", "").lower()
    status, headers, _payload = call(application, "GET", "/")
    assert "content-security-policy" in headers  # pages still get the whole stack
