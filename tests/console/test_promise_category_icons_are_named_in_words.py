"""Staff read a category's icon by its name in their language ("Person", "Persona"), never by the
stored code ("person"); the code itself is what is saved and what the API gives out."""

from __future__ import annotations

import re

import pytest

from testigo.core import roles
from testigo.reports import category_services
from testigo.reports.models import ICONS

pytestmark = pytest.mark.django_db


def _options(html: str) -> dict[str, str]:
    select = re.search(r'<select name="icon".*?</select>', html, re.S).group(0)
    return {value: text.strip() for value, text in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)}


def test_the_icon_select_names_each_icon_in_words_and_keeps_the_codes(client_as):
    client = client_as(roles.ADMIN)  # reads English
    options = _options(client.get("/console/categories/new/").content.decode())
    assert list(options) == ICONS  # the stored codes, unchanged
    assert options["alert"] == "Warning sign" and options["person"] == "Person" and options["home"] == "House"
    assert not any(text == code for code, text in options.items())


def test_the_category_list_shows_the_icons_name_not_its_code(client_as, category):
    client = client_as(roles.ADMIN)
    category_services.update_category(actor=client.user, category=category, icon="person")
    html = client.get("/console/categories/").content.decode()
    row = re.search(r"<small>([^<]*)</small>", html[html.index(category.name_es):]).group(1)
    assert row.split("·")[0].strip() == "Person"


def test_the_chosen_icon_is_saved_as_its_code(client_as, category):
    client = client_as(roles.ADMIN)
    data = {"name_es": "Extorsión", "name_en": "Extortion", "slug": "extorsion", "parent": "",
            "colour": "#123abc", "icon": "person", "position": "3", "is_active": "on"}
    assert client.post("/console/categories/new/", data).status_code == 302
    from testigo.reports.models import Category

    assert Category.objects.get(slug="extorsion").icon == "person"
