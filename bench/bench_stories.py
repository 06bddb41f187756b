"""A story page at scale (issue #21, stories): seed reports with _seed.py (1,000,000; QUICK:
20,000; TESTIGO_BENCH_REPORTS overrides), write a published story linking 100 published reports
with a card each and a long text, then measure

- its weight: the HTML and everything it loads (stylesheet, script, icon; the map is inline SVG),
  gzip level 6 as sent and raw; target <= 150 KB;
- its server time through the Django test client, p50/p95 over repeated requests; target p95 <= 50 ms;
- the stories index and the Atom feed's server time.

Prints JSON lines; PostgreSQL runs too when TESTIGO_BENCH_POSTGRES_URL is set.
TESTIGO_BENCH_PROFILE=1: also profile the story page's requests (cProfile) and print the costliest
functions to stderr (how the main cost was found, docs/stories.md)."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

REQUESTS = 30 if _seed.QUICK else 100
LINKED = 100
PARAGRAPH = ("Los conductores de la ruta pagan cada semana una cuota a quienes controlan la terminal; "
             "quien no paga recibe amenazas, y algunos han dejado de trabajar. ")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def weigh(client, url: str) -> tuple[int, int, int]:
    from testigo.core.pageweight import weigh as page_weight

    found = page_weight(client, url)
    return found["gz"], found["raw"], found["files"]


def timed(prefix: str, name: str, client, url: str) -> None:
    client.get(url)
    times, cpu = [], []
    for _ in range(REQUESTS):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    _seed.emit(f"{prefix}.{name}.p50", round(pct(times, 50), 1), "ms", target="<= 50", n=len(times))
    _seed.emit(f"{prefix}.{name}.p95", round(pct(times, 95), 1), "ms", target="<= 50", n=len(times))
    # The process's CPU time too: on a shared machine the wall clock also counts waiting for a core.
    _seed.emit(f"{prefix}.{name}.cpu_p50", round(pct(cpu, 50), 1), "ms", target=None, n=len(cpu))
    _seed.emit(f"{prefix}.{name}.cpu_p95", round(pct(cpu, 95), 1), "ms", target=None, n=len(cpu))


def profile(client, url: str) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(REQUESTS):
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
    print(out.getvalue(), file=sys.stderr)


def run(backend: str) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from testigo.core import markup
    from testigo.reports.selectors import public_base
    from testigo.stories import services

    n = _seed.report_count()
    seconds = _seed.seed(n)
    prefix = f"stories.{backend}"
    _seed.emit(f"{prefix}.seed_time", round(seconds, 1), "s", n=n)
    admin = get_user_model().objects.create_superuser("bench-admin", "bench@example.org", "x" * 16)
    refs = list(public_base().order_by("?").values_list("reference", flat=True)[:LINKED])
    cards = "\n\n".join(f"[[report:{ref}]]" for ref in refs)
    body = (PARAGRAPH * 1000)[:markup.MAX_MARKDOWN_CHARS - len(cards) - 2] + "\n\n" + cards
    story = services.save_story(actor=admin, data=services.StoryInput(
        texts={"title_es": "Extorsión a conductores de bus en Comayagüela, 2026", "summary_es": PARAGRAPH,
               "body_es": body, "title_en": "Extortion of bus drivers", "body_en": body},
        references=refs, redactions=["Juan Pérez"]))
    services.set_status(actor=admin, story=story, status="published")
    client = Client(HTTP_HOST="localhost")
    url = f"/stories/{story.slug}/"
    gz, raw, files = weigh(client, url)
    _seed.emit(f"{prefix}.story_page.weight_gz", round(gz / 1024, 1), "KB", target="<= 150", n=files,
               linked=len(refs))
    _seed.emit(f"{prefix}.story_page.weight_raw", round(raw / 1024, 1), "KB", target=None, n=files, linked=len(refs))
    timed(prefix, "story_page", client, url)
    if os.environ.get("TESTIGO_BENCH_PROFILE"):
        profile(client, url)
    timed(prefix, "story_index", client, "/stories/")
    timed(prefix, "story_feed", client, "/feeds/stories.atom")


def main() -> None:
    _seed.run_on_both("stories", run, __file__)


if __name__ == "__main__":
    main()
