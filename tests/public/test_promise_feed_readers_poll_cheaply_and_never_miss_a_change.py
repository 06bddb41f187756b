"""Feed readers poll every few minutes (docs/feeds.md): a feed says when it last changed
(Last-Modified from its newest entry) and what it is (an ETag, a digest of the feed as sent), may be
kept five minutes by anyone (Cache-Control: public, max-age=300), and a reader whose copy is
current gets 304 Not Modified with no body. Any change readers must see — a new entry, an older
entry withdrawn from the public, the other language — changes the ETag."""

from __future__ import annotations

import pytest
from django.utils.http import http_date

from testigo.reports import services
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db

FEED = "/feeds/reports.atom"


@pytest.fixture
def two_published(report_factory, publish):
    older = publish(report_factory(title="Bache en la avenida"))
    newer = publish(report_factory(title="Robo en la parada"))
    return older, newer


def test_a_feed_says_when_it_changed_and_may_be_kept_five_minutes(client, two_published):
    response = client.get(FEED)
    assert response.status_code == 200
    assert response["ETag"].startswith('"') and len(response["ETag"]) > 10
    assert response["Last-Modified"] == http_date(two_published[1].published_at.timestamp())
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"public", "max-age=300"} <= cache_control


def test_a_reader_with_a_current_copy_gets_304_without_a_body(client, two_published):
    first = client.get(FEED)
    again = client.get(FEED, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"]
    by_date = client.get(FEED, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert by_date.status_code == 304 and by_date.content == b""


def test_a_new_entry_or_a_withdrawn_one_is_sent_again(client, two_published, report_factory, publish, admin_user):
    older, _newer = two_published
    first = client.get(FEED)
    services.update_report(report=older, actor=admin_user, visibility=Report.Visibility.RESTRICTED)
    changed = client.get(FEED, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and b"Bache en la avenida" not in changed.content
    assert changed["ETag"] != first["ETag"]
    publish(report_factory(title="Incendio en el mercado"))
    newest = client.get(FEED, HTTP_IF_NONE_MATCH=changed["ETag"], HTTP_IF_MODIFIED_SINCE=changed["Last-Modified"])
    assert newest.status_code == 200 and b"Incendio en el mercado" in newest.content


def test_each_language_is_its_own_copy(client, two_published):
    spanish = client.get(FEED + "?lang=es")
    english = client.get(FEED + "?lang=en", HTTP_IF_NONE_MATCH=spanish["ETag"])
    assert english.status_code == 200 and english["ETag"] != spanish["ETag"]


def test_a_category_feed_answers_304_too(client, two_published, category):
    url = f"/feeds/reports/category/{category.slug}.atom"
    first = client.get(url)
    assert first.status_code == 200
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_a_missing_feed_is_still_not_found(client, db):
    response = client.get("/feeds/reports/category/no-such-category.atom", HTTP_IF_NONE_MATCH='"x"')
    assert response.status_code == 404
