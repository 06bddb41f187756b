"""Fixtures for alerts: zones around Tegucigalpa, a test SMS channel whose sends are recorded,
and confirmed subscribers."""

from __future__ import annotations

import pytest

from testigo.alerts.models import AlertsState, Subscription, Zone
from testigo.alerts.text import fold
from testigo.channels.types.base import HttpResult
from testigo.core import roles
from tests.channels.conftest import provider, run_on_commit  # noqa: F401 - reused fixtures

KENNEDY = {"type": "Polygon", "coordinates": [[[-87.20, 14.06], [-87.18, 14.06], [-87.18, 14.09],
                                                [-87.20, 14.09], [-87.20, 14.06]]]}
CENTRO = {"type": "Polygon", "coordinates": [[[-87.22, 14.09], [-87.20, 14.09], [-87.20, 14.11],
                                               [-87.22, 14.11], [-87.22, 14.09]]]}


@pytest.fixture
def zones(db):
    AlertsState.objects.get_or_create(pk=1)
    kennedy = Zone.objects.create(name_es="Colonia Kennedy", name_en="Kennedy", key=fold("Colonia Kennedy"),
                                  geometry=KENNEDY)
    centro = Zone.objects.create(name_es="Centro Histórico", key=fold("Centro Histórico"), geometry=CENTRO)
    from testigo.alerts.zones import bump_version

    bump_version()
    return {"kennedy": kennedy, "centro": centro}


@pytest.fixture
def sms_channel(db, provider):  # noqa: F811 - the imported fixture
    """A Kannel channel; the `provider` fake records each sendsms call instead of the network."""
    from testigo.channels import services

    provider.default = HttpResult(202, b"0: Accepted")
    return services.add_channel(actor=roles.SYSTEM, type_code="kannel", name="sms", rate_per_second=1000.0,
                                config={"secret": "k", "sendsms_url": "http://gw.test/sendsms", "username": "u",
                                        "password": "p"})


@pytest.fixture
def subscribe(db):
    from django.utils import timezone

    from testigo.channels.models import Contact

    def make(address: str, *, zones=(), categories=(), lat=None, lon=None, radius_m=None, language="es",
             channel=None):
        contact, _ = Contact.objects.get_or_create(scheme="tel", address=address)
        sub = Subscription.objects.create(contact=contact, channel=channel, language=language, lat=lat, lon=lon,
                                          radius_m=radius_m, confirmed_at=timezone.now())
        sub.zones.set(zones)
        sub.categories.set(categories)
        return sub

    return make
