"""Issue #19: report text search is a real full-text search (reports/search.py), with Spanish
stemming and accent- and case-insensitive matching on SQLite and PostgreSQL alike: people type
"extorsion" for "extorsión", "EXTORSIONES" for "extorsión", "tegucigalpa" for "Tegucigalpa"."""

from __future__ import annotations

import pytest

from testigo.reports import services
from testigo.reports.selectors import ReportFilters, public_reports, staff_reports

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(report_factory, admin_user):
    made = {
        "extortion": report_factory(title="Extorsión a comerciantes", description="Cobran la renta cada semana.",
                                    place_name="Comayagüela"),
        "missing": report_factory(title="Desaparición de un joven", description="Salió de su casa y no volvió.",
                                  place_name="San Pedro Sula"),
        "english": report_factory(title="Shooting near the market", description="Several people were wounded.",
                                  place_name="La Ceiba"),
        "children": report_factory(title="Niños sin escuela", description="La escuela cerró por amenazas.",
                                   place_name="Choluteca"),
    }
    for report in made.values():
        services.verify(report=report, actor=admin_user)
        services.publish(report=report, actor=admin_user)
    return made


def _staff(user, text: str) -> set[str]:
    return {r.reference for r in staff_reports(user, ReportFilters(text=text))}


def _public(text: str) -> set[str]:
    return {r["reference"] for r in public_reports(ReportFilters(text=text))}


@pytest.mark.parametrize("typed", ["extorsión", "extorsion", "EXTORSION", "Extorsiones", "extorsiones"])
def test_any_spelling_of_extorsion_finds_the_report(reports, admin_user, typed):
    expected = {reports["extortion"].reference}
    assert _staff(admin_user, typed) == expected
    assert _public(typed) == expected


@pytest.mark.parametrize("typed", ["desaparicion", "DESAPARICIÓN", "desapariciones"])
def test_accents_and_plurals_of_desaparicion(reports, admin_user, typed):
    assert _staff(admin_user, typed) == {reports["missing"].reference}


@pytest.mark.parametrize("typed", ["niño", "nino", "NIÑOS", "ninos"])
def test_enye_is_found_with_or_without_tilde(reports, admin_user, typed):
    assert _public(typed) == {reports["children"].reference}


@pytest.mark.parametrize("typed", ["comayaguela", "Comayagüela", "san pedro sula", "SAN PEDRO", "Ceiba"])
def test_place_names_in_any_case(reports, admin_user, typed):
    assert len(_public(typed)) == 1


@pytest.mark.parametrize("typed", ["shooting", "wounded", "Market"])
def test_english_words_are_found(reports, admin_user, typed):
    assert _staff(admin_user, typed) == {reports["english"].reference}


def test_words_are_anded(reports, admin_user):
    assert _staff(admin_user, "escuela amenazas") == {reports["children"].reference}
    assert _staff(admin_user, "escuela extorsión") == set()


def test_a_word_matches_its_forms_but_not_unrelated_words(reports, admin_user):
    assert _staff(admin_user, "amenaza") == {reports["children"].reference}  # "amenazas" in the text
    assert _staff(admin_user, "secuestro") == set()


def test_a_word_begun_is_found_as_today(reports, admin_user):
    assert _staff(admin_user, "Tegucig") == set()  # nothing says Tegucigalpa here
    assert _staff(admin_user, "Comaya") == {reports["extortion"].reference}


def test_staff_find_a_report_by_its_reference_in_any_case(reports, admin_user):
    reference = reports["missing"].reference
    assert _staff(admin_user, reference.lower()) == {reference}
    assert _staff(admin_user, f" {reference} ") == {reference}


@pytest.mark.parametrize("typed", ['"extorsión', "extorsión*", "-extorsión", "NEAR(extorsión", "extorsión OR",
                                   "(extorsión)", "title:extorsión", "extorsión & | !", "':* & !'",
                                   "extorsión AND NOT", "^extorsión", "extorsión\\", "{title}: x", "%_%"])
def test_search_syntax_in_the_input_never_breaks_the_query(reports, admin_user, typed):
    found = _staff(admin_user, typed)
    assert found <= {reports["extortion"].reference}
    assert _public(typed) <= {reports["extortion"].reference}


def test_only_stop_words_or_punctuation_find_nothing_and_do_not_fail(reports, admin_user):
    assert _staff(admin_user, "de la") == set()
    assert _public("*** ::: ---") == set()
