"""bench_million section: the staff console at a million reports (issue #19).

The inbox with each filter and its status tabs, a later page, the staff report page, and the
audit trail (seeded here with 1.5 events per report, in bulk SQL: no hash chain, so the page's
automatic verification is off as it is on any big trail). The reference, timed in the same run:
what the inbox counted before, one exact COUNT(*) and one GROUP BY status over every visible
report.
"""

from __future__ import annotations

import time

import _seed

ACTIONS = ["report.created", "report.edited", "report.in_review", "report.verified", "report.published",
           "report.note_added"]
ACTORS = ["ana", "bruno", "carla", "diego", "elena", "", "", ""]  # "" is the system
RARE_ACTOR = "auditora"  # one event in a thousand


def seed_audit() -> int:
    """1.5 audit events per report, by plain INSERT ... SELECT; returns how many."""
    from django.db import connection

    actions = " ".join(f"WHEN {i} THEN '{a}'" for i, a in enumerate(ACTIONS))
    actors = " ".join(f"WHEN {i} THEN '{a}'" for i, a in enumerate(ACTORS))
    with connection.cursor() as cursor:
        for k, where in ((1, ""), (2, "WHERE id % 2 = 0")):
            cursor.execute(f"""
                INSERT INTO core_auditevent (seq, at, actor_id, actor_name, action, object_type, object_id,
                                             data, prev_hash, hash)
                SELECT id * 2 + {k}, received_at, NULL,
                       CASE WHEN id % 1000 = 7 THEN '{RARE_ACTOR}' ELSE CASE (id + {k}) % {len(ACTORS)} {actors} END END,
                       CASE (id * {k}) % {len(ACTIONS)} {actions} END, 'reports.report', CAST(id AS VARCHAR(20)),
                       '{{}}', '', 'bench-' || CAST(id AS VARCHAR(20)) || '-{k}'
                FROM reports_report {where}""")
        cursor.execute("ANALYZE")
        cursor.execute("SELECT COUNT(*), MAX(seq) FROM core_auditevent")
        count, last = cursor.fetchone()
    # The chain's head moves past the seeded events, so later sections can append events (a rule's
    # alert is audited) without reusing a seq.
    from testigo.core.models import AuditHead

    AuditHead.objects.update_or_create(id=1, defaults={"seq": last, "hash": "bench"})
    return count


def reference(ctx) -> None:
    """The old inbox counting, timed on the same data: an exact COUNT(*) and a GROUP BY status."""
    from django.db.models import Count

    from testigo.reports import selectors

    qs = selectors.staff_reports(ctx.staff_user).order_by()
    for name, read in (("count_all", lambda: qs.count()),
                       ("group_by_status", lambda: list(qs.values("status").annotate(n=Count("id"))))):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            read()
            times.append((time.perf_counter() - started) * 1000)
        _seed.emit(f"{ctx.prefix}.console.reference.{name}", round(sorted(times)[2], 1), "ms", n=ctx.n)


def run(ctx) -> None:
    from testigo.reports.models import Report
    from testigo.reports.selectors import visible_to

    events = seed_audit()
    _seed.emit(f"{ctx.prefix}.console.audit_events", events, "rows", n=ctx.n)
    reference(ctx)
    t, staff = ctx.time, ctx.staff_client

    def inbox(name, urls):
        t(f"console.{name}", urls, client=staff)

    inbox("inbox", lambda i: "/console/")
    for status in Report.Status.values:
        inbox(f"inbox_{status}", lambda i, s=status: f"/console/?status={s}")
    inbox("inbox_category", lambda i: f"/console/?category={ctx.categories[i % len(ctx.categories)]}")
    inbox("inbox_parent_category", lambda i: f"/console/?category={ctx.parent}")
    inbox("inbox_source", lambda i: "/console/?source=sms")
    inbox("inbox_month", lambda i: f"/console/?date_from=2026-{1 + i % 10:02d}-01&date_to=2026-{1 + i % 10:02d}-28")
    inbox("inbox_new_category_source", lambda i: f"/console/?status=new&source=sms&category={ctx.categories[i % 3]}")
    inbox("inbox_page_5", lambda i: "/console/?page=5")
    inbox("inbox_page_40_of_new", lambda i: "/console/?status=new&page=40")
    refs = list(visible_to(ctx.staff_user).order_by("?").values_list("reference", flat=True)[:50])
    inbox("report_page", lambda i: f"/console/r/{refs[i % len(refs)]}/")
    inbox("audit", lambda i: "/console/audit/")
    inbox("audit_page_5", lambda i: "/console/audit/?page=5")
    inbox("audit_by_action", lambda i: f"/console/audit/?action={ACTIONS[i % len(ACTIONS)]}")
    inbox("audit_by_actor", lambda i: f"/console/audit/?actor={ACTORS[i % 5].upper()}")
    inbox("audit_by_rare_actor", lambda i: f"/console/audit/?actor={RARE_ACTOR}")
