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
