"""Console test helpers: clients logged in with a role, pages requested in English."""

from __future__ import annotations

import pytest
from django.test import Client

from testigo.core import roles


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def client_as(make_user):
    """client_as(role) -> a Client logged in as a fresh user with that role, reading English."""

    def make(role: str, username: str | None = None) -> Client:
        user = make_user(role, username=username or f"{role}-{make.count}")
        make.count += 1
        client = Client()
        client.cookies["django_language"] = "en"
        client.force_login(user)
        client.user = user
        return client

    make.count = 0
    return make


@pytest.fixture
def mod_client(client_as):
    return client_as(roles.MODERATOR)


@pytest.fixture
def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()
