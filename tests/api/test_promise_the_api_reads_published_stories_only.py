"""Promise (issue #21, stories follow-ups): /api/v1/stories lists the published stories, newest
first, a page at a time, and /api/v1/stories/{slug} gives one — the public projection only: the
story's text with its redactions, and its linked reports through the public report projection
(a report not public now is left out; a reporter's name, contact or exact place never leaves).
A draft or a story in review is never listed and answers 404, to the public and to staff alike.
Both operations are in the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from testigo.api.api import api
from testigo.stories.models import Story
from tests.stories.conftest import publish, write_story  # noqa: F401 — fixtures

pytestmark = pytest.mark.django_db

EXACT_LAT, EXACT_LON = 14.0723417, -87.1921583


def test_a_story_reads_through_the_public_projection(client, report_factory, publish, write_story):  # noqa: F811
    shown = publish(report_factory(title="Cobro de renta en la ruta 7", lat=EXACT_LAT, lon=EXACT_LON,
                                   reporter_name="Marta Secreta", reporter_contact="marta@example.org"))
    hidden = report_factory(title="Caso aún en revisión XYZZY")
    story = write_story(slug="renta-ruta-7", title_es="Renta en la ruta 7 de Juan Pérez",
                        body_es=f"Juan Pérez cobra.\n\n[[report:{shown.reference}]]\n\n[[report:{hidden.reference}]]\n",
                        references=[shown.reference, hidden.reference], redactions=["Juan Pérez"],
                        title_en="Extortion on route 7", body_en="In English.")
    response = client.get("/api/v1/stories/renta-ruta-7", {"lang": "es"})
    assert response.status_code == 200
    data = response.json()
    text = response.content.decode()
    assert data["slug"] == story.slug and data["language"] == "es" and data["fallback"] is False
    assert data["title"] == "Renta en la ruta 7 de █████" and "Juan Pérez" not in text
    assert data["url"].endswith("/stories/renta-ruta-7/")
    assert [r["reference"] for r in data["reports"]] == [shown.reference]
    assert data["reports"][0]["title"] == "Cobro de renta en la ruta 7"
    assert 'class="story-card"' in data["html"] and shown.reference in data["html"]
    for secret in ("XYZZY", hidden.reference, "Marta Secreta", "marta@example.org", str(EXACT_LAT), str(EXACT_LON)):
        assert secret not in text
    assert (data["reports"][0]["lat"], data["reports"][0]["lon"]) != (EXACT_LAT, EXACT_LON)

    english = client.get("/api/v1/stories/renta-ruta-7", {"lang": "en"}).json()
    assert english["language"] == "en" and english["title"] == "Extortion on route 7"
    bad = client.get("/api/v1/stories/renta-ruta-7", {"lang": "fr"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_lang"


def test_a_draft_or_a_story_in_review_never_appears(client, admin_client, write_story):  # noqa: F811
    write_story(slug="publicada", title_es="Publicada")
    write_story(slug="borrador", title_es="Borrador secreto", status=Story.Status.DRAFT)
    write_story(slug="en-revision", title_es="En revisión secreta", status=Story.Status.REVIEW)
    for caller in (client, admin_client):
        listed = caller.get("/api/v1/stories")
        assert listed.status_code == 200
        assert [s["slug"] for s in listed.json()["items"]] == ["publicada"]
        assert "secret" not in listed.content.decode()
        for slug in ("borrador", "en-revision", "no-existe"):
            missing = caller.get(f"/api/v1/stories/{slug}")
            assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_the_list_pages_with_a_cursor_newest_first(client):
    now = timezone.now()
    Story.objects.bulk_create([Story(slug=f"story-{i:02d}", title_es=f"Historia {i}", status=Story.Status.PUBLISHED,
                                     published_at=now - timedelta(hours=i // 2)) for i in range(7)]
                              + [Story(slug="draft-zz", title_es="Borrador", status=Story.Status.DRAFT)])
    seen, cursor = [], None
    while True:
        answer = client.get("/api/v1/stories", {"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [s["slug"] for s in answer["items"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    # Newest first; two stories published at the same moment are ordered by slug, descending.
    assert seen == ["story-01", "story-00", "story-03", "story-02", "story-05", "story-04", "story-06"]
    assert client.get("/api/v1/stories", {"cursor": "garbage!"}).json()["code"] == "invalid_cursor"
    assert client.get("/api/v1/stories", {"limit": 0}).json()["code"] == "invalid_limit"


def test_the_openapi_document_declares_both_operations():
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    assert {"get"} == set(schema["paths"]["/api/v1/stories"]) == set(schema["paths"]["/api/v1/stories/{slug}"])
    detail = schema["components"]["schemas"]["PublicStoryDetail"]["properties"]
    assert {"slug", "title", "html", "reports", "published_at"} <= set(detail)
    assert not {"status", "redactions", "created_by", "body_es", "body_en"} & set(detail)
