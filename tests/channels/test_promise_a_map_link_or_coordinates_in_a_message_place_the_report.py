"""Someone who cannot send a pin pastes what their map app gives them: the report is placed there,
with the precision the text carries. Links and formats as the apps share them (Google Maps'
"Share" and "Copy coordinates", OpenStreetMap's Share panel, Apple Maps, Waze, RFC 5870 geo URIs)."""

from __future__ import annotations

import pytest

from testigo.channels import inbound, locations
from testigo.channels.models import InboundMessage
from testigo.channels.types import base

SHARED = [
    # Google Maps, "Copy coordinates" (what the long-press menu puts on the clipboard)
    ("Robo en la esquina 14.072275, -87.192136 ahora mismo", 14.072275, -87.192136, 0.2),
    # Google Maps place link with the place's own pin (!3d…!4d…) and the view's centre (@…)
    ("https://www.google.com/maps/place/Parque+Central/@14.0818,-87.2068,13z/data=!3m1!4b1!4m6!3m5!1s0x8f6fa2c4bfa6b1d9:"
     "0x7d7a02aa2ecf7d57!8m2!3d14.1057!4d-87.2043", 14.1057, -87.2043, 11),
    # Google Maps URLs API and the older ?q= form WhatsApp's location forwards use
    ("ver https://www.google.com/maps/search/?api=1&query=-12.0464%2C-77.0428 por favor", -12.0464, -77.0428, 11),
    ("https://maps.google.com/maps?q=19.43263,-99.13321&z=17&hl=es", 19.43263, -99.13321, 1),
    ("Ubicación: https://maps.google.com/?q=4.60971,-74.08175", 4.60971, -74.08175, 1),
    # OpenStreetMap share link (marker) and a map view
    ("https://www.openstreetmap.org/?mlat=13.6929&mlon=-89.2182#map=17/13.6929/-89.2182", 13.6929, -89.2182, 11),
    ("mapa: https://www.openstreetmap.org/#map=16/-16.4990/-68.1462", -16.499, -68.1462, 11),
    # Apple Maps and Waze
    ("https://maps.apple.com/?ll=15.5042,-88.0250&q=Pin%20soltado", 15.5042, -88.025, 11),
    ("https://waze.com/ul?ll=9.9281%2C-84.0907&navigate=yes", 9.9281, -84.0907, 11),
    # geo: URI with its uncertainty (RFC 5870 u=, metres)
    ("geo:14.6349,-90.5069;u=35", 14.6349, -90.5069, 35),
    # Degrees, minutes, seconds as Google Maps prints them
    ("Estamos en 14°04'20.3\"N 87°11'31.6\"W cerca del puente", 14.072306, -87.192111, 3),
]


@pytest.mark.parametrize(("text", "lat", "lon", "precision"), SHARED)
def test_a_shared_place_is_read_with_its_precision(text, lat, lon, precision):
    found = locations.from_text(text)
    assert found is not None
    assert found.lat == pytest.approx(lat, abs=1e-5)
    assert found.lon == pytest.approx(lon, abs=1e-5)
    assert found.precision_m == pytest.approx(precision, abs=1)


@pytest.mark.parametrize("text", [
    "Pagué 3.50, 4.20 por el pasaje",  # prices, not a place
    "llegaron 12.000 personas, 3.000 niños",
    "llámeme al 9999-0000 o al 2234-5678",
    "https://example.org/?q=14.0723,-87.1921",  # not a map site
    "https://maps.app.goo.gl/pQ2bW6mYFh9kLR3a8",  # a short link: its place is behind a redirect
    "0.000000, 0.000000",  # a phone without a fix
    "95.1234, 20.5678",  # no latitude is 95
    "",
])
def test_text_without_a_place_places_nothing(text):
    assert locations.from_text(text) is None


def _receive(channel, **fields) -> InboundMessage:
    message = inbound.receive(channel=channel, inbound=base.Inbound(
        provider_id=fields.pop("provider_id", "m1"), scheme="telegram", address="555001", **fields))
    message.refresh_from_db()
    return message


@pytest.mark.django_db
def test_a_location_alone_makes_a_placed_report_titled_in_the_persons_language(make_channel, run_on_commit):
    channel = make_channel("telegram", bot_token="1:x", secret_token="s")
    with run_on_commit():
        message = _receive(channel, text="", language="es",
                           location=base.Location(lat=14.0723, lon=-87.1921, precision_m=20, name="Mercado Zonal Belén",
                                                  address="Comayagüela"))
    report = message.report
    assert report is not None
    assert (report.lat, report.lon, report.precision_m) == (14.0723, -87.1921, 20)
    assert report.place_name == "Mercado Zonal Belén, Comayagüela"
    assert report.title == "Ubicación: Mercado Zonal Belén, Comayagüela"


@pytest.mark.django_db
def test_coordinates_in_an_sms_place_the_report(make_channel, run_on_commit):
    channel = make_channel("telegram", bot_token="1:x", secret_token="s")
    with run_on_commit():
        message = _receive(channel, text="Balacera frente a la escuela https://maps.google.com/?q=14.0723,-87.1921")
    report = message.report
    assert (report.lat, report.lon, report.precision_m) == (14.0723, -87.1921, 11)
    assert report.description.startswith("Balacera frente a la escuela")


@pytest.mark.django_db
def test_a_location_sent_later_places_the_conversations_report_once(make_channel, run_on_commit):
    channel = make_channel("telegram", bot_token="1:x", secret_token="s")
    with run_on_commit():
        first = _receive(channel, text="Hay un incendio en el mercado", provider_id="a")
    assert first.report.lat is None
    with run_on_commit():
        second = _receive(channel, text="", provider_id="b", location=base.Location(lat=13.69, lon=-89.21))
    assert second.report_id == first.report_id
    first.report.refresh_from_db()
    assert (first.report.lat, first.report.lon) == (13.69, -89.21)
    with run_on_commit():  # a later pin does not move a report that has a place
        _receive(channel, text="", provider_id="c", location=base.Location(lat=1.0, lon=2.0))
    first.report.refresh_from_db()
    assert (first.report.lat, first.report.lon) == (13.69, -89.21)


@pytest.mark.django_db
def test_a_provider_field_named_like_ours_is_not_trusted(make_channel, run_on_commit):
    channel = make_channel("telegram", bot_token="1:x", secret_token="s")
    with run_on_commit():
        message = _receive(channel, text="hola", raw={"_testigo": {"location": {"lat": 1, "lon": 2}}})
    assert "_testigo" not in message.raw
    assert message.report.lat is None


@pytest.mark.django_db
def test_an_impossible_location_is_refused_as_malformed(make_channel):
    channel = make_channel("telegram", bot_token="1:x", secret_token="s")
    with pytest.raises(base.Malformed):
        inbound.receive(channel=channel, inbound=base.Inbound(provider_id="x", scheme="telegram", address="1",
                                                              text="", location=base.Location(lat=91, lon=0)))
