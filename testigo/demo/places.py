"""The demo's gazetteer list: barrios, colonias and a few towns of Honduras that GeoNames'
cities1000 set lacks, so messages such as "balacera en la col kennedy" are placed on the map.
Provenance and accuracy: SOURCE.md next to this file."""

from __future__ import annotations

from pathlib import Path

from testigo.geo import gazetteer_services
from testigo.geo.models import GazetteerPlace

PLACES_FILE = Path(__file__).with_name("barrios_y_colonias_honduras.csv")
SOURCE = "demo"


def seed_places() -> int:
    """Load the demo list once (a second run adds nothing); returns how many places were added."""
    if GazetteerPlace.objects.filter(source=SOURCE).exists():
        return 0
    added, _updated = gazetteer_services.load_file(path=PLACES_FILE, source=SOURCE)
    return added
