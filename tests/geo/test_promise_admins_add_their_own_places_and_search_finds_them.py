"""Administrators add their colonias, barrios and landmarks (CSV with coordinates, or neighbourhood
shapes in GeoJSON/KML through the zones' reader); every process sees them at once; the console's
place search and the public /api/v1/places answer from the same gazetteer and say nothing about
reports; a bad file is refused with the row to fix and nothing is stored."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from testigo.core import roles
from testigo.geo import extraction, gazetteer, gazetteer_services
from testigo.geo.models import GazetteerPlace

pytestmark = pytest.mark.django_db

CSV = ("name,lat,lon,kind,parent,admin1,alternate_names\n"
       "Colonia Altos de Loarque,14.041,-87.221,colonia,Tegucigalpa,Francisco Morazán,Altos|La Loarque Alta\n"
       "Mercado Zonal Belén,14.0975,-87.2136,landmark,Tegucigalpa,,El Zonal Belen\n")
SHAPES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "Residencial Plaza", "kind": "residencial", "parent": "Choloma"},
     "geometry": {"type": "Polygon", "coordinates": [[[-87.96, 15.60], [-87.95, 15.60], [-87.95, 15.61],
                                                      [-87.96, 15.61], [-87.96, 15.60]]]}}]}
KML = b"""<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>Colonia Los Robles</name><Point><coordinates>-88.01,15.52,0</coordinates></Point></Placemark>
</Document></kml>"""


@pytest.fixture(autouse=True)
def honduras(settings):
    settings.GAZETTEER_COUNTRIES = "HN"


@pytest.fixture(autouse=True)
def in_english():
    """The messages below are asserted in English (the default language is Spanish)."""
    with translation.override("en"):
        yield


def test_a_csv_of_colonias_is_found_in_messages_at_once():
    added, updated = gazetteer_services.import_places(actor=roles.SYSTEM, filename="mis_colonias.csv",
                                                      data=CSV.encode())
    assert (added, updated) == (2, 0)
    found = extraction.extract("asalto en la col altos de loarque", gazetteer.current())[0]
    assert (found.place.name, found.place.admin1, found.place.precision_m) == (
        "Colonia Altos de Loarque", "Francisco Morazán", 1000)
    landmark = extraction.extract("robo frente al zonal belen", gazetteer.current())[0]
    assert landmark.place.name == "Mercado Zonal Belén" and landmark.place.precision_m == 300
    # the same file again updates, never duplicates
    assert gazetteer_services.import_places(actor=roles.SYSTEM, filename="mis_colonias.csv",
                                            data=CSV.replace("14.041", "14.042").encode()) == (0, 2)
    assert GazetteerPlace.objects.count() == 2
    assert gazetteer.current().search("col altos de")[0].lat == 14.042  # every process rebuilds


def test_neighbourhood_shapes_become_places_sized_like_their_shape():
    gazetteer_services.import_places(actor=roles.SYSTEM, filename="res.geojson", data=json.dumps(SHAPES).encode())
    gazetteer_services.import_places(actor=roles.SYSTEM, filename="robles.kml", data=KML)
    plaza = GazetteerPlace.objects.get(name="Residencial Plaza")
    assert 15.60 < plaza.lat < 15.61 and -87.96 < plaza.lon < -87.95
    assert 500 < plaza.precision_m < 1000  # half the diagonal of a ~1 km square
    assert GazetteerPlace.objects.get(name="Colonia Los Robles").kind == "colonia"
    assert extraction.extract("balacera en res plaza choloma", gazetteer.current())[0].place.name == "Residencial Plaza"


@pytest.mark.parametrize(("data", "says"), [
    (b"nombre;x;y\nKennedy;1;2\n", "name, lat and lon"),
    (b"name,lat,lon\nKennedy,14.06,abc\n", "Row 2"),
    (b"name,lat,lon\nKennedy,140,-87\n", "outside the world"),
    (b"name,lat,lon,kind\nKennedy,14,-87,castle\n", "Unknown kind"),
    (b"name,lat,lon\n", "no places"),
])
def test_a_bad_list_is_refused_with_the_row_to_fix_and_nothing_stored(data, says):
    with pytest.raises(ValidationError) as refused:
        gazetteer_services.import_places(actor=roles.SYSTEM, filename="lista.csv", data=data)
    assert says in " ".join(refused.value.messages)
    assert not GazetteerPlace.objects.exists()


def test_only_administrators_of_layers_upload_places(moderator):
    with pytest.raises(PermissionDenied):
        gazetteer_services.import_places(actor=moderator, filename="x.csv", data=CSV.encode())


def test_the_console_page_uploads_lists_and_removes_them(admin_user, client):
    client.force_login(admin_user)
    upload = SimpleUploadedFile("colonias.csv", CSV.encode(), content_type="text/csv")
    response = client.post(reverse("console:places"), {"file": upload})
    assert response.status_code == 302
    page = client.get(reverse("console:places")).content.decode()
    assert "colonias.csv" in page
    bad = SimpleUploadedFile("mala.csv", b"name,lat,lon\nX,abc,1\n", content_type="text/csv")
    refused = client.post(reverse("console:places"), {"file": bad})
    assert refused.status_code == 200 and "Fila 2" in refused.content.decode()  # the console speaks Spanish
    client.post(reverse("console:places_delete_source"), {"source": "colonias.csv"})
    assert not GazetteerPlace.objects.exists()


def test_console_search_is_for_staff_and_answers_gazetteer_data(moderator, client):
    gazetteer_services.import_places(actor=roles.SYSTEM, filename="c.csv", data=CSV.encode())
    url = reverse("console:places_search") + "?q=col+altos"
    assert client.get(url).status_code in (302, 403)
    client.force_login(moderator)
    items = client.get(url).json()["items"]
    assert items[0]["name"] == "Colonia Altos de Loarque" and items[0]["precision_m"] == 1000
    assert client.get(reverse("console:places_search") + "?q=tegucig").json()["items"][0]["name"] == "Tegucigalpa"


def test_the_public_place_search_returns_only_gazetteer_data(client, report_factory):
    report_factory(title="Robo en Kennedy", description="robo en la col kennedy, llamar a Juan 9999-0000")
    response = client.get("/api/v1/places", {"q": "san pedro"})
    assert response.status_code == 200
    items = response.json()["items"]
    assert items[0]["name"] == "San Pedro Sula"
    assert set(items[0]) == {"name", "label", "kind", "lat", "lon", "parent", "admin1", "country", "precision_m"}
    assert "9999" not in response.content.decode()
    assert client.get("/api/v1/places", {"q": "x" * 101}).status_code == 422


def test_the_demo_loads_its_list_once():
    from testigo.demo.places import seed_places

    assert seed_places() > 100
    assert seed_places() == 0
    assert extraction.extract("asalto en bo guamilito", gazetteer.current())[0].place.parent == "San Pedro Sula"
