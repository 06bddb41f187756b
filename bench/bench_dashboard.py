"""The console dashboard (issue #24) over a seeded deployment: whole page requests (filters, every
GROUP BY, the SVG charts and tables) as the default 30 days, a quarter by week, a month of one
category and of one channel, and two tables' CSV (over time; outgoing messages per channel, over an
outbox of one message for every four reports). Target: p95 ≤ 200 ms at a million reports.

Prints JSON lines {"name","value","unit","target","n"}, on SQLite and then on PostgreSQL (with
TESTIGO_BENCH_POSTGRES_URL). TESTIGO_BENCH_QUICK=1: 20,000 reports, under a minute per backend;
TESTIGO_BENCH_REPORTS=n for another size. Reports are spread over two years (bench/_seed.py), so a
month holds ~1/24 of them.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

REQUESTS = 15 if _seed.QUICK else 40
TARGET_MS = 200
AREAS = ["Francisco Morazán", "Cortés", "Atlántida", "Comayagua", "Choluteca", "Olancho", "Yoro", ""]


def _pct(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _areas() -> None:
    """The seed leaves admin1 empty: spread the reports over a few departments (one in 8 without)."""
    from django.db import connection

    cases = " ".join(f"WHEN {i} THEN %s" for i in range(len(AREAS)))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE reports_report SET admin1 = CASE id % {len(AREAS)} {cases} END", AREAS)


def _outbox(n: int) -> int:
    """One outgoing message for every four reports, over the same two years, on three channels, in
    every state (the delivery-rates table reads them through its index)."""
    import random
    from datetime import UTC, datetime

    from django.db import connection

    from testigo.channels.models import Channel, Contact

    rng = random.Random(11)
    channels = [Channel.objects.create(type=t, name=t.upper()).pk for t in ("smssync", "telegram", "whatsapp")]
    contacts = [Contact.objects.create(scheme="tel", address=f"+5049{i:07d}").pk for i in range(200)]
    now = datetime.now(UTC)
    states = ["sent"] * 6 + ["delivered"] * 3 + ["failed", "queued"]
    sql = ("INSERT INTO channels_outboundmessage (channel_id, contact_id, text, status, attempts, next_attempt_at, "
           "provider_id, error, segments, encoding, created_at, template, error_code) "
           "VALUES (%s, %s, %s, %s, 1, %s, '', '', 1, 'GSM-7', %s, '{}', '')")
    total = n // 4
    with connection.cursor() as cursor:
        for start in range(0, total, 20_000):
            rows = []
            for _ in range(min(20_000, total - start)):
                when = now - timedelta(seconds=rng.randrange(0, 730 * 86400))
                rows.append((rng.choice(channels), rng.choice(contacts), "Alerta", rng.choice(states), when, when))
            cursor.executemany(sql, rows)
    return total


def _settle() -> None:
    """Fold SQLite's write-ahead log back into the database, as its automatic checkpoints do in
    service: a bulk seed leaves gigabytes of WAL that every read must search (at 200,000 reports a
    month's page took 6 s instead of under one)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def run(backend: str) -> None:
    from django.test import Client
    from django.utils import timezone

    from testigo.core import roles
    from testigo.reports.models import Category

    n = _seed.report_count()
    seconds = _seed.seed(n)
    _areas()
    messages = _outbox(n)
    _seed.emit(f"dashboard.{backend}.outbox_messages", messages, "messages", n=n)
    _settle()
    _seed.emit(f"dashboard.{backend}.seed_time", round(seconds, 1), "s", n=n)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="bench-admin", password="x")
    roles.set_role(user, roles.ADMIN)
    client = Client()
    client.force_login(user)
    category = Category.objects.filter(parent__isnull=True).first()
    quarter = (timezone.localdate() - timedelta(days=89)).isoformat()
    cases = {
        "month": "/console/dashboard/",
        "quarter_by_week": f"/console/dashboard/?date_from={quarter}",
        "month_one_category": f"/console/dashboard/?category={category.pk}",
        "month_one_channel": "/console/dashboard/?source=sms",
        "csv_over_time": "/console/dashboard/over_time.csv",
        "csv_delivery": "/console/dashboard/delivery.csv",
    }
    for name, url in cases.items():
        assert client.get(url).status_code == 200, url  # warm: the first request compiles templates
        times = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        _seed.emit(f"dashboard.{backend}.{name}.p50", round(_pct(times, 50), 1), "ms", n=n)
        _seed.emit(f"dashboard.{backend}.{name}.p95", round(_pct(times, 95), 1), "ms",
                   target=None if _seed.QUICK else TARGET_MS, n=n)


if __name__ == "__main__":
    _seed.run_on_both("dashboard", run, __file__)
