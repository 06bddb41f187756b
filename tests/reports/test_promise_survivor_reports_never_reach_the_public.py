"""A report filed under a survivor-pathway category (domestic violence and the like, issue #21) is
confidential from the start and never reaches the public map, list, pages or API, whatever staff
or an import try: publishing it or making it public is refused with the reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from testigo.reports import bulk, category_services, services
from testigo.reports.models import Category, Report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

CLUSTERS = "/api/v1/map/clusters?bbox=-90,10,-80,20&zoom=18"


@pytest.fixture
def pathway(db):
    return Category.objects.create(slug="violencia-domestica", name_es="Violencia doméstica",
                                   name_en="Domestic violence", sensitive=True)


def _public_everywhere(client, report) -> dict[str, bool]:
    """Where the public could see this report: API list, API detail, map, list page, report page."""
    api_list = client.get("/api/v1/reports").json()
    clusters = client.get(CLUSTERS).json()
    return {
        "api list": report.reference in {item["reference"] for item in api_list["items"]},
        "api detail": client.get(f"/api/v1/reports/{report.reference}").status_code == 200,
        "map": report.reference in {point.get("reference") for point in clusters["points"]} or clusters["total"] > 0,
        "list page": report.reference in client.get("/reports/").content.decode(),
        "report page": client.get(f"/r/{report.reference}/").status_code == 200,
    }


def _nowhere(client, report) -> None:
    seen = _public_everywhere(client, report)
    assert not any(seen.values()), seen


def test_a_report_in_the_pathway_is_confidential_from_the_start(client, report_factory, pathway):
    report = report_factory(categories=[pathway])
    assert report.visibility == Report.Visibility.CONFIDENTIAL
    _nowhere(client, report)


def test_publishing_it_is_refused_with_the_reason(client, report_factory, pathway, admin_user):
    report = report_factory(categories=[pathway])
    services.verify(report=report, actor=admin_user)
    with pytest.raises(ValidationError, match="survivor-pathway category \\(Domestic violence\\)"):
        services.publish(report=report, actor=admin_user)
    report.refresh_from_db()
    assert report.status == Report.Status.VERIFIED
    _nowhere(client, report)


def test_publishing_through_the_api_is_refused_with_the_reason(client, report_factory, pathway, admin_user):
    from testigo.api import services as token_services

    report = report_factory(categories=[pathway])
    services.verify(report=report, actor=admin_user)
    _token, raw = token_services.create_token(user=admin_user, name="t", scope="write", actor=admin_user)
    response = client.post(f"/api/v1/reports/{report.reference}/status", {"status": "published"},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code in (400, 422), response.content
    message = response.json()["message"]  # in the token owner's language: the reason names the category
    assert pathway.name_es in message or pathway.name_en in message, message
    assert "confiden" in message, message
    _nowhere(client, report)


def test_making_it_public_is_refused(report_factory, pathway, admin_user):
    report = report_factory(categories=[pathway])
    with pytest.raises(ValidationError, match="can never be made public"):
        services.update_report(report=report, actor=admin_user, visibility=Report.Visibility.PUBLIC)
    report.refresh_from_db()
    assert report.visibility == Report.Visibility.CONFIDENTIAL


def test_filing_a_published_report_under_the_pathway_takes_it_off_the_map(client, published_report, pathway,
                                                                          admin_user):
    assert all(_public_everywhere(client, published_report).values())  # the check can see a public report
    services.update_report(report=published_report, actor=admin_user, categories=[pathway])
    published_report.refresh_from_db()
    assert published_report.visibility == Report.Visibility.CONFIDENTIAL
    _nowhere(client, published_report)


def test_flagging_a_category_hides_its_published_reports_and_its_childrens(client, published_report, category,
                                                                           admin_user):
    parent = category.parent  # the report is filed under the child
    category_services.update_category(actor=admin_user, category=parent, sensitive=True)
    _nowhere(client, published_report)
    assert Report.objects.get(pk=published_report.pk).visibility == Report.Visibility.CONFIDENTIAL


def test_a_child_of_a_pathway_category_is_in_the_pathway(report_factory, pathway):
    child = Category.objects.create(slug="amenazas-pareja", name_es="Amenazas de la pareja",
                                    name_en="Threats by a partner", parent=pathway)
    assert report_factory(categories=[child]).visibility == Report.Visibility.CONFIDENTIAL


def test_a_merge_that_brings_the_pathway_hides_the_surviving_report(client, published_report, report_factory,
                                                                    pathway, admin_user):
    duplicate = report_factory(categories=[pathway])
    services.merge(duplicate=duplicate, into=published_report, actor=admin_user)
    _nowhere(client, published_report)


def test_an_imported_row_in_the_pathway_goes_in_confidential(client, pathway):
    columns = bulk.ReportColumns()
    row = bulk.report_row({"title": "Golpes en casa", "description": "Mi pareja me golpea.", "lat": 14.1,
                           "lon": -87.2, "status": Report.Status.PUBLISHED, "visibility": Report.Visibility.PUBLIC})
    (pk,) = bulk.insert_reports([columns.params(row, columns.stamp())], columns, [[pathway.pk]])
    report = Report.objects.get(pk=pk)
    assert report.visibility == Report.Visibility.CONFIDENTIAL
    _nowhere(client, report)


def test_an_admin_ticks_the_pathway_in_the_console_and_the_report_leaves_the_map(client, published_report, category,
                                                                                 admin_user):
    staff = type(client)()
    staff.force_login(admin_user)
    form = {"name_es": category.name_es, "name_en": category.name_en, "slug": category.slug,
            "parent": category.parent_id, "colour": category.colour, "icon": category.icon, "position": 0,
            "is_active": "on", "sensitive": "on"}
    response = staff.post(f"/console/categories/{category.pk}/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Category.objects.get(pk=category.pk).sensitive
    _nowhere(client, published_report)
