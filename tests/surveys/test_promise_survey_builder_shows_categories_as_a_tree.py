"""The survey builder lists categories as the category page does: each parent followed by its
sub-categories, indented, in the order staff gave them (issue #14: the list was flat, and
"Robo" under "Delitos" could not be told from a top-level category)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from testigo.reports.models import Category


@pytest.fixture
def tree(db):
    crime = Category.objects.create(slug="delitos", name_es="Delitos", name_en="Crime", position=2)
    water = Category.objects.create(slug="agua", name_es="Agua", name_en="Water", position=1)
    Category.objects.create(slug="robo", name_es="Robo", name_en="Robbery", parent=crime, position=2)
    Category.objects.create(slug="asalto", name_es="Asalto", name_en="Assault", parent=crime, position=1)
    Category.objects.create(slug="fugas", name_es="Fugas", name_en="Leaks", parent=water)
    Category.objects.create(slug="viejo", name_es="Viejo", name_en="Old", parent=water, is_active=False)


def _category_options(html: str) -> list[str]:
    select = re.search(r'<select name="category"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [unescape(label).strip() for label in re.findall(r"<option[^>]*>(.*?)</option>", select, re.S)]


EXPECTED = ["---------", "Agua", "— Fugas", "Delitos", "— Asalto", "— Robo"]


def test_new_survey_form_lists_categories_as_a_tree(admin_client, tree):
    assert _category_options(admin_client.get("/console/surveys/new/").content.decode()) == EXPECTED


def test_survey_settings_list_categories_as_a_tree_and_keep_the_chosen_one(admin_client, admin_user, tree):
    from testigo.surveys import services

    robbery = Category.objects.get(slug="robo")
    survey = services.create_survey(actor=admin_user, name_es="Robos", fields=[], form_id="robos", category=robbery)
    html = admin_client.get(f"/console/surveys/{survey.pk}/").content.decode()
    assert _category_options(html) == EXPECTED
    assert re.search(rf'<option value="{robbery.pk}" selected>', html)
