"""The help-services directory (issue #21): administrators list shelters, hotlines, legal aid and
health services in the console; the public reads the active ones on /help/, without JavaScript."""

from __future__ import annotations

import pytest

from testigo.core.models import AuditEvent
from testigo.reports.models import HelpService

pytestmark = pytest.mark.usefixtures("english")

SERVICE = {"name": "Casa Esperanza", "kind": "shelter", "address": "Col. Kennedy, Tegucigalpa", "lat": "14.08",
           "lon": "-87.2", "hours": "24 hours", "languages": "Spanish, Garifuna", "phone": "+504 2222-1111",
           "website": "https://casa.example.org/", "is_active": "on"}


def test_an_admin_adds_a_service_and_the_public_sees_it(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/console/help-services/new/", SERVICE)
    assert response.status_code == 302, response.content.decode()[:3000]
    service = HelpService.objects.get()
    assert (service.kind, service.lat, service.lon) == ("shelter", 14.08, -87.2)
    assert AuditEvent.objects.filter(action="help_service.created").exists()
    assert "Casa Esperanza" in client.get("/console/help-services/").content.decode()
    client.logout()
    html = client.get("/help/").content.decode()
    for text in ("Casa Esperanza", "Shelter", "+504 2222-1111", 'href="tel:+50422221111"', "24 hours",
                 "Spanish, Garifuna", 'href="https://casa.example.org/" rel="noreferrer noopener"'):
        assert text in html, text
    assert "<script" not in html.split("</main>")[0]  # the list needs no JavaScript


def test_an_inactive_service_is_not_shown(client, admin_user):
    client.force_login(admin_user)
    client.post("/console/help-services/new/", {**SERVICE, "is_active": ""})
    client.logout()
    assert "Casa Esperanza" not in client.get("/help/").content.decode()


def test_a_service_nobody_can_reach_is_refused_with_the_reason(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/console/help-services/new/", {**SERVICE, "phone": "", "website": "", "address": ""})
    assert response.status_code == 200
    assert "Give at least a phone, a website or an address" in response.content.decode()
    assert not HelpService.objects.exists()


def test_only_those_who_manage_categories_edit_the_directory(client, moderator):
    client.force_login(moderator)
    response = client.post("/console/help-services/new/", SERVICE)
    assert response.status_code in (302, 403)
    assert not HelpService.objects.exists()


def _two_located_services():
    HelpService.objects.create(name="Casa Esperanza", kind="shelter", lat=14.08, lon=-87.2, phone="+504 2222-1111")
    HelpService.objects.create(name="Centro Norte", kind="legal", lat=15.5, lon=-88.03, phone="+504 2550-0000")
    HelpService.objects.create(name="Línea 114", kind="hotline", phone="114", nationwide=True)


def test_with_javascript_the_help_page_maps_the_located_services(page, transactional_db):
    _two_located_services()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: "Refused" in msg.text and errors.append(msg.text))
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto("/help/")
    page.locator("#help-map").wait_for(state="visible")
    assert page.locator("#help-map path.leaflet-interactive").count() == 2  # the hotline has no place
    assert not errors, errors


def test_without_javascript_the_help_page_is_the_list(nojs_page, transactional_db):
    _two_located_services()
    nojs_page.goto("/help/")
    assert nojs_page.locator("#help-map").is_hidden()
    assert nojs_page.locator(".help-service").count() == 3
