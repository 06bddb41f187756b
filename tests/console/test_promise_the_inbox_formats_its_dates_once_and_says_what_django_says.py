"""Issue #19: the inbox's three dates per row were ~8 ms of a 50-row page: the shown date read its
format and translated its month anew for every row on every request, and `naturaltime` looked up
each of its translated pieces on every call. Now a report's ISO and shown dates are formatted once
per language and time zone (the same page asked again formats nothing), and the relative time
keeps its translated pieces; both say exactly what Django's filters say."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.contrib.humanize.templatetags.humanize import naturaltime as django_naturaltime
from django.test import override_settings
from django.utils import timezone, translation

from testigo.console import inbox
from testigo.core import dates
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db


def test_relative_times_are_word_for_word_djangos_in_both_languages():
    now = timezone.now()
    rng = random.Random(19)
    offsets = [0, 1, 59, 60, 3599, 3600, 86399, 86400, 86400 * 31, 86400 * 400]
    offsets += [rng.randint(-10**8, 10**8) for _ in range(300)] + [rng.randint(-90_000, 90_000) for _ in range(300)]
    moments = [now - timedelta(seconds=s) for s in offsets + [-s for s in offsets[:10]]]
    for language in ("es", "en"):
        with translation.override(language):
            for moment in moments:
                assert inbox.naturaltime(moment) == str(django_naturaltime(moment)), (language, moment)


def test_a_page_asked_again_formats_no_date_and_each_language_gets_its_own(report_factory, monkeypatch):
    made = [report_factory(title=f"Informe {i}") for i in range(5)]
    for i, report in enumerate(made):
        Report.objects.filter(pk=report.pk).update(received_at=timezone.now() - timedelta(days=i * 40, minutes=i))
    reports = list(Report.objects.filter(pk__in=[r.pk for r in made]))
    calls = []
    real = dates.show
    monkeypatch.setattr(dates, "show", lambda moment, **kw: calls.append(moment) or real(moment, **kw))
    inbox._when.cache_clear()
    shown = {}
    for language in ("es", "en"):
        with translation.override(language):
            first = inbox.rows(reports)
            again = inbox.rows(reports)
            shown[language] = [row.received_when for row in again]
            assert [row.received_when for row in first] == shown[language]
            assert shown[language] == [real(r.received_at) for r in reports]
            assert [row.received_iso for row in again] == [dates.local(r.received_at).isoformat() for r in reports]
    assert len(calls) == 2 * len(reports)  # once per report and language, not once per request
    assert shown["es"] != shown["en"]  # month names differ: no language got the other's
    with override_settings(TIME_ZONE="Asia/Tokyo"), translation.override("en"):
        tokyo = inbox.rows(reports)
        assert [row.received_when for row in tokyo] == [real(r.received_at) for r in reports]
        assert [row.received_when for row in tokyo] != shown["en"]
