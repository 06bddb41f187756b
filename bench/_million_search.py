"""Text search at a million reports (issue #19), a section of bench_million.py: the console inbox
(`/console/?q=`, target p95 <= 100 ms) and the public list (`/reports/?q=`, <= 50 ms) searching a
common word (a third of the reports), a rare one (one in ten thousand), a word typed without its
accent, two words, and a reference. The seed's text (bench/_seed.py INCIDENTS) sets how common
each word is.

References measured in the same run: the same pages without a search, and the search as it was
before the index (`icontains` on every word, a scan of the whole table) for the rare word.
"""

from __future__ import annotations

import time

import _seed

WORDS = {  # name -> what is typed
    "common": "extorsión",
    "common_unaccented": "extorsion",
    "rare": "desalojo",
    "accented": "Desaparición",
    "unaccented": "desaparicion",
    "two_words": "robo tegucigalpa",
    "plural": "amenazas",
}


def run(ctx) -> None:
    from urllib.parse import quote

    staff = ctx.staff_client
    ctx.time("search.reference.console_no_search", lambda i: "/console/", client=staff, target="<= 100")
    for name, typed in WORDS.items():
        ctx.time(f"search.console.{name}", lambda i, t=typed: f"/console/?q={quote(t)}", client=staff,
                 target="<= 100")
    # A status tab over a common word's matches: a status a tenth of them have, one none has, and
    # the commonest (PostgreSQL walks the (status, id) index for its page: reports migration 0018).
    for status in ("rejected", "archived", "published"):
        ctx.time(f"search.console.common_status_{status}",
                 lambda i, s=status: f"/console/?q={quote(WORDS['common'])}&status={s}", client=staff, target="<= 100")
    ctx.time("search.console.report_reference", lambda i: f"/console/?q=B-{ctx.rng.randrange(ctx.n):08d}",
             client=staff, target="<= 100")
    ctx.time("search.reference.public_list_no_search", lambda i: "/reports/")
    for name in ("common", "rare", "unaccented", "two_words"):
        ctx.time(f"search.public.{name}", lambda i, t=WORDS[name]: f"/reports/?q={quote(t)}")
    _old_search(ctx)
    _rebuild(ctx)


def _old_search(ctx) -> None:
    """The search before the index, `icontains` on title, description and place (the rare word,
    first page of the inbox): the reference the index is compared with."""
    from django.db.models import Q

    from testigo.reports.models import Report

    word = WORDS["rare"]
    times = []
    for _ in range(3):
        started = time.perf_counter()
        list(Report.objects.filter(Q(title__icontains=word) | Q(description__icontains=word)
                                   | Q(place_name__icontains=word)).order_by("-received_at", "-id")[:50])
        times.append((time.perf_counter() - started) * 1000)
    _seed.emit(f"{ctx.prefix}.search.reference.icontains_rare_word", round(sorted(times)[1], 1), "ms", n=len(times))


def _rebuild(ctx) -> None:
    """What the migration (and `testigo search rebuild`) costs at this size."""
    from testigo.reports import search

    started = time.perf_counter()
    search.rebuild()
    _seed.emit(f"{ctx.prefix}.search.rebuild", round(time.perf_counter() - started, 1), "s", n=ctx.n)
