"""Issue #19: at a million reports the inbox spent ~120 ms rendering 50 rows: per row two `{% url %}`,
an `{% include %}` and a related manager for the categories, label lookups and three date filters,
and every column of every report read. Now the rows come ready from console/inbox.py: the page
costs the same number of queries and template lookups whatever its length, reads only the columns
it shows, and says exactly what the old per-row template said (rendered here as the reference)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.template import Context, Template, defaulttags, loader_tags
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from testigo.reports import services
from testigo.reports.models import Category, Report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

# The row as console/inbox.html wrote it before issue #19, from the report itself.
OLD_ROW = Template(
    '{% load i18n humanize console_labels testigo_dates %}'
    '<tr data-href="{% url \'console:report\' r.reference %}">'
    '<td><input type="checkbox" name="ref" value="{{ r.reference }}" aria-label="{% blocktranslate with ref=r.reference %}'
    'Select {{ ref }}{% endblocktranslate %}"></td>'
    '<td class="ref"><a href="{% url \'console:report\' r.reference %}">{{ r.reference }}</a></td>'
    '<td class="title">{{ r.title }}{% if r.merged_into %} <small>({% blocktranslate with ref=r.merged_into.reference %}'
    'merged into {{ ref }}{% endblocktranslate %})</small>{% endif %}</td>'
    '<td>{% include "console/_categories.html" with categories=r.categories.all %}</td>'
    '<td>{{ r.place_name }}</td><td>{{ r.source|source_label }}</td>'
    '<td><time datetime="{{ r.received_at|date:\'c\' }}" title="{{ r.received_at|when }}">{{ r.received_at|naturaltime }}'
    '</time></td>'
    '<td><span class="badge st-{{ r.status }}">{{ r.get_status_display }}</span>{% if r.published_off_map %} '
    '<span class="badge no-location" title="{% translate \'Published with no location: it does not appear on the map.\' %}">'
    '{% translate "not on the map" %}</span>{% endif %}</td></tr>')


def _squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s*\n\s*", "", html)).strip()


@pytest.fixture
def many(report_factory, category, admin_user):
    """`n` reports a few hours apart, mixing what a row can show: two categories (one inactive, one
    with an English name), a merge, a publication with no location, sources known and unknown."""

    def make(n: int) -> list[Report]:
        extra = Category.objects.create(slug=f"agua{n}", name_es="Agua & luz", name_en="", colour="#123456",
                                        position=0, is_active=False)
        made = [report_factory(title=f"Informe <{i}>", categories=[category, extra] if i % 3 else [category],
                               place_name="" if i % 4 else "Colonia Kennedy") for i in range(n)]
        now = timezone.now()
        for i, report in enumerate(made):
            Report.objects.filter(pk=report.pk).update(
                received_at=now - timedelta(days=i % 40, hours=3 * i, minutes=7),
                source=["web", "sms", "carrier-pigeon", "tipline"][i % 4])
        services.merge(duplicate=made[1], into=made[0], actor=admin_user)
        services.verify(report=made[2], actor=admin_user)
        Report.objects.filter(pk=made[2].pk).update(status=Report.Status.PUBLISHED, lat=None, lon=None)
        return made

    return make


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [_squeeze(row) for row in re.findall(r"<tr data-href=.*?</tr>", body, re.S)]


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_row_says_what_the_old_template_said(many, mod_client, language):
    many(12)
    mod_client.cookies["django_language"] = language
    response = mod_client.get("/console/")
    shown = _rows(response.content.decode())
    assert len(shown) == 12
    from django.utils import translation

    with translation.override(language):
        expected = [_squeeze(OLD_ROW.render(Context({"r": r}))) for r in Report.objects.order_by("-received_at", "-id")]
    assert shown == expected


def _page_cost(mod_client, monkeypatch) -> tuple[int, int, int, list[str]]:
    """(queries, {% url %} rendered, {% include %} rendered, SQL) for one inbox page."""
    calls = {"url": 0, "include": 0}
    for name, cls in (("url", defaulttags.URLNode), ("include", loader_tags.IncludeNode)):
        original = cls.render

        def counted(self, context, original=original, name=name):
            calls[name] += 1
            return original(self, context)

        monkeypatch.setattr(cls, "render", counted)
    with CaptureQueriesContext(connection) as queries:
        assert mod_client.get("/console/").status_code == 200
    monkeypatch.undo()
    return len(queries.captured_queries), calls["url"], calls["include"], [q["sql"] for q in queries]


def test_a_page_of_fifty_costs_what_a_page_of_five_costs(many, mod_client, monkeypatch):
    many(5)
    five = _page_cost(mod_client, monkeypatch)
    many(50)
    fifty = _page_cost(mod_client, monkeypatch)
    assert fifty[:3] == five[:3], (five[:3], fifty[:3])
    assert fifty[0] <= 20, fifty[3]


def test_the_page_reads_only_the_columns_it_shows(many, mod_client, monkeypatch):
    many(5)
    sql = _page_cost(mod_client, monkeypatch)[3]
    page = [q for q in sql if re.search(r'FROM "reports_report".*LIMIT 51\b', q, re.S) and "COUNT(" not in q]
    assert len(page) == 1, sql
    for column in ("description", "reporter_contact", "reporter_name", "custom_values", "redactions"):
        assert f'"reports_report"."{column}"' not in page[0], page[0]
