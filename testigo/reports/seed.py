"""Seeding a believable demo deployment (Honduras, citizen security) on an empty database."""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone

from testigo.core import audit
from testigo.core.demo_data import CATEGORIES, generate
from testigo.reports import counts, public_changes
from testigo.reports.models import Category, Report
from testigo.reports.references import new_reference
from testigo.reports.services import refresh_projection


@transaction.atomic
def seed_categories() -> dict[str, Category]:
    by_slug: dict[str, Category] = {}
    for position, spec in enumerate(CATEGORIES):
        parent = by_slug.get(spec["parent"]) if spec["parent"] else None
        category, _created = Category.objects.get_or_create(
            slug=spec["slug"],
            defaults={"name_es": spec["name_es"], "name_en": spec["name_en"], "colour": spec["colour"],
                      "icon": spec["icon"], "parent": parent, "position": position},
        )
        by_slug[spec["slug"]] = category
    return by_slug


@transaction.atomic
def seed_reports(n: int = 2000, seed: int = 4636, english: float | None = None) -> int:
    """Bulk-create `n` demo reports (one audit event for the batch). Returns how many.

    `english`: the share written in English (see demo_data.generate); the demo passes 0 for a
    Spanish deployment and 1 for an English one."""
    categories = seed_categories()
    now = timezone.now()
    rng = random.Random(seed)
    reports, links = [], []
    for item in generate(rng, n, now, english=english):
        report = Report(
            reference=new_reference(), title=item["title"], description=item["description"],
            status=item["status"], visibility=item["visibility"], occurred_at=item["occurred_at"],
            received_at=min(now, item["occurred_at"] + (now - item["occurred_at"]) * rng.random() * 0.05),
            lat=item["lat"], lon=item["lon"], precision_m=item["precision_m"], place_name=item["place_name"],
            admin1=item["admin1"], admin2=item["admin2"], source=item["source"], language=item["language"],
            reporter_name=item["reporter_name"], reporter_contact=item["reporter_contact"],
        )
        if report.status == Report.Status.PUBLISHED:
            report.published_at = report.received_at
            report.public_updated_at = public_changes.stamp(report.received_at)  # bulk_create: no signals
        refresh_projection(report)
        reports.append(report)
        links.append(item["category_slugs"])
    Report.objects.bulk_create(reports, batch_size=500)
    # bulk_create sets pks on SQLite >= 3.35 and PostgreSQL.
    through = Report.categories.through
    through.objects.bulk_create(
        [through(report_id=r.pk, category_id=categories[slug].pk) for r, slugs in zip(reports, links, strict=True)
         for slug in slugs], batch_size=1000,
    )
    counts.added([r.pk for r in reports])  # bulk_create sends no signals: count them for the map
    audit.record(action="demo.seeded", data={"reports": n, "seed": seed})
    return n
