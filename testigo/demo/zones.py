"""Demo alert zones (Honduras' 18 departments, twelve colonias of Tegucigalpa, three cities as a
point and a radius) and one threshold rule."""

from __future__ import annotations

import json
from pathlib import Path

from testigo.alerts import services as alert_services
from testigo.alerts import zones as zone_services
from testigo.alerts.models import Rule, Zone
from testigo.alerts.text import fold
from testigo.core import roles
from testigo.demo import in_language
from testigo.reports.models import Category

# Where the shapes come from, their licences and accuracy: SOURCE.md next to this file.
DEPARTMENTS_FILE = Path(__file__).with_name("departamentos_honduras.geojson")
COLONIAS_FILE = Path(__file__).with_name("colonias_tegucigalpa.geojson")
# (name, centre lat, centre lon, radius in metres): zones drawn as a point and a radius.
CITY_ZONES = [
    ("San Pedro Sula", 15.5050, -88.0250, 6000),
    ("Choloma", 15.6144, -87.9530, 4000),
    ("La Ceiba", 15.7700, -86.7920, 4000),
]
RULE_CATEGORY = "robo"


def zone_names(path: Path) -> list[str]:
    return [f["properties"]["name"] for f in json.loads(path.read_text("utf-8"))["features"]]


def seed_zones() -> int:
    """Create the demo zones that do not exist yet; returns how many were created."""
    existing = set(Zone.objects.values_list("key", flat=True))
    created = 0
    for path in (DEPARTMENTS_FILE, COLONIAS_FILE):
        if not existing & {fold(n) for n in zone_names(path)}:
            # The same path as the console's upload: validated, repaired, all or nothing, audited.
            zones, _warnings = zone_services.import_zones(actor=roles.SYSTEM, filename=path.name, data=path.read_bytes())
            created += len(zones)
    for name, lat, lon, radius_m in CITY_ZONES:
        if fold(name) not in existing:
            zone_services.create_zone(actor=roles.SYSTEM, name_es=name, name_en=name, lat=lat, lon=lon, radius_m=radius_m)
            created += 1
    return created


def seed_rule() -> Rule | None:
    """One threshold rule (three robberies within 1 km in 24 hours), waiting for approval."""
    name = in_language("Tres robos a menos de 1 km en 24 horas", "Three robberies within 1 km in 24 hours")
    category = Category.objects.filter(slug=RULE_CATEGORY).first()
    if category is None or Rule.objects.filter(name=name).exists():
        return None
    return alert_services.save_rule(
        actor=roles.SYSTEM, name=name, category=category, min_reports=3, radius_m=1000, hours=24,
        verified_only=True, send_immediately=False,
        message_es="Alerta: se han reportado varios robos en su zona en las últimas 24 horas. "
                   "Evite caminar solo y reporte lo que vea.",
        message_en="Alert: several robberies have been reported in your area in the last 24 hours. "
                   "Avoid walking alone and report what you see.")
