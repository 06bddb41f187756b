"""The public map's answers kept in memory (api/mapcache.py, issue #19): the same public request
again costs one statement and gets the very bytes and headers the whole stack gave; a publication,
an unpublication, a report made confidential, a title redacted or a change rolled back shows on the
very next request, with counts equal to a brute-force count; staff (session or token) never get
or feed a kept answer; each language gets its own answer; what the middleware refuses stays
refused."""

from __future__ import annotations

import gzip

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from testigo.api import mapcache
from testigo.reports import services
from testigo.reports.models import Report

BOX = (-87.3, 14.0, -87.1, 14.15)
URL = "/api/v1/map/clusters?bbox={},{},{},{}&zoom=18".format(*BOX)  # every report its own point


@pytest.fixture
def published(report_factory, admin_user):
    made = []
    for i in range(4):
        report = report_factory(title=f"Robo {i} cerca de Juan Pérez", lat=14.02 + i * 0.03, lon=-87.25 + i * 0.03)
        services.verify(report=report, actor=admin_user)
        made.append(services.publish(report=report, actor=admin_user))
    return made


def _brute() -> dict[str, str]:
    """reference -> public title of every published public report whose public point is in BOX."""
    west, south, east, north = BOX
    return dict(Report.objects.filter(status="published", visibility="public", public_lat__range=(south, north),
                                      public_lon__range=(west, east)).values_list("reference", "public_title"))


def _shown(client, **headers) -> dict[str, str]:
    body = client.get(URL, **headers).json()
    assert body["total"] == len(body["points"]) + sum(c["count"] for c in body["clusters"])
    assert body["clusters"] == []
    return {p["url"].strip("/").split("/")[-1]: p["title"] for p in body["points"]}


def test_the_same_public_request_is_answered_from_memory_with_the_same_bytes_and_headers(client, published):
    first = client.get(URL, HTTP_ACCEPT_ENCODING="gzip")
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        again = client.get(URL, HTTP_ACCEPT_ENCODING="gzip")
    assert len(queries) == 1 and "geo_mapgeneration" in queries[0]["sql"], [q["sql"][:100] for q in queries]
    assert again.content == first.content
    assert dict(again.items()) == dict(first.items())
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Vary"):
        assert again[header] == first[header]


def test_every_change_shows_on_the_next_request_with_exact_counts(client, published, admin_user):
    a, b, c, d = published
    assert _shown(client) == _brute() and len(_brute()) == 4
    assert _shown(client) == _brute()  # from memory

    services.verify(report=b, actor=admin_user)  # unpublished
    assert _shown(client) == _brute() and b.reference not in _shown(client)

    services.update_report(report=c, actor=admin_user, visibility=Report.Visibility.CONFIDENTIAL)
    assert _shown(client) == _brute() and c.reference not in _shown(client)

    # A redaction changes the public title and no count: the public rows' token catches it.
    services.redact(report=d, actor=admin_user, phrases=["Juan Pérez"])
    shown = _shown(client)
    assert shown == _brute() and "Juan Pérez" not in shown[d.reference]

    services.publish(report=b, actor=admin_user)
    assert _shown(client) == _brute() and b.reference in _shown(client)

    # A change rolled back renews no token and leaves the kept answer right.
    before = client.get(URL).content
    with pytest.raises(RuntimeError), transaction.atomic():
        services.verify(report=a, actor=admin_user)
        raise RuntimeError("rolled back")
    assert client.get(URL).content == before
    assert _shown(client) == _brute() and a.reference in _shown(client)


def test_staff_never_get_or_feed_a_kept_answer(client, published, admin_user):
    a = published[0]
    services.update_report(report=a, actor=admin_user, visibility=Report.Visibility.CONFIDENTIAL)
    public = client.get(URL).content
    assert a.reference.encode() not in public
    client.force_login(admin_user)  # a session: the whole stack answers, as staff
    staff = client.get(URL).json()
    assert a.reference in {p["reference"] for p in staff["points"]} and all("status" in p for p in staff["points"])
    client.logout()
    assert client.get(URL).content == public
    # A bad token is refused even when the public answer is kept.
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_each_language_and_host_gets_the_answer_the_whole_stack_gives(client, published):
    variants = [{}, {"HTTP_ACCEPT_LANGUAGE": "en"}, {"HTTP_ACCEPT_LANGUAGE": "es"},
                {"HTTP_COOKIE": "django_language=en"}, {"HTTP_ACCEPT_ENCODING": "gzip"}]
    kept = {}
    for headers in variants:
        client.get(URL, **headers)
        response = client.get(URL, **headers)
        kept[repr(headers)] = (response.content, dict(response.items()))
    assert kept[repr({"HTTP_ACCEPT_LANGUAGE": "en"})][1]["Content-Language"] == "en"
    assert kept[repr({})][1]["Content-Language"] == "es"
    assert kept[repr({"HTTP_ACCEPT_ENCODING": "gzip"})][1]["Content-Encoding"] == "gzip"
    mapcache.clear()
    for headers in variants:
        fresh = client.get(URL, **headers)
        content, kept_headers = kept[repr(headers)]
        if fresh.get("Content-Encoding") == "gzip":
            # Django pads each gzip answer with random bytes (against BREACH): compare the JSON.
            content, fresh_content = gzip.decompress(content), gzip.decompress(fresh.content)
            kept_headers = {k: v for k, v in kept_headers.items() if k != "Content-Length"}
            fresh_headers = {k: v for k, v in fresh.items() if k != "Content-Length"}
        else:
            fresh_content, fresh_headers = fresh.content, dict(fresh.items())
        assert (fresh_content, fresh_headers) == (content, kept_headers), headers
    assert client.get(URL, HTTP_HOST="evil.example").status_code == 400  # host still checked


def test_what_the_middleware_refuses_stays_refused(client, published):
    assert client.get(URL).status_code == 200
    client.cookies["csrftoken"] = "a\x00b"
    assert client.get(URL).status_code == 400
