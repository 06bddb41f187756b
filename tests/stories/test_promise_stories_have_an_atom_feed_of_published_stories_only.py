"""Promise (issue #21, stories): /feeds/stories.atom is a valid Atom 1.0 feed (made with the
public feeds' PublicAtomFeed) whose entries are the published stories only — never a draft or a
story in review — with their redacted public title and summary, their tags and a link to their
page; public pages announce it to feed readers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse

from testigo.stories.models import Story

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_feed_lists_published_stories_only(write_story, category):
    write_story(title_es="Extorsión en Comayagüela", summary_es="Pagos semanales a <b>pandillas</b> & más.",
                slug="extorsion", tags=[category])
    write_story(title_es="Borrador oculto", slug="borrador", status=Story.Status.DRAFT)
    write_story(title_es="En revisión oculta", slug="revision", status=Story.Status.REVIEW)
    response = Client().get(reverse("stories:feed"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # well-formed XML or this raises
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{name}") or "").strip()
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Extorsión en Comayagüela"]
    entry = entries[0]
    for name in ("id", "updated", "published"):
        assert (entry.findtext(f"{ATOM}{name}") or "").strip()
    assert entry.find(f"{ATOM}link").get("href").endswith(reverse("stories:story", args=["extorsion"]))
    assert entry.find(f"{ATOM}link").get("href").startswith("http")
    assert "&lt;b&gt;pandillas&lt;/b&gt; &amp; más." in entry.findtext(f"{ATOM}summary")  # escaped: shown as written
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == [category.name]
    assert "oculto" not in response.content.decode() and "oculta" not in response.content.decode()


def test_an_empty_feed_is_still_valid():
    root = ET.fromstring(Client().get(reverse("stories:feed")).content)
    assert root.findall(f"{ATOM}entry") == []


def test_story_pages_announce_the_feed(write_story):
    story = write_story()
    for url in (reverse("stories:index"), reverse("stories:story", args=[story.slug])):
        page = Client().get(url).content.decode()
        assert 'type="application/atom+xml"' in page and f'href="{reverse("stories:feed")}"' in page
