"""The inbox: filters narrow, tabs count, pages hold 50, titles are escaped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from testigo.console.views import INBOX_PAGE_SIZE
from testigo.core import roles
from testigo.reports import services
from testigo.reports.models import Category, Report

pytestmark = pytest.mark.django_db


def refs(response) -> set[str]:
    return {r.reference for r in response.context["page"].object_list}


@pytest.fixture
def spread(report_factory, category, admin_user):
    """Four reports differing in status, category, source, date and text."""
    fire = Category.objects.create(slug="incendio", name_es="Incendio", name_en="Fire")
    now = timezone.now()
    old = report_factory(title="Robo antiguo", received_at=now - timedelta(days=30))
    sms = report_factory(title="Mensaje de texto", source="sms", categories=[fire])
    verified = services.verify(report=report_factory(title="Balacera verificada"), actor=admin_user)
    plain = report_factory(title="Otro caso", description="Sin palabras clave", place_name="Comayagüela")
    return {"old": old, "sms": sms, "verified": verified, "plain": plain, "fire": fire, "robo": category}


def test_inbox_lists_newest_first(mod_client, spread):
    response = mod_client.get("/console/")
    listed = [r.reference for r in response.context["page"].object_list]
    assert listed[-1] == spread["old"].reference and len(listed) == 4


def test_status_filter_narrows_and_accepts_several(mod_client, spread):
    assert refs(mod_client.get("/console/?status=verified")) == {spread["verified"].reference}
    both = refs(mod_client.get("/console/?status=verified&status=new"))
    assert len(both) == 4
    assert refs(mod_client.get("/console/?status=published")) == set()


def test_category_filter_includes_children(mod_client, spread):
    only_fire = refs(mod_client.get(f"/console/?category={spread['fire'].id}"))
    assert only_fire == {spread["sms"].reference}
    parent = spread["robo"].parent_id
    assert spread["sms"].reference not in refs(mod_client.get(f"/console/?category={parent}"))
    assert len(refs(mod_client.get(f"/console/?category={parent}"))) == 3


def test_source_filter_narrows(mod_client, spread):
    assert refs(mod_client.get("/console/?source=sms")) == {spread["sms"].reference}


def test_date_range_filters_on_received(mod_client, spread):
    today = timezone.localdate()
    recent = refs(mod_client.get(f"/console/?date_from={(today - timedelta(days=1)).isoformat()}"))
    assert spread["old"].reference not in recent and len(recent) == 3
    older = refs(mod_client.get(f"/console/?date_to={(today - timedelta(days=20)).isoformat()}"))
    assert older == {spread["old"].reference}


def test_free_text_matches_title_place_and_reference(mod_client, spread):
    assert refs(mod_client.get("/console/?q=balacera")) == {spread["verified"].reference}
    assert refs(mod_client.get("/console/?q=Comayagüela")) == {spread["plain"].reference}
    assert refs(mod_client.get(f"/console/?q={spread['sms'].reference}")) == {spread["sms"].reference}


def test_invalid_filter_is_reported_not_a_500(mod_client, spread):
    response = mod_client.get("/console/?date_from=yesterday&source=sms")
    assert response.status_code == 200
    assert refs(response) == {spread["sms"].reference}  # the valid filter still applies
    assert "Enter a valid date." in response.content.decode()


def test_tabs_count_each_status_within_the_other_filters(mod_client, spread):
    response = mod_client.get("/console/?status=verified")
    counts = {value: count for value, _label, count in response.context["tabs"]}
    assert counts["new"] == 3 and counts["verified"] == 1 and counts["published"] == 0
    response = mod_client.get("/console/?source=sms")
    counts = {value: count for value, _label, count in response.context["tabs"]}
    assert counts["new"] == 1 and counts["verified"] == 0


def test_inbox_pages_hold_fifty(mod_client, report_factory):
    for i in range(INBOX_PAGE_SIZE + 3):
        Report.objects.create(reference=f"T-PAGE-{i:04d}", title=f"r{i}", description="d",
                              received_at=timezone.now() - timedelta(minutes=i))
    first = mod_client.get("/console/")
    assert len(first.context["page"].object_list) == INBOX_PAGE_SIZE
    second = mod_client.get("/console/?page=2")
    assert refs(second) == {"T-PAGE-0050", "T-PAGE-0051", "T-PAGE-0052"}
    assert 'href="?page=2"' in first.content.decode()
    assert mod_client.get("/console/?page=999").status_code == 200


def test_pagination_links_keep_the_filters(mod_client):
    for i in range(INBOX_PAGE_SIZE + 1):
        Report.objects.create(reference=f"T-KEEP-{i:04d}", title="x", description="d", source="sms",
                              received_at=timezone.now())
    html = mod_client.get("/console/?source=sms").content.decode()
    assert 'href="?source=sms&amp;page=2"' in html


def test_html_in_a_title_is_escaped_in_the_inbox(mod_client, report_factory):
    report_factory(title='<script>alert("x")</script><b>bold</b>')
    html = mod_client.get("/console/").content.decode()
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_inbox_rows_show_reference_category_place_source_and_status(client_as, report_factory):
    report = report_factory(source="sms")
    html = client_as(roles.ANALYST).get("/console/").content.decode()
    for text in (report.reference, "Robbery", "Colonia Kennedy", "sms", "badge st-new", 'fill="#c0392b"'):
        assert text in html


def test_inbox_queries_do_not_grow_with_the_number_of_rows(mod_client, report_factory, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    report_factory()
    with CaptureQueriesContext(connection) as one_row:
        mod_client.get("/console/")
    for _ in range(10):
        report_factory()
    with django_assert_max_num_queries(len(one_row.captured_queries)):
        mod_client.get("/console/")


def test_bulk_status_change_applies_the_workflow_to_each_report(mod_client, report_factory, admin_user):
    fresh = report_factory(title="Nuevo")
    verified = services.verify(report=report_factory(title="Verificado"), actor=admin_user)
    response = mod_client.post("/console/bulk/", {"status": "published", "ref": [fresh.reference, verified.reference],
                                                  "query": "source=web"}, follow=True)
    assert response.redirect_chain[0][0] == "/console/?source=web"
    fresh.refresh_from_db()
    verified.refresh_from_db()
    assert verified.status == Report.Status.PUBLISHED and fresh.status == Report.Status.NEW
    text = " ".join(str(m) for m in response.context["messages"])
    assert "1 report changed." in text and fresh.reference in text


def test_bulk_needs_the_right_role(client_as, report_factory):
    report = report_factory()
    assert client_as(roles.ANALYST).post("/console/bulk/", {"status": "archived", "ref": [report.reference]}).status_code == 403
    client_as(roles.VOLUNTEER).post("/console/bulk/", {"status": "published", "ref": [report.reference]})
    report.refresh_from_db()
    assert report.status == Report.Status.NEW  # volunteers cannot publish, not even in bulk


def test_bulk_cannot_touch_reports_the_user_cannot_see(client_as, report_factory, admin_user):
    secret = report_factory()
    services.update_report(report=secret, actor=admin_user, visibility=Report.Visibility.CONFIDENTIAL)
    client_as(roles.VOLUNTEER).post("/console/bulk/", {"status": "archived", "ref": [secret.reference]})
    secret.refresh_from_db()
    assert secret.status == Report.Status.NEW


def test_survey_filter_is_offered_only_when_a_survey_exists(mod_client, spread, admin_user):
    from testigo.surveys import services as survey_services

    assert 'name="survey"' not in mod_client.get("/console/").content.decode()
    survey = survey_services.create_survey(actor=admin_user, name_es="Monitoreo", name_en="Monitoring",
                                           fields=[{"name": "nota", "type": "text", "label": {"es": "Nota"}}])
    page = mod_client.get("/console/").content.decode()
    assert 'name="survey"' in page and f'<option value="{survey.pk}">Monitoring</option>' in page
    assert refs(mod_client.get(f"/console/?survey={survey.pk}")) == set()  # no report carries its answers
