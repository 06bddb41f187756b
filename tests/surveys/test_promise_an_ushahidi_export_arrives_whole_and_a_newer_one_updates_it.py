"""A real Ushahidi v2 export (Haiti 2010, 3,593 reports) arrives whole: every row a report, each
bilingual category created once, HTML entities decoded, APPROVED/VERIFIED as statuses; importing
a newer export of the same deployment updates those reports and never duplicates them."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from testigo.reports.models import Category, Report
from testigo.surveys import importing
from testigo.surveys.models import Import
from tests.reports.test_counts import assert_equals_rebuild

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HAITI = Path(__file__).parent / "ushahidi_exports" / "haiti_2010_v2.csv"
ENTITY = re.compile(r"&(quot|amp|lt|gt|#\d+);")


@pytest.fixture
def run(admin_user, django_capture_on_commit_callbacks):
    def run(data: bytes, name: str = "haiti.csv") -> Import:
        imp = importing.create_import(actor=admin_user, name=name, data=data)  # the preset, unchanged
        with django_capture_on_commit_callbacks(execute=True):
            importing.start(actor=admin_user, imp=imp)
        return Import.objects.get(pk=imp.pk)

    return run


def rows_of(data: bytes) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    return rows[0], rows[1:]


def test_every_row_becomes_a_report_with_one_category_per_distinct_name(run):
    data = HAITI.read_bytes()
    header, rows = rows_of(data)
    imp = run(data)
    assert imp.status == Import.Status.DONE and imp.rejected_count == 0, imp.errors[:3]
    assert imp.created_count == len(rows) == Report.objects.count()
    # The distinct names in the file, split on commas only: "2a. Penurie d'aliments | Food Shortage" is one.
    distinct = {" ".join(n.split()) for row in rows for n in row[header.index("CATEGORY")].split(",") if n.strip()}
    assert Category.objects.count() == len(distinct) == len(imp.summary["categories_created"])
    food = Category.objects.get(name_es="2a. Penurie d'aliments | Food Shortage")
    assert food.name_en == "2a. Food Shortage" and food.parent.name_en == "2. Vital Lines"
    serial = rows[[r[header.index("CATEGORY")] for r in rows].index(next(
        r[header.index("CATEGORY")] for r in rows if "2a. Penurie" in r[header.index("CATEGORY")]))][0]
    report = Report.objects.get(custom_values___external_id=serial)
    assert food in report.categories.all()


def test_html_entities_are_decoded_and_statuses_follow_approved_and_verified(run):
    data = HAITI.read_bytes()
    header, rows = rows_of(data)
    assert any(ENTITY.search(row[header.index("DESCRIPTION")]) for row in rows)  # the file has them
    run(data)
    assert not Report.objects.filter(description__regex=ENTITY.pattern).exists()
    assert not Report.objects.filter(title__regex=ENTITY.pattern).exists()
    assert not Report.objects.filter(place_name__regex=ENTITY.pattern).exists()
    one = next(row for row in rows if "&quot;" in row[header.index("INCIDENT TITLE")])
    title = Report.objects.get(custom_values___external_id=one[0]).title
    assert '"' in title and "&quot;" not in title
    approved = sum(1 for row in rows if row[header.index("APPROVED")] == "YES")
    assert Report.objects.filter(status=Report.Status.PUBLISHED).count() == approved
    assert Report.objects.filter(status=Report.Status.NEW).count() == len(rows) - approved
    public = Report.objects.filter(status=Report.Status.PUBLISHED).exclude(published_at=None)
    assert public.exclude(public_updated_at=None).count() == approved  # the public list and API see them


def test_importing_a_newer_export_updates_the_same_reports_and_never_duplicates(run):
    data = HAITI.read_bytes()
    header, rows = rows_of(data)
    first = run(data)
    again = run(data)
    assert again.created_count == 0 and again.updated_count == 0 and again.duplicate_count == len(rows)
    assert Report.objects.count() == first.created_count == len(rows)
    # The deployment went on: one report retitled, one unapproved, one moved, and one new.
    title, approved, lat = header.index("INCIDENT TITLE"), header.index("APPROVED"), header.index("LATITUDE")
    changed = [list(row) for row in rows]
    unapproved = next(i for i, row in enumerate(rows) if i > 2 and row[approved] == "YES" and row[approved + 1] == "NO")
    changed[0][title] = "Type O blood found, thank you"
    changed[unapproved][approved] = "NO"
    changed[2][lat] = "18.5"
    changed.append(["99999", "New report", "2010-07-06 10:00", "Jacmel", "Still needed", "3. Public Health, ",
                    "18.2", "-72.5", "YES", "NO"])
    out = io.StringIO()
    csv.writer(out).writerows([header, *changed])
    newer = run(out.getvalue().encode("utf-8"), name="haiti-later.csv")
    assert (newer.created_count, newer.updated_count, newer.rejected_count) == (1, 3, 0), newer.errors[:3]
    assert Report.objects.count() == len(rows) + 1
    assert Report.objects.get(custom_values___external_id=rows[0][0]).title == "Type O blood found, thank you"
    assert Report.objects.get(custom_values___external_id=rows[unapproved][0]).status == Report.Status.NEW
    assert Report.objects.get(custom_values___external_id=rows[2][0]).lat == 18.5
    assert Category.objects.count() == first.summary["categories_matched"]  # no category twice
    assert_equals_rebuild()  # the map's counts followed the updates (one report unpublished, one moved)


def test_a_file_that_holds_no_posts_is_refused_with_a_reason(admin_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="cannot be read"):
        importing.create_import(actor=admin_user, name="posts.json", data=b'{"errors": [{"status": 401}]}')
