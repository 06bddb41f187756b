"""Fixtures for channel tests: channels of each type, and a fake provider API that records calls."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import pytest

from testigo.channels.types import all_types, base
from testigo.core import roles


def require_service(available: bool, why: str) -> None:
    """Skip when a real peer is missing, unless CI demands it (TESTIGO_REQUIRE_SERVICES=1)."""
    if available:
        return
    if os.environ.get("TESTIGO_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {why}")
    pytest.skip(why)


@pytest.fixture
def loopback_gateways(settings):
    """The operator allows gateways on this machine (TESTIGO_ALLOW_PRIVATE_GATEWAYS=1): the real
    Kannel, SMSC and mail servers of these tests listen on 127.0.0.1."""
    settings.ALLOW_PRIVATE_GATEWAYS = True


@pytest.fixture
def make_channel(db):
    from testigo.channels import services

    def make(type_code: str, name: str | None = None, rate: float = 1000.0, **config):
        return services.add_channel(actor=roles.SYSTEM, type_code=type_code, name=name or type_code, config=config,
                                    rate_per_second=rate)

    return make


@dataclass
class FakeProvider:
    calls: list = field(default_factory=list)
    responses: list = field(default_factory=list)
    default: base.HttpResult = field(default_factory=lambda: base.HttpResult(200, b"{}"))

    def __call__(self, url, *, data=None, headers=None, method=None, timeout=15, admin_url=False):
        self.calls.append({"url": url, "data": data, "headers": headers or {}, "admin_url": admin_url})
        if self.responses:
            item = self.responses.pop(0)
            if isinstance(item, Exception):
                raise item
            return item
        return self.default

    def reply(self, status: int, body) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.responses.append(base.HttpResult(status, raw))


@pytest.fixture
def provider(monkeypatch):
    fake = FakeProvider()
    import importlib

    for code in all_types():
        module = importlib.import_module(type(all_types()[code]).__module__)
        if hasattr(module, "http_request"):
            monkeypatch.setattr(module, "http_request", fake)
    return fake


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the after-commit hooks (queue sending) that the test transaction would otherwise hold back."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


class ProviderServer:
    """A real HTTP server on 127.0.0.1 that plays a provider's API and media endpoints, so the
    worker's download path (urllib, redirects, size caps, auth headers) runs for real.

    `route(path, body, status=200, headers=None)` answers GET/POST of `path` (query string
    ignored unless the route's path has one); `body` may be a callable (request) -> (status,
    headers, bytes). Every request is recorded in `requests` as a dict (method, path, headers, body)."""

    def __init__(self):
        import http.server
        import threading

        server_self = self
        self.routes: dict[str, object] = {}
        self.requests: list[dict] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                record = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                server_self.requests.append(record)
                route = server_self.routes.get(self.path) or server_self.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    status, headers, payload = 404, {"Content-Type": "application/json"}, b'{"error":"not found"}'
                elif callable(route):
                    status, headers, payload = route(record)
                else:
                    status, headers, payload = route
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def route(self, path: str, body, status: int = 200, headers: dict | None = None) -> None:
        if callable(body):
            self.routes[path] = body
            return
        if isinstance(body, (dict, list)):
            body, headers = json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})}
        self.routes[path] = (status, headers or {}, body)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def provider_server(settings):
    """A local stand-in for providers' APIs (see ProviderServer); private addresses allowed so the
    worker may connect to it."""
    settings.ALLOW_PRIVATE_GATEWAYS = True
    server = ProviderServer()
    yield server
    server.close()


def mangled(value, special):
    """Every way a field of a real payload can come wrong: each leaf replaced in turn by a wrong
    type, a huge or tiny number, or `special` (a value with a meaning for the provider)."""
    if isinstance(value, dict):
        for key in value:
            for wrong in mangled(value[key], special):
                yield {**value, key: wrong}
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for wrong in mangled(item, special):
                yield [*value[:i], wrong, *value[i + 1:]]
    else:
        yield from ([], {"x": 1}, None, 10**40, special, -1.5e308)
