"""Issue #19: every word was searched as the beginning of longer words, so "robo" (stem "rob")
found every "Roberto". A stem shorter than search.MIN_PREFIX letters is now matched whole: its own
forms ("robos", "robó"), never a longer word it begins; a longer stem still finds a word being typed."""

from __future__ import annotations

import pytest

from testigo.reports.selectors import ReportFilters, staff_reports

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(report_factory):
    return {
        "theft": report_factory(title="Robo en la colonia", description="Se llevaron dos motos.", place_name="Danlí"),
        "thefts": report_factory(title="Robos frecuentes", description="Cada noche.", place_name="Danlí"),
        "name": report_factory(title="Amenazas a Roberto", description="Un vecino las recibió.", place_name="Danlí"),
    }


def _found(user, text: str) -> set[str]:
    return {r.reference for r in staff_reports(user, ReportFilters(text=text))}


@pytest.mark.parametrize("typed", ["robo", "ROBOS", "rob"])
def test_a_short_stem_finds_its_own_forms_and_not_a_name_it_begins(reports, admin_user, typed):
    assert _found(admin_user, typed) == {reports["theft"].reference, reports["thefts"].reference}


def test_a_longer_stem_is_still_the_beginning_of_a_word(reports, admin_user):
    assert _found(admin_user, "Robert") == {reports["name"].reference}
    assert _found(admin_user, "amenaz") == {reports["name"].reference}
