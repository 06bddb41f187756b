"""An imported file's rows without coordinates are read for place names once each batch is
committed, like any report that arrives without a location (docs/geo.md); rows with
coordinates keep theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from testigo.core import roles
from testigo.geo import gazetteer_services
from testigo.reports.models import Report
from testigo.surveys import importing

pytestmark = pytest.mark.django_db
PLACES = Path(__file__).resolve().parents[1] / "geo" / "corpus" / "places_hn.csv"
CSV = ("Título,Descripción,Lat,Lon\n"
       "Extorsión,extorsion a pulperia en barrio la granja,,\n"
       "Robo,robo en la col kennedy,15.5,-88.02\n"
       "Amenaza,me amenazaron por telefono,,\n")
MAPPING = {"columns": {"Título": "title", "Descripción": "description", "Lat": "lat", "Lon": "lon"}}


def test_rows_without_coordinates_are_placed_and_the_others_kept(admin_user, settings,
                                                                 django_capture_on_commit_callbacks):
    settings.GAZETTEER_COUNTRIES = "HN"
    gazetteer_services.import_places(actor=roles.SYSTEM, filename="places_hn.csv", data=PLACES.read_bytes())
    imp = importing.create_import(actor=admin_user, name="datos.csv", data=CSV.encode())
    importing.set_mapping(actor=admin_user, imp=imp, mapping_json=MAPPING)
    with django_capture_on_commit_callbacks(execute=True):
        importing.start(actor=admin_user, imp=imp)
    granja = Report.objects.get(title="Extorsión")
    assert granja.location_from_text and granja.place_suggestions[0]["name"] == "Barrio La Granja"
    kept = Report.objects.get(title="Robo")
    assert (kept.lat, kept.lon, kept.location_from_text) == (15.5, -88.02, False)
    assert Report.objects.get(title="Amenaza").lat is None
