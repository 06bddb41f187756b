"""Public list and report pages: only published, public reports; never contact, notes,
exact coordinates or staff-only fields."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from testigo.reports import services
from testigo.reports.models import Category, Report

EXACT_LAT, EXACT_LON = 14.0723417, -87.1921583


@pytest.fixture
def secret_report(report_factory, publish, admin_user):
    """A published report carrying everything the public must never see."""
    report = report_factory(title="Robo con nombre Juan Pérez", description="Lo vio Juan Pérez en la esquina.",
                            lat=EXACT_LAT, lon=EXACT_LON, reporter_name="Marta Secreta",
                            reporter_contact="marta.secreta@example.org")
    services.add_note(report=report, actor=admin_user, text="NOTA-INTERNA-7731")
    services.redact(report=report, actor=admin_user, phrases=["Juan Pérez"])
    return publish(report)


def forbidden_strings(report) -> list[str]:
    return ["Marta Secreta", "marta.secreta@example.org", "NOTA-INTERNA-7731", "Juan Pérez",
            str(EXACT_LAT), str(EXACT_LON), f"{EXACT_LAT:.5f}", f"{EXACT_LON:.5f}"]


def test_detail_shows_the_public_projection_only(en_client, secret_report):
    html = en_client.get(reverse("public:report_detail", args=[secret_report.reference])).content.decode()
    assert "Robo con nombre [█]" in html and "Robbery" in html and "Colonia Kennedy" in html
    assert "approximate location, within about 930 m" in html  # geo.fuzz.max_distance_m(500)
    for text in forbidden_strings(secret_report):
        assert text not in html, text
    secret_report.refresh_from_db()
    assert f"{secret_report.public_lat:f}" in html  # the fuzzed point is what the map gets


def test_list_shows_published_reports_without_private_fields(en_client, secret_report):
    html = en_client.get(reverse("public:report_list")).content.decode()
    assert reverse("public:report_detail", args=[secret_report.reference]) in html
    assert "Robbery" in html
    for text in forbidden_strings(secret_report):
        assert text not in html, text


@pytest.mark.parametrize("status", ["new", "in_review", "verified", "rejected", "archived"])
def test_unpublished_report_is_not_public(en_client, report_factory, admin_user, status):
    report = report_factory(title=f"Oculto {status}")
    Report.objects.filter(pk=report.pk).update(status=status)
    assert en_client.get(reverse("public:report_detail", args=[report.reference])).status_code == 404
    assert f"Oculto {status}" not in en_client.get(reverse("public:report_list")).content.decode()


@pytest.mark.parametrize("visibility", ["restricted", "confidential"])
def test_published_but_not_public_report_is_not_shown(en_client, report_factory, publish, visibility):
    report = publish(report_factory(title="Solo personal"))
    Report.objects.filter(pk=report.pk).update(visibility=visibility)
    assert en_client.get(reverse("public:report_detail", args=[report.reference])).status_code == 404
    assert "Solo personal" not in en_client.get(reverse("public:report_list")).content.decode()


def test_list_filters_by_category_text_and_date(en_client, report_factory, publish, category):
    other = Category.objects.create(slug="incendio", name_es="Incendio", name_en="Fire")
    now = timezone.now()
    publish(report_factory(title="Asalto en bus", occurred_at=now - timedelta(days=10)))
    publish(report_factory(title="Incendio forestal", categories=[other], occurred_at=now - timedelta(days=1)))
    url = reverse("public:report_list")

    def titles(**params):
        html = en_client.get(url, params).content.decode()
        return {t for t in ("Asalto en bus", "Incendio forestal") if t in html}

    assert titles() == {"Asalto en bus", "Incendio forestal"}
    assert titles(category=category.parent_id) == {"Asalto en bus"}  # parent includes children
    assert titles(category=other.pk) == {"Incendio forestal"}
    assert titles(q="forestal") == {"Incendio forestal"}
    assert titles(date_from=(now - timedelta(days=3)).date().isoformat()) == {"Incendio forestal"}
    assert titles(date_to=(now - timedelta(days=5)).date().isoformat()) == {"Asalto en bus"}


def test_bad_filter_values_are_reported_not_a_server_error(en_client, published_report):
    response = en_client.get(reverse("public:report_list"), {"date_from": "not-a-date", "category": "abc",
                                                            "page": "zzz"})
    assert response.status_code == 200
    assert response.context["form"].errors["date_from"]
    assert published_report.public_title in response.content.decode()


def test_list_is_paginated_by_twenty(en_client, report_factory, publish):
    for i in range(21):
        publish(report_factory(title=f"Informe {i:02d}"))
    first = en_client.get(reverse("public:report_list"), {"q": "Informe"})
    assert len(first.context["reports"]) == 20
    assert "q=Informe&amp;page=2" in first.content.decode()
    second = en_client.get(reverse("public:report_list"), {"q": "Informe", "page": 2})
    assert len(second.context["reports"]) == 1


def test_occurred_date_is_shown_in_the_list(en_client, report_factory, publish):
    moment = timezone.make_aware(datetime(2024, 3, 5, 10, 0))
    publish(report_factory(occurred_at=moment))
    assert 'datetime="2024-03-05T10:00:00' in en_client.get(reverse("public:report_list")).content.decode()
