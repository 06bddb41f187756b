"""Promise (issue #21): a link to a public page shared on a social network or a blog previews well
— OpenGraph and Twitter card meta with the public title and (truncated) description, an absolute
address, the site name and language — and previews nothing private: no contact, no redacted
words, no exact location, no photo staff did not make public. Pages also announce their Atom feed."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from testigo.reports import services
from testigo.reports.models import Category

pytestmark = pytest.mark.django_db

EXACT_LAT, EXACT_LON = 14.0723417, -87.1921583


class HeadMeta(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.feeds: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("property") or attrs.get("name")):
            self.meta[attrs.get("property") or attrs.get("name")] = attrs.get("content")
        if tag == "link" and attrs.get("rel") == "alternate" and attrs.get("type") == "application/atom+xml":
            self.feeds.append(attrs)


def publish(report, actor):
    services.verify(report=report, actor=actor)
    return services.publish(report=report, actor=actor)


@pytest.fixture
def shared_report(report_factory, admin_user, make_image):
    long_text = "Lo vio Juan Pérez <script>alert(1)</script> \"armado\". " + "Más detalles. " * 40
    report = report_factory(title="Robo con nombre Juan Pérez", description=long_text, lat=EXACT_LAT, lon=EXACT_LON,
                            reporter_name="Marta Secreta", reporter_contact="marta.secreta@example.org",
                            photos=[("foto.jpg", make_image("JPEG", (20, 10)))])
    services.redact(report=report, actor=admin_user, phrases=["Juan Pérez"])
    return publish(report, admin_user)


FORBIDDEN = ["Marta Secreta", "marta.secreta@example.org", "Juan Pérez", str(EXACT_LAT), str(EXACT_LON)]


def test_a_report_page_previews_its_public_title_and_text(client, shared_report):
    html = client.get(reverse("public:report_detail", args=[shared_report.reference])).content.decode()
    meta = HeadMeta(html).meta
    assert meta["og:title"] == meta["twitter:title"] == "Robo con nombre [█]"
    assert meta["og:type"] == "article"
    assert meta["og:site_name"] == "Testigo"
    assert meta["og:locale"] == "es_LA"
    assert meta["og:url"] == "http://testserver" + reverse("public:report_detail", args=[shared_report.reference])
    description = meta["og:description"]
    assert description.startswith("Lo vio [█] <script>alert(1)</script> \"armado\".") and len(description) <= 200
    assert "<script>alert(1)</script>" not in html.split("</head>")[0]  # escaped in the attribute
    # The photo is not public yet: a plain summary card, no image.
    assert meta["twitter:card"] == "summary" and "og:image" not in meta
    head = html.split("</head>")[0]
    for forbidden in FORBIDDEN + ["/media/p/"]:
        assert forbidden not in head, forbidden


def test_a_public_photo_makes_a_large_image_card(client, shared_report, admin_user):
    media = shared_report.media.get()
    services.set_media_public(media=media, actor=admin_user, is_public=True)
    meta = HeadMeta(client.get(reverse("public:report_detail", args=[shared_report.reference])).content.decode()).meta
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["og:image"] == "http://testserver" + reverse("public:public_media", args=[media.pk])
    assert client.get(meta["og:image"].removeprefix("http://testserver")).status_code == 200


def test_the_site_address_setting_makes_the_links_absolute(client, shared_report, settings):
    settings.SITE_URL = "https://testigo.example.org"
    meta = HeadMeta(client.get(reverse("public:report_list")).content.decode()).meta
    assert meta["og:url"] == "https://testigo.example.org/reports/"


def test_english_pages_preview_in_english(shared_report):
    client = Client()
    client.cookies["django_language"] = "en"
    meta = HeadMeta(client.get(reverse("public:home")).content.decode()).meta
    assert meta["og:locale"] == "en_US" and meta["og:title"] == "Testigo"
    assert meta["og:description"]


@pytest.mark.parametrize("url", ["public:home", "public:report_list", "public:guides", "public:help_services"])
def test_public_pages_preview_and_announce_the_reports_feed(client, db, url):
    page = HeadMeta(client.get(reverse(url)).content.decode())
    assert page.meta["og:title"] and page.meta["og:description"] and page.meta["twitter:card"] == "summary"
    assert page.meta["og:url"].startswith("http://testserver/")
    assert reverse("public:feed_reports") in [f["href"] for f in page.feeds]


def test_a_list_filtered_by_a_category_announces_its_feed(client, category):
    page = HeadMeta(client.get(reverse("public:report_list") + f"?category={category.parent.pk}").content.decode())
    assert reverse("public:feed_category", args=[category.parent.slug]) in [f["href"] for f in page.feeds]
    sensitive = Category.objects.create(slug="violencia", name_es="Violencia", name_en="Violence", sensitive=True)
    page = HeadMeta(client.get(reverse("public:report_list") + f"?category={sensitive.pk}").content.decode())
    assert [f["href"] for f in page.feeds] == [reverse("public:feed_reports")]


def test_discreet_pages_of_the_survivor_pathway_carry_no_preview(client, db):
    sensitive = Category.objects.create(slug="violencia", name_es="Violencia", name_en="Violence", sensitive=True)
    page = HeadMeta(client.get(reverse("public:report_new") + f"?category={sensitive.pk}").content.decode())
    assert page.meta.get("og:title") is None and page.feeds == []
    assert HeadMeta(client.get(reverse("public:report_new")).content.decode()).meta["og:title"] == "Testigo"
