"""The public pages at a million reports (issue #19): seed 1,000,000 reports once (QUICK: 20,000;
TESTIGO_BENCH_REPORTS overrides), then time in process, through the Django test client, p50/p95 of
the public home page, the public report list (unfiltered, by category, by dates, by source, a later
page), one public report page and the API's public list (first page and the page after a cursor).

Prints JSON lines; target p95 <= 50 ms each. PostgreSQL runs too when TESTIGO_BENCH_POSTGRES_URL
is set (in a throw-away database created next to the one named in the URL).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

REQUESTS = 30 if _seed.QUICK else 100
BUDGET_S = 20  # per page: a page taking seconds is measured on fewer requests (n says how many)
TARGET = "<= 50"


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _time(client, name: str, urls) -> None:
    """GET each url (a callable giving the i-th one), after one warm-up; emit p50 and p95."""
    client.get(urls(0))
    times = []
    budget_ends = time.perf_counter() + BUDGET_S
    for i in range(REQUESTS):
        if i >= 5 and time.perf_counter() > budget_ends:
            break
        url = urls(i)
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:200])
    _seed.emit(f"{name}.p50", round(_pct(times, 50), 1), "ms", target=TARGET, n=len(times))
    _seed.emit(f"{name}.p95", round(_pct(times, 95), 1), "ms", target=TARGET, n=len(times))


def run(backend: str) -> None:
    from django.test import Client

    from testigo.reports.models import Category
    from testigo.reports.selectors import public_base

    n = _seed.report_count()
    seconds = _seed.seed(n)
    _seed.emit(f"million.{backend}.seed_time", round(seconds, 1), "s", n=n)
    client = Client(HTTP_HOST="localhost")
    rng = random.Random(19)
    categories = list(Category.objects.filter(parent__isnull=False).values_list("id", flat=True))
    parent = Category.objects.filter(parent__isnull=True).values_list("id", flat=True).first()
    references = list(public_base().order_by("?").values_list("reference", flat=True)[:REQUESTS])
    prefix = f"million.{backend}"
    _time(client, f"{prefix}.home", lambda i: "/")
    _time(client, f"{prefix}.list", lambda i: "/reports/")
    _time(client, f"{prefix}.list_category", lambda i: f"/reports/?category={categories[i % len(categories)]}")
    _time(client, f"{prefix}.list_parent_category", lambda i: f"/reports/?category={parent}")
    _time(client, f"{prefix}.list_month", lambda i: f"/reports/?date_from=2026-{1 + i % 10:02d}-01"
                                                    f"&date_to=2026-{1 + i % 10:02d}-28")
    _time(client, f"{prefix}.list_source", lambda i: "/reports/?source=sms")
    _time(client, f"{prefix}.list_page_5", lambda i: "/reports/?page=5")
    _time(client, f"{prefix}.report_page", lambda i: f"/r/{references[i % len(references)]}/")
    _time(client, f"{prefix}.api_list", lambda i: "/api/v1/reports?limit=50")
    cursors = []
    for _ in range(REQUESTS):  # walk the list a page at a time: each request starts after a cursor
        body = client.get(f"/api/v1/reports?limit=50{cursors[-1] if cursors else ''}").json()
        cursors.append(f"&cursor={body['next_cursor']}")
    rng.shuffle(cursors)
    _time(client, f"{prefix}.api_list_after_cursor", lambda i: f"/api/v1/reports?limit=50{cursors[i]}")


def main() -> None:
    _seed.run_on_both("million", run, __file__)


if __name__ == "__main__":
    main()
