"""Photos reach the public only when both the photo and its report are public."""

from __future__ import annotations

import pytest
from django.urls import reverse

from testigo.reports import services
from testigo.reports.models import Report


@pytest.fixture
def report_with_photo(report_factory, make_image):
    return report_factory(photos=[("foto.jpg", make_image("JPEG", (20, 10)))])


def publish(report, actor):
    services.verify(report=report, actor=actor)
    return services.publish(report=report, actor=actor)


def media_url(report):
    return reverse("public:public_media", args=[report.media.get().pk])


def test_public_photo_of_published_report_is_served_safely(client, report_with_photo, admin_user):
    publish(report_with_photo, admin_user)
    media = report_with_photo.media.get()
    services.set_media_public(media=media, actor=admin_user, is_public=True)
    response = client.get(media_url(report_with_photo))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert "max-age" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body[:2] == b"\xff\xd8" and len(body) == media.size
    page = client.get(reverse("public:report_detail", args=[report_with_photo.reference])).content.decode()
    assert media_url(report_with_photo) in page


def test_private_photo_of_published_report_is_not_served(client, report_with_photo, admin_user):
    publish(report_with_photo, admin_user)
    assert client.get(media_url(report_with_photo)).status_code == 404
    page = client.get(reverse("public:report_detail", args=[report_with_photo.reference])).content.decode()
    assert media_url(report_with_photo) not in page


@pytest.mark.parametrize("status", ["new", "verified", "archived"])
def test_public_photo_of_unpublished_report_is_not_served(client, report_with_photo, admin_user, status):
    media = report_with_photo.media.get()
    services.set_media_public(media=media, actor=admin_user, is_public=True)
    Report.objects.filter(pk=report_with_photo.pk).update(status=status)
    assert client.get(media_url(report_with_photo)).status_code == 404


def test_unknown_photo_is_not_found(client, db):
    assert client.get(reverse("public:public_media", args=[987654])).status_code == 404
