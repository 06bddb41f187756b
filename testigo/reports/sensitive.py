"""The survivor pathway's rule for reports (docs/help-services.md): a report in a sensitive category
(flagged itself or through its parent) is confidential from the start and never public.

The rule is kept where reports are written (create, edit, merge, publish, bulk insert, a category
newly flagged), so `selectors.public_base()` stays the two indexed columns (status, visibility)
the public map, list and API are measured on: a sensitive report simply never has visibility
"public". tests/reports/test_promise_survivor_reports_never_reach_the_public.py checks every door.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from testigo.reports.models import Category, Report

SENSITIVE = Q(sensitive=True) | Q(parent__sensitive=True)


def sensitive_ids(ids: Iterable[int] | None = None) -> set[int]:
    """Ids of the sensitive categories (among `ids` when given)."""
    qs = Category.objects.filter(SENSITIVE)
    if ids is not None:
        qs = qs.filter(id__in=list(ids))
    return set(qs.values_list("id", flat=True))


def any_sensitive(categories: Iterable[Category] | None) -> bool:
    ids = [c.pk for c in categories or ()]
    return bool(ids) and bool(sensitive_ids(ids))


def is_sensitive(report: Report) -> bool:
    return report.pk is not None and report.categories.filter(SENSITIVE).exists()


def refuse_public(names: str) -> ValidationError:
    return ValidationError(
        _("Reports in a survivor-pathway category (%(categories)s) are confidential: they can never be "
          "made public or published.") % {"categories": names}, code="sensitive")


def sensitive_names(report: Report) -> str:
    return ", ".join(c.name for c in report.categories.filter(SENSITIVE).select_related("parent"))
