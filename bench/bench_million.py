"""Every page and API call at a million reports (issue #19): seed 1,000,000 reports once (QUICK:
20,000; TESTIGO_BENCH_REPORTS overrides), then time in process, through the Django test client,
p50/p95 of each endpoint. The endpoints live in sections, one module each (bench/_million_*.py,
each with `run(ctx)`): the public pages and API here, the console, text search, exports, ...

Prints JSON lines; target p95 <= 50 ms for pages and API calls (<= 100 ms for console text search,
first byte <= 200 ms for exports). PostgreSQL runs too when TESTIGO_BENCH_POSTGRES_URL is set (in a
throw-away database created next to the one named in the URL).
"""

from __future__ import annotations

import importlib
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

REQUESTS = 30 if _seed.QUICK else 100
BUDGET_S = 20  # per endpoint: one taking seconds is measured on fewer requests (n says how many)
TARGET = "<= 50"
# Sections run in this order after the public pages; a section whose module is absent is skipped.
SECTIONS = ["_million_console", "_million_search", "_million_exports", "_million_alerts"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


@dataclass
class Context:
    """What a section gets: the backend's name, clients (public and a logged-in admin), a seeded
    random generator and the seeded data's handles."""

    backend: str
    n: int
    client: object
    staff_client: object
    staff_user: object
    rng: random.Random
    categories: list[int] = field(default_factory=list)  # child categories
    parent: int | None = None
    references: list[str] = field(default_factory=list)  # public ones

    @property
    def prefix(self) -> str:
        return f"million.{self.backend}"

    def time(self, name: str, urls, *, client=None, target: str = TARGET, status: int = 200) -> None:
        """GET each url (urls(i) gives the i-th), after one warm-up; emit p50 and p95 (ms)."""
        client = client or self.client
        client.get(urls(0))
        times = []
        budget_ends = time.perf_counter() + BUDGET_S
        for i in range(REQUESTS):
            if i >= 5 and time.perf_counter() > budget_ends:
                break
            url = urls(i)
            started = time.perf_counter()
            response = client.get(url)
            if getattr(response, "streaming", False):
                for _chunk in response.streaming_content:
                    pass
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == status, (url, response.status_code, getattr(response, "content", b"")[:200])
        _seed.emit(f"{self.prefix}.{name}.p50", round(pct(times, 50), 1), "ms", target=target, n=len(times))
        _seed.emit(f"{self.prefix}.{name}.p95", round(pct(times, 95), 1), "ms", target=target, n=len(times))


def public_section(ctx: Context) -> None:
    t = ctx.time
    t("home", lambda i: "/")
    t("list", lambda i: "/reports/")
    t("list_category", lambda i: f"/reports/?category={ctx.categories[i % len(ctx.categories)]}")
    t("list_parent_category", lambda i: f"/reports/?category={ctx.parent}")
    t("list_month", lambda i: f"/reports/?date_from=2026-{1 + i % 10:02d}-01&date_to=2026-{1 + i % 10:02d}-28")
    t("list_source", lambda i: "/reports/?source=sms")
    t("list_page_5", lambda i: "/reports/?page=5")
    t("report_page", lambda i: f"/r/{ctx.references[i % len(ctx.references)]}/")
    t("api_list", lambda i: "/api/v1/reports?limit=50")
    cursors = []
    for _ in range(REQUESTS):  # walk the list a page at a time: each request starts after a cursor
        body = ctx.client.get(f"/api/v1/reports?limit=50{cursors[-1] if cursors else ''}").json()
        cursors.append(f"&cursor={body['next_cursor']}")
    ctx.rng.shuffle(cursors)
    t("api_list_after_cursor", lambda i: f"/api/v1/reports?limit=50{cursors[i]}")


def run(backend: str) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from testigo.reports.models import Category
    from testigo.reports.selectors import public_base

    n = _seed.report_count()
    seconds = _seed.seed(n)
    _seed.emit(f"million.{backend}.seed_time", round(seconds, 1), "s", n=n)
    admin = get_user_model().objects.create_superuser("bench-admin", "bench@example.org", "x" * 16)
    staff_client = Client(HTTP_HOST="localhost")
    staff_client.force_login(admin)
    ctx = Context(backend=backend, n=n, client=Client(HTTP_HOST="localhost"), staff_client=staff_client,
                  staff_user=admin, rng=random.Random(19))
    ctx.categories = list(Category.objects.filter(parent__isnull=False).values_list("id", flat=True))
    ctx.parent = Category.objects.filter(parent__isnull=True).values_list("id", flat=True).first()
    ctx.references = list(public_base().order_by("?").values_list("reference", flat=True)[:REQUESTS])
    public_section(ctx)
    for name in SECTIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        module.run(ctx)


def main() -> None:
    _seed.run_on_both("million", run, __file__)


if __name__ == "__main__":
    main()
