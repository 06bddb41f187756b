"""Every page names an icon, and /favicon.ico (asked for by browsers whatever the page says) finds it."""

from django.contrib.staticfiles import finders


def test_favicon_ico_leads_to_the_icon_and_pages_name_it(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("testigo/favicon.svg")
    assert finders.find("testigo/favicon.svg")
    assert b'rel="icon"' in client.get("/").content
