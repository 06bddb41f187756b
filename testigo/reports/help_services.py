"""The help-services directory (docs/help-services.md): writes (admins, audited) and the reads the
public page and the survivor-pathway replies use.

The directory is small (an organisation lists tens of services, not thousands), so the nearest
services are found by computing every active service's distance in Python: no geo index needed.
"""

from __future__ import annotations

import math

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from testigo.core import audit, roles
from testigo.reports.models import HelpService

FIELDS = ["name", "kind", "lat", "lon", "address", "hours", "languages", "phone", "website", "nationwide",
          "is_active"]
# How many services a reply lists: enough to have a choice, few enough for one or two SMS.
REPLY_SERVICES = 3
EARTH_RADIUS_M = 6_371_000


def _validate(service: HelpService) -> None:
    if (service.lat is None) != (service.lon is None):
        raise ValidationError(_("Give both latitude and longitude, or neither."))
    if not (service.phone or service.website or service.address):
        raise ValidationError(_("Give at least a phone, a website or an address, so people can reach the service."))
    service.full_clean()


@transaction.atomic
def save_service(*, actor, service: HelpService | None = None, **fields) -> HelpService:
    """Create (service None) or edit a help service; audited with its fields. Raises ValidationError."""
    roles.require(actor, roles.MANAGE_CATEGORIES)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    created = service is None
    service = HelpService() if created else HelpService.objects.select_for_update().get(pk=service.pk)
    for field, value in fields.items():
        setattr(service, field, value.strip() if isinstance(value, str) else value)
    _validate(service)
    service.save()
    audit.record(action="help_service.created" if created else "help_service.edited", actor=actor, obj=service,
                 data={f: getattr(service, f) for f in FIELDS})
    return service


def active_services() -> list[HelpService]:
    return list(HelpService.objects.filter(is_active=True).order_by("kind", "name"))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def nearest(*, lat: float | None, lon: float | None, limit: int = REPLY_SERVICES) -> list[HelpService]:
    """The services to offer someone: the nearest active ones with a location when `lat`/`lon` are
    known; without a location, the nationwide ones (hotlines first)."""
    services = active_services()
    if lat is not None and lon is not None:
        placed = [s for s in services if s.lat is not None]
        placed.sort(key=lambda s: distance_m(lat, lon, s.lat, s.lon))
        nationwide = [s for s in services if s.nationwide and s not in placed[:limit]]
        return (placed + nationwide)[:limit]
    nationwide = [s for s in services if s.nationwide]
    nationwide.sort(key=lambda s: (s.kind != HelpService.Kind.HOTLINE, s.name))
    return nationwide[:limit]


def contacts_message(*, lat: float | None, lon: float | None) -> str:
    """"Useful contacts:" and the nearest services, one a line, in the active language ("" when the
    directory has none to offer). Neutral: nothing says what the contacts are for."""
    lines = reply_lines(nearest(lat=lat, lon=lon))
    return "\n".join([_("Useful contacts:"), *lines]) if lines else ""


def reply_lines(services: list[HelpService]) -> list[str]:
    """One short line per service for an SMS or e-mail: its name and how to reach it. Neutral: the
    kind of service is left out, so the message says nothing about why it was sent."""
    lines = []
    for service in services:
        reach = service.phone or service.website or service.address
        lines.append(f"{service.name}: {reach}")
    return lines
