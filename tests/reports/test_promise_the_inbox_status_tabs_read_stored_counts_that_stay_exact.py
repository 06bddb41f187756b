"""Promise (issue #19): the inbox's status tabs, filtered by a category (or not filtered), read a
few stored counts (reports.StatusCount) instead of counting the category's reports on every
request; those counts stay exactly what counting the reports gives after every kind of write:
creation, edits, status and category changes, deletion, the console's bulk move, merges, imports,
the demo seed, retention purges and archives, category moves and deletions."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testigo.console import selectors as console_selectors
from testigo.core import roles
from testigo.reports import category_services, counts, retention, services
from testigo.reports.models import Category, Report, StatusCount
from testigo.reports.selectors import ReportFilters
from tests.conftest import examples
from tests.reports.retention_kit import age, make_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def mod_client(make_user):
    from django.test import Client

    client = Client()
    client.user = make_user(roles.MODERATOR, username="moderadora")
    client.force_login(client.user)
    return client


def truth() -> dict[tuple[int, int], int]:
    """(category key, part) -> reports, counted from the reports themselves: every report under
    key 0 and under each of its categories and their parents, once."""
    parents = dict(Category.objects.values_list("id", "parent_id"))
    found: Counter = Counter()
    for report in Report.objects.prefetch_related("categories"):
        part = counts.part_of(report.status, report.visibility)
        keys = {0}
        for category in report.categories.all():
            keys.add(category.id)
            if parents.get(category.id):
                keys.add(parents[category.id])
        for key in keys:
            found[(key, part)] += 1
    return dict(found)


def stored() -> dict[tuple[int, int], int]:
    return {(row.category, row.part): row.n for row in StatusCount.objects.all() if row.n}


def assert_exact() -> None:
    assert stored() == truth()
    assert not StatusCount.objects.filter(n__lt=0).exists()


def test_every_write_path_keeps_the_stored_counts_exact(report_factory, admin_user, category, mod_client,
                                                        django_capture_on_commit_callbacks):
    other = Category.objects.create(slug="otra", name_es="Otra", name_en="Other")
    a = report_factory()
    b = report_factory(categories=[category, other])
    c = report_factory(lat=None, lon=None, categories=[])  # no location: counted all the same
    assert truth() and stored() == truth()
    services.verify(report=a, actor=admin_user)
    services.publish(report=a, actor=admin_user)
    assert_exact()
    services.change_status(report=a, actor=admin_user, status="verified")
    services.update_report(report=a, actor=admin_user, visibility="confidential")
    assert_exact()
    services.update_report(report=a, actor=admin_user, visibility="public", categories=[other])
    services.update_report(report=c, actor=admin_user, categories=[category])
    assert_exact()
    response = mod_client.post("/console/bulk/", {"status": "archived", "ref": [b.reference, c.reference]})
    assert response.status_code == 302 and Report.objects.get(pk=b.pk).status == "archived"
    assert_exact()
    services.merge(duplicate=b, into=a, actor=admin_user)
    assert_exact()
    category_services.update_category(actor=admin_user, category=other, parent=category.parent)  # re-parented
    assert_exact()
    category.parent.reports.add(c)  # linked from the category's side
    c.categories.clear()
    assert_exact()
    Report.objects.get(pk=b.pk).delete()
    assert_exact()
    with counts.tracking([a.pk]):  # a bulk update outside the ORM's save()
        Report.objects.filter(pk=a.pk).update(status="archived")
    assert_exact()
    other.delete()
    assert_exact()


def test_imports_seeds_and_retention_keep_the_stored_counts_exact(admin_user, category, report_factory,
                                                                    django_capture_on_commit_callbacks):
    from testigo.reports.models import RetentionPolicy
    from testigo.reports.seed import seed_reports
    from testigo.surveys import importing

    seed_reports(40)
    assert_exact()
    data = "Título,Lat,Lon,Categoría\nRobo,14.08,-87.2,Robo\nAsalto,,,robo\nOtro,15.1,-86.2,\n".encode()
    imp = importing.create_import(actor=admin_user, name="d.csv", data=data)
    importing.set_mapping(actor=admin_user, imp=imp, mapping_json={
        "columns": {"Título": "title", "Lat": "lat", "Lon": "lon", "Categoría": "category"}})
    with django_capture_on_commit_callbacks(execute=True):
        importing.start(actor=admin_user, imp=imp)
    assert Report.objects.filter(source="import").count() == 3
    assert_exact()
    for report in Report.objects.filter(source="import"):
        age(report, days=400)
    archive = make_policy(name="archivar", days=365, action=RetentionPolicy.Action.ARCHIVE, categories=[category])
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.apply_policy(policy=archive, actor=admin_user).done
    assert_exact()
    purge = make_policy(name="purgar", days=365, statuses=[Report.Status.ARCHIVED])
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.apply_policy(policy=purge, actor=admin_user).done
    assert_exact()


def test_a_rebuild_gives_what_was_kept(report_factory, category):
    report_factory()
    report_factory(categories=[])
    kept = stored()
    StatusCount.objects.all().delete()
    counts.rebuild()
    assert stored() == kept == truth()


OPERATIONS = st.lists(st.tuples(st.sampled_from(["create", "status", "visibility", "categories", "delete", "bulk"]),
                                st.integers(0, 10_000)), min_size=1, max_size=12)


@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_any_sequence_of_writes_keeps_the_stored_counts_exact(operations, report_factory, admin_user, category):
    Report.objects.all().delete()
    parent = category.parent
    loose = Category.objects.get_or_create(slug="suelta", defaults={"name_es": "Suelta", "name_en": "Loose"})[0]
    choices = [[], [category], [parent], [loose], [category, parent], [category, loose]]
    statuses = Report.Status.values
    for name, seed in operations:
        rng = random.Random(seed)
        made = list(Report.objects.order_by("pk"))
        if name == "create" or not made:
            report_factory(categories=rng.choice(choices), **({} if rng.random() < 0.7 else {"lat": None, "lon": None}))
            continue
        report = rng.choice(made)
        if name == "status":
            report.status = rng.choice(statuses)
            report.save()
        elif name == "visibility":
            services.update_report(report=report, actor=admin_user, visibility=rng.choice(Report.Visibility.values))
        elif name == "categories":
            services.update_report(report=report, actor=admin_user, categories=rng.choice(choices))
        elif name == "delete":
            report.delete()
        else:
            ids = [r.pk for r in rng.sample(made, min(len(made), 3))]
            with counts.tracking(ids):
                Report.objects.filter(pk__in=ids).update(status=rng.choice(statuses))
        assert_exact()
    assert_exact()


def _exact_tabs(user, category_id: int | None) -> dict[str, int]:
    qs = console_selectors.selectors.visible_to(user)
    if category_id:
        ids = [category_id, *Category.objects.filter(parent_id=category_id).values_list("id", flat=True)]
        qs = qs.filter(categories__in=ids).distinct()
    return {status: qs.filter(status=status).count() for status in Report.Status.values}


def test_the_tabs_by_category_read_the_stored_counts_not_the_reports(report_factory, admin_user, category, make_user):
    parent = category.parent
    made = [report_factory(), report_factory(categories=[parent]), report_factory(categories=[category, parent]),
            report_factory(categories=[]), report_factory()]
    services.verify(report=made[1], actor=admin_user)
    services.update_report(report=made[4], actor=admin_user, visibility="confidential")
    analyst = make_user(roles.ANALYST)  # sees no confidential report
    for user in (admin_user, analyst):
        for category_id in (None, parent.id, category.id):
            filters = ReportFilters(categories=[category_id] if category_id else [], statuses=["verified"])
            with CaptureQueriesContext(connection) as queries:
                tabs = console_selectors.status_counts(user, filters)
            assert tabs == _exact_tabs(user, category_id)
            sql = " ".join(q["sql"] for q in queries.captured_queries)
            assert StatusCount._meta.db_table in sql
            assert Report._meta.db_table not in sql, "the tabs counted the reports"
    # Any other filter still counts the reports (the stored counts know nothing of sources).
    with CaptureQueriesContext(connection) as queries:
        tabs = console_selectors.status_counts(admin_user, ReportFilters(categories=[parent.id], sources=["web"]))
    web = _exact_tabs(admin_user, parent.id)  # every report here came through the web form
    assert Report.objects.exclude(source="web").count() == 0 and tabs == web
    assert Report._meta.db_table in " ".join(q["sql"] for q in queries.captured_queries)


def test_the_inbox_page_by_category_shows_the_stored_counts(report_factory, admin_user, category, mod_client):
    report_factory()
    services.verify(report=report_factory(), actor=admin_user)
    report_factory(categories=[])
    response = mod_client.get(f"/console/?category={category.parent.id}")
    assert response.status_code == 200
    tabs = {value: count for value, _label, count in response.context["tabs"]}
    assert tabs == _exact_tabs(mod_client.user, category.parent.id) and tabs["new"] == 1 and tabs["verified"] == 1
