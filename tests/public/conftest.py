"""Fixtures for the public site tests: a valid form submission and small real images."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from tests.conftest import speak_english


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def make_image():
    return image_bytes


@pytest.fixture
def en_client(db) -> Client:
    """A client that asks for English, so page text can be checked before translations exist."""
    return speak_english(Client())


@pytest.fixture
def form_data(category) -> dict:
    yesterday = timezone.localdate() - timedelta(days=1)
    return {
        "title": "Asalto en la parada",
        "description": "Dos hombres armados asaltaron el bus de la ruta 5.",
        "category": str(category.pk),
        "occurred_date": yesterday.isoformat(),
        "occurred_time": "18:30",
        "place_name": "Colonia Kennedy, Tegucigalpa",
        "lat": "",
        "lon": "",
        "reporter_name": "",
        "reporter_contact": "",
    }
