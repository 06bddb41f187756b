"""Promise (issue #21): a blog, an RSS reader or IFTTT can follow the published reports — all of
them, one category (with its subcategories) or one alert zone — as Atom 1.0 feeds. A feed carries
only what the public report page shows: never a contact, a note, redacted words, the exact
location, nor a confidential or survivor-pathway report. The feed reads the public order's index
with a LIMIT, so it stays fast at a million reports."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse

from testigo.alerts.models import Zone
from testigo.public.feeds import ENTRIES, ZONE_WINDOW
from testigo.reports import services
from testigo.reports.models import Category, Report
from testigo.reports.selectors import ReportFilters, public_reports
from tests.reports.test_promise_the_public_list_reads_a_few_index_entries_not_every_published_report import (
    _assert_walks_the_index,
    million_report_statistics,  # noqa: F401 - fixture
    plan_like_a_big_table,  # noqa: F401 - fixture
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
GEORSS = "{http://www.georss.org/georss}"
EXACT_LAT, EXACT_LON = 14.0723417, -87.1921583


@pytest.fixture
def secret_report(report_factory, publish, admin_user):
    report = report_factory(title="Robo con nombre Juan Pérez", description="Lo vio Juan Pérez <b>armado</b> & solo.",
                            lat=EXACT_LAT, lon=EXACT_LON, reporter_name="Marta Secreta",
                            reporter_contact="marta.secreta@example.org")
    services.add_note(report=report, actor=admin_user, text="NOTA-INTERNA-7731")
    services.redact(report=report, actor=admin_user, phrases=["Juan Pérez"])
    return publish(report)


FORBIDDEN = ["Marta Secreta", "marta.secreta@example.org", "NOTA-INTERNA-7731", "Juan Pérez",
             str(EXACT_LAT), str(EXACT_LON), f"{EXACT_LAT:.5f}", f"{EXACT_LON:.5f}", f"{EXACT_LAT:.4f}"]


def read_feed(url: str, client: Client | None = None) -> tuple[str, ET.Element]:
    response = (client or Client()).get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/atom+xml")
    text = response.content.decode()
    root = ET.fromstring(response.content)
    # RFC 4287: a feed has id, title, updated; every entry id, title, updated and a link.
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{name}") or "").strip(), name
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "published"):
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), name
        assert entry.find(f"{ATOM}link").get("href").startswith("http")
    return text, root


def titles(root: ET.Element) -> list[str]:
    return [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]


def test_the_feed_of_published_reports_shows_the_public_projection_only(secret_report, report_factory, publish):
    hidden = publish(report_factory(title="Confidencial publicado"))
    Report.objects.filter(pk=hidden.pk).update(visibility=Report.Visibility.CONFIDENTIAL)
    report_factory(title="Sin publicar")
    text, root = read_feed(reverse("public:feed_reports"))
    assert titles(root) == ["Robo con nombre [█]"]
    entry = root.find(f"{ATOM}entry")
    link = entry.find(f"{ATOM}link").get("href")
    assert link == "http://testserver" + reverse("public:report_detail", args=[secret_report.reference])
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == ["Robo"]
    # The description is escaped text: a reader shows the "<b>" the reporter typed, runs nothing.
    summary = entry.find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert "&lt;b&gt;armado&lt;/b&gt; &amp; solo" in summary.text and "<b>" not in summary.text
    secret_report.refresh_from_db()
    assert entry.findtext(f"{GEORSS}point") == f"{secret_report.public_lat:.5f} {secret_report.public_lon:.5f}"
    for forbidden in FORBIDDEN + ["Confidencial publicado", "Sin publicar"]:
        assert forbidden not in text, forbidden


def test_the_feed_speaks_the_site_language_or_the_one_asked_for(published_report):
    _text, root = read_feed(reverse("public:feed_reports"))
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "es"
    text, root = read_feed(reverse("public:feed_reports") + "?lang=en")
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert "Robbery" in text


def test_a_category_feed_holds_its_subcategories_and_nothing_else(report_factory, publish, category):
    other = Category.objects.create(slug="agua", name_es="Agua", name_en="Water")
    publish(report_factory(title="Robo en la parada"))
    publish(report_factory(title="Sin agua", categories=[other]))
    _text, root = read_feed(reverse("public:feed_category", args=[category.parent.slug]))
    assert titles(root) == ["Robo en la parada"]
    _text, root = read_feed(reverse("public:feed_category", args=["agua"]))
    assert titles(root) == ["Sin agua"]
    assert Client().get(reverse("public:feed_category", args=["no-existe"])).status_code == 404


def test_a_survivor_pathway_category_has_no_feed(db):
    Category.objects.create(slug="violencia", name_es="Violencia doméstica", name_en="Domestic violence",
                            sensitive=True)
    assert Client().get(reverse("public:feed_category", args=["violencia"])).status_code == 404


def square(lat: float, lon: float, half: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon - half, lat - half], [lon + half, lat - half],
                                                [lon + half, lat + half], [lon - half, lat + half],
                                                [lon - half, lat - half]]]}


def test_a_zone_feed_holds_the_reports_whose_public_point_is_in_the_zone(report_factory, publish):
    near = publish(report_factory(title="En la colonia"))
    publish(report_factory(title="En San Pedro Sula", lat=15.5042, lon=-88.0250))
    zone = Zone.objects.create(name_es="Colonia Kennedy", key="colonia kennedy",
                               geometry=square(near.public_lat, near.public_lon, 0.001))
    for key in (str(zone.pk), "colonia-kennedy"):
        text, root = read_feed(reverse("public:feed_zone", args=[key]))
        assert titles(root) == ["En la colonia"]
        assert "Colonia Kennedy" in root.findtext(f"{ATOM}title")
    assert Client().get(reverse("public:feed_zone", args=["otra-zona"])).status_code == 404


def test_a_zone_feed_uses_the_public_point_never_the_exact_one(report_factory, publish):
    """A zone drawn tightly around the EXACT location, missing the fuzzed point, must not find the
    report: otherwise narrowing zones would reveal where the reporter was."""
    report = publish(report_factory(title="Punto exacto", lat=EXACT_LAT, lon=EXACT_LON))
    assert abs(report.public_lat - EXACT_LAT) > 0.0002 or abs(report.public_lon - EXACT_LON) > 0.0002
    Zone.objects.create(name_es="Esquina", key="esquina", geometry=square(EXACT_LAT, EXACT_LON, 0.0001))
    _text, root = read_feed(reverse("public:feed_zone", args=["esquina"]))
    assert titles(root) == []


def test_the_feed_holds_the_newest_fifty(report_factory, publish):
    for i in range(ENTRIES + 2):
        publish(report_factory(title=f"Reporte {i:02d}"))
    _text, root = read_feed(reverse("public:feed_reports"))
    assert len(titles(root)) == ENTRIES
    assert titles(root)[0] == f"Reporte {ENTRIES + 1:02d}"


def test_the_feed_query_walks_the_public_order_index_with_a_limit(million_report_statistics):  # noqa: F811
    _assert_walks_the_index(public_reports(ReportFilters(), paged=True).values("id")[:ENTRIES].explain())
    category = Category.objects.create(slug="luz", name_es="Luz", name_en="Power")
    filters = ReportFilters(categories=[category.id])
    _assert_walks_the_index(public_reports(filters, paged=True).values("id")[:ENTRIES].explain())
    # A zone feed reads the public points of at most ZONE_WINDOW newest reports, from the same index.
    points = public_reports(paged=True).values_list("id", "public_lat", "public_lon")[:ZONE_WINDOW]
    _assert_walks_the_index(points.explain())
