"""Issue #19: an inbox search for a common word with a status tab whose status is rare among the
word's matches read every match's row to find the few with that status (the page and the tab's
count alike). SQLite's staff index now holds the status in a column of its own, which the words
typed never reach, so `status AND words` is answered by the index: a status rare among the matches
is a rare query (looked up by key), a common one walks the index's matches of both. On
PostgreSQL, whose GIN index and status index combine, a status rare among the matches is a rare
query too (it sorted every match with that status, a tenth of a common word's). And the
inbox asks the index whether a query is rare once per request, not once for the list and again
for its tabs."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from testigo.console import selectors as console_selectors
from testigo.core import roles
from testigo.reports import search, services
from testigo.reports.models import Report
from testigo.reports.selectors import ReportFilters, staff_reports

pytestmark = pytest.mark.django_db
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 staff index")

COMMON = 12


@pytest.fixture
def common_word(report_factory, admin_user, monkeypatch):
    """COMMON reports say "extorsión", one of them rejected, two in review; RARE_MATCHES below
    COMMON makes the word common, above 1 makes "rejected" rare among its matches."""
    monkeypatch.setattr(search, "RARE_MATCHES", 5)
    made = [report_factory(title=f"Extorsión número {i}", description="Cobran la renta.") for i in range(COMMON)]
    services.change_status(report=made[3], actor=admin_user, status="rejected")
    for report in made[5:7]:
        services.change_status(report=report, actor=admin_user, status="in_review")
    # Words that name a status in English: a report's status must never make its text match.
    report_factory(title="New review published", description="Rejected, archived, verified.")
    return made


def _inbox(user, text="extorsiones", statuses=()):
    return staff_reports(user, ReportFilters(text=text, statuses=list(statuses)), paged=True)


def test_a_status_tab_finds_exactly_the_matches_with_that_status(common_word, admin_user):
    for status in Report.Status.values:
        expected = sorted((r.pk for r in Report.objects.filter(pk__in=[m.pk for m in common_word], status=status)),
                          reverse=True)
        assert [r.pk for r in _inbox(admin_user, statuses=[status])] == expected, status
    both = _inbox(admin_user, statuses=["rejected", "in_review"])
    assert sorted(r.pk for r in both) == sorted([common_word[3].pk, common_word[5].pk, common_word[6].pk])
    tabs = console_selectors.status_counts(admin_user, ReportFilters(text="extorsion", statuses=["rejected"]))
    assert tabs == {**dict.fromkeys(Report.Status.values, 0), "new": COMMON - 3, "rejected": 1, "in_review": 2}


def test_words_never_match_a_status(common_word, admin_user):
    for word in ("review", "rejected", "new", "in"):
        found = list(_inbox(admin_user, text=word))
        assert [r.title for r in found] == (["New review published"] if word != "in" else []), word
        assert not [r for r in _inbox(admin_user, text=word, statuses=["in_review"])]


def _by_key(qs) -> bool:
    """Whether qs looks the matches up by key (a rare query) rather than asking the index per row."""
    return search.TABLES["staff"] not in str(qs.query) and "to_tsvector" not in str(qs.query)


def test_a_status_rare_among_a_common_words_matches_is_looked_up_by_key(common_word, admin_user):
    assert not _by_key(_inbox(admin_user))  # the word alone is common: the index is walked
    rare = _inbox(admin_user, statuses=["rejected"])
    assert _by_key(rare)  # with the status: rare, the few matches looked up by their key
    assert [r.pk for r in rare] == [common_word[3].pk]
    common = _inbox(admin_user, statuses=["new"])
    assert not _by_key(common)
    if connection.vendor != "sqlite":
        return
    assert 'status : ("new") AND' in str(common.query), str(common.query)  # the status is an index term


@sqlite_only
def test_the_inbox_asks_the_index_once_per_request(common_word, admin_user):
    client = Client()
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as alone:
        search.fts5_terms("staff", search.words("extorsiones"))
    vocabulary_reads = sum("_vocab" in q["sql"] for q in alone.captured_queries)
    assert vocabulary_reads
    with CaptureQueriesContext(connection) as page:
        assert client.get("/console/?q=extorsiones").status_code == 200
    assert sum("_vocab" in q["sql"] for q in page.captured_queries) == vocabulary_reads
    rare_checks = [q["sql"] for q in page.captured_queries if re.search(rf"LIMIT {search.RARE_MATCHES}\b", q["sql"])]
    assert len(rare_checks) == 1, rare_checks


def test_an_analyst_tab_over_a_common_word_hides_confidential_reports(common_word, admin_user, make_user):
    services.update_report(report=common_word[3], actor=admin_user, visibility="confidential")
    analyst = make_user(roles.ANALYST)
    assert list(_inbox(analyst, statuses=["rejected"])) == []
    assert console_selectors.status_counts(analyst, ReportFilters(text="extorsion"))["rejected"] == 0
