"""Issue #19: the public search reads its own index of the public text (public_title,
public_description, place_name) and never the staff one: a word present only in the private title
or description, or in a redacted phrase, must not find a public report."""

from __future__ import annotations

import pytest

from testigo.reports import services
from testigo.reports.selectors import ReportFilters, public_reports, staff_reports

pytestmark = pytest.mark.django_db


@pytest.fixture
def redacted(report_factory, admin_user):
    report = report_factory(title="Amenazas a Rigoberto Zelaya", description="Rigoberto vive junto al mercado.",
                            reporter_name="Josefina Turcios")
    services.verify(report=report, actor=admin_user)
    services.publish(report=report, actor=admin_user)
    return services.redact(report=report, actor=admin_user, phrases=["Rigoberto Zelaya", "Rigoberto"])


def _public(text: str) -> list[str]:
    return [r["reference"] for r in public_reports(ReportFilters(text=text))]


def test_a_redacted_name_does_not_find_the_public_report(redacted, admin_user):
    assert _public("Rigoberto") == []
    assert _public("zelaya") == []
    # ...but staff, who see the original text, find it by that name.
    assert [r.reference for r in staff_reports(admin_user, ReportFilters(text="rigoberto"))] == [redacted.reference]


def test_the_public_text_still_finds_it(redacted):
    assert _public("amenazas mercado") == [redacted.reference]


def test_contact_details_are_in_no_index(redacted, admin_user):
    assert _public("Josefina") == []
    assert list(staff_reports(admin_user, ReportFilters(text="Josefina"))) == []


def test_a_report_not_published_is_not_found_publicly(report_factory):
    report_factory(title="Extorsión en el mercado")
    assert _public("extorsion") == []


def test_the_public_reference_search_is_not_offered(redacted):
    """Staff find a report by its reference; the public list never matched references."""
    assert _public(redacted.reference) == []
