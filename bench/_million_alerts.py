"""bench_million section: threshold-rule evaluation (alerts.rules.evaluate_all) over the seeded
reports, with 20 rules over child and parent categories, windows from 1 hour to 30 days, radii
from 500 m to 5 km. The first run fires the rules (drafts, nothing is sent); the periodic runs
after it find the same clusters already fired, which is the steady state every report publication
and the periodic job pay for.

Reference, measured in the same run: reading the same rules' window rows (id, public position)
with plain SQL and nothing else, the floor any evaluation pays.
"""

from __future__ import annotations

import time

import _seed

RUNS = 5
HOURS = (1, 6, 24, 72, 168, 720)
RADII = (500, 1_000, 2_000, 5_000)
MINIMUM = (3, 5, 10, 20)


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _rules(ctx) -> list:
    from testigo.alerts.models import Rule

    categories = [*ctx.categories, ctx.parent]
    return Rule.objects.bulk_create([
        Rule(name=f"bench {i}", category_id=categories[i % len(categories)], hours=HOURS[i % len(HOURS)],
             radius_m=RADII[i % len(RADII)], min_reports=MINIMUM[i % len(MINIMUM)], verified_only=i % 2 == 0)
        for i in range(20)])


def _read_windows(rules: list) -> float:
    """The reference: each rule's window rows, read with plain SQL; returns milliseconds."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from testigo.alerts import rules as alert_rules

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for rule in rules:
            statuses = alert_rules.COUNTED_VERIFIED if rule.verified_only else alert_rules.COUNTED_ALL
            categories = sorted(alert_rules._descendants(rule.category_id))
            cursor.execute(
                "SELECT r.id, r.public_lat, r.public_lon FROM reports_report r WHERE r.status IN "
                f"({', '.join(['%s'] * len(statuses))}) AND r.visibility = 'public' AND r.merged_into_id IS NULL "
                "AND r.received_at >= %s AND r.public_lat IS NOT NULL AND EXISTS (SELECT 1 FROM "
                "reports_report_categories l WHERE l.report_id = r.id AND l.category_id IN "
                f"({', '.join(['%s'] * len(categories))}))",
                [*statuses, timezone.now() - timedelta(hours=rule.hours), *categories])
            cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def run(ctx) -> None:
    from testigo.alerts import rules as alert_rules
    from testigo.alerts.models import Alert

    rules = _rules(ctx)
    started = time.perf_counter()
    fired = alert_rules.evaluate_all()
    first_ms = (time.perf_counter() - started) * 1000
    times, references = [], []
    for _i in range(RUNS):
        started = time.perf_counter()
        again = alert_rules.evaluate_all()
        times.append((time.perf_counter() - started) * 1000)
        references.append(_read_windows(rules))
        assert again == 0, again  # every cluster was fired by the first run
    name = f"{ctx.prefix}.alerts_rules_evaluate_all"
    _seed.emit(f"{name}.first", round(first_ms, 1), "ms", n=ctx.n, rules=len(rules), fired=fired,
               alerts=Alert.objects.filter(kind=Alert.Kind.RULE).count())
    for p in (50, 95):
        _seed.emit(f"{name}.p{p}", round(_pct(times, p), 1), "ms", n=ctx.n, rules=len(rules), runs=RUNS,
                   reference_read_windows_ms=round(_pct(references, p), 1),
                   note="20 rules, windows 1 h to 30 days; reference: the same window rows read with plain SQL")
