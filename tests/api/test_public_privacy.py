"""The public API is exactly the public projection: never an unpublished or non-public report,
an exact location, a contact or a note."""

from __future__ import annotations

import json

import pytest

from testigo.geo.models import Layer


def _public_bodies(client, world) -> dict[str, str]:
    Layer.objects.create(name_es="Privada", name_en="Private", is_public=False,
                         geojson={"type": "FeatureCollection", "features": []})
    urls = ["/api/v1/reports", "/api/v1/reports?limit=100&bbox=-180,-90,180,90", "/api/v1/reports.geojson",
            "/api/v1/reports.csv", "/api/v1/categories", "/api/v1/layers",
            f"/api/v1/reports/{world['public'].reference}"]
    urls += [f"/api/v1/map/clusters?bbox=-180,-90,180,90&zoom={z}" for z in (0, 5, 10, 16, 20)]
    urls += [f"/api/v1/map/clusters?bbox=-87.5,13.8,-86.8,14.5&zoom={z}" for z in (8, 12, 18)]
    bodies = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        bodies[url] = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    return bodies


@pytest.mark.django_db
def test_public_endpoints_never_leak_hidden_reports_locations_or_contacts(client, world):
    bodies = _public_bodies(client, world)
    hidden = [world[k] for k in ("new", "restricted", "confidential")]
    for url, body in bodies.items():
        for report in hidden:
            assert report.reference not in body, url
            assert report.title not in body, url
        for report in (world["public"], world["public2"]):
            assert repr(report.lat) not in body and repr(report.lon) not in body, url
        assert "9999-0000" not in body and "María" not in body, url
        assert "reporter" not in body and "Privada" not in body and "Private" not in body, url
    # ...and the published reports are really there (the test would pass on an empty API otherwise).
    listing = json.loads(bodies["/api/v1/reports"])
    assert {r["reference"] for r in listing["items"]} == {world["public"].reference, world["public2"].reference}
    world_view = json.loads(bodies["/api/v1/map/clusters?bbox=-180,-90,180,90&zoom=16"])
    assert world_view["total"] == 2
    points = {p["reference"]: p for p in world_view["points"]}
    world["public"].refresh_from_db()
    assert points[world["public"].reference]["lat"] == world["public"].public_lat


@pytest.mark.django_db
def test_public_cannot_read_a_hidden_report_by_reference(client, world):
    for key in ("new", "restricted", "confidential"):
        response = client.get(f"/api/v1/reports/{world[key].reference}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_staff_token_sees_exact_locations_and_contact_only_with_see_contact(client, world, make_user, token_for):
    analyst = make_user("analyst")
    admin = make_user("admin", username="boss")
    ref = world["new"].reference
    as_analyst = client.get(f"/api/v1/reports/{ref}", **token_for(analyst)).json()
    assert as_analyst["lat"] == world["new"].lat and as_analyst["status"] == "new"
    assert "reporter_contact" not in as_analyst
    as_admin = client.get(f"/api/v1/reports/{ref}", **token_for(admin)).json()
    assert as_admin["reporter_contact"] == "+504 9999-0000"
    # Analysts cannot see confidential reports: role rules apply through the API too.
    assert client.get(f"/api/v1/reports/{world['confidential'].reference}", **token_for(analyst)).status_code == 404
