"""Counts and pages that read a bounded number of rows, however big the table (issue #19).

An exact COUNT(*) reads every matching row or index entry: at a million reports the inbox's
counts and a filtered public list spent most of their time counting. Here a count stops after
`cap` + 1 rows (a LIMITed subquery, so it works under any filter) and says "1,000+" beyond
that; a page is read as its rows plus one, which tells whether there is a next page without
counting. The last page number is known only when the count is exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _

COUNT_CAP = 1000


@dataclass(frozen=True, eq=False)
class CappedCount:
    """A count that is exact up to its cap; above it, `value` is the cap and `exact` is False."""

    value: int
    exact: bool = True

    def __str__(self) -> str:
        shown = number_format(self.value, force_grouping=not self.exact)
        return shown if self.exact else _("%(count)s+") % {"count": shown}

    def __int__(self) -> int:
        return self.value

    def __eq__(self, other) -> bool:
        """Equal to a plain number only when exact: "1,000+" is not 1,000."""
        if isinstance(other, CappedCount):
            return (self.value, self.exact) == (other.value, other.exact)
        return isinstance(other, int) and self.exact and self.value == other

    def __hash__(self) -> int:
        return hash((self.value, self.exact))

    def __add__(self, other: CappedCount) -> CappedCount:
        """A sum of capped counts is capped too: more than the sum when any part is."""
        return CappedCount(self.value + other.value, self.exact and other.exact)

    def within(self, cap: int | None = None) -> CappedCount:
        """This count as capped_count would give it with `cap`: a sum of capped counts above the
        cap reads "cap+", as one count would have."""
        cap = COUNT_CAP if cap is None else cap
        return self if self.value <= cap else CappedCount(cap, exact=False)


def capped_count(qs: QuerySet, cap: int | None = None) -> CappedCount:
    """How many rows qs has, reading at most cap + 1 of them (in whatever order is cheapest)."""
    cap = COUNT_CAP if cap is None else cap
    found = qs.order_by().values("pk")[: cap + 1].count()
    return CappedCount(found) if found <= cap else CappedCount(cap, exact=False)


class CappedPaginator:
    """Pages of a queryset without an exact count: `count` is capped, `num_pages` is None when
    the count is not exact, and each page reads its rows plus one to know whether a next one
    exists. The interface is the part of Django's Paginator that the templates use."""

    def __init__(self, object_list: QuerySet, per_page: int, cap: int | None = None, *,
                 count: CappedCount | None = None, read: Callable[[QuerySet, int, int], list] | None = None):
        """`count`: the list's count when the caller has it already (the inbox sums its tabs'
        counts), so it is not counted twice. `read(object_list, start, stop)`: how to read
        object_list[start:stop] when a plain slice is not the cheapest way (the public list reads
        the keys first: selectors.public_rows)."""
        self.object_list, self.per_page, self.cap = object_list, per_page, cap
        self.read = read or (lambda qs, start, stop: list(qs[start:stop]))
        if count is not None:
            self.__dict__["count"] = count.within(cap)

    @cached_property
    def count(self) -> CappedCount:
        return capped_count(self.object_list, self.cap)

    @property
    def num_pages(self) -> int | None:
        if not self.count.exact:
            return None
        return max(1, math.ceil(self.count.value / self.per_page))

    def get_page(self, number) -> CappedPage:
        """The page asked for; an invalid number gives the first page, one beyond the end the last."""
        try:
            number = max(1, int(number))
        except (TypeError, ValueError):
            number = 1
        rows = self._rows(number)
        if not rows and number > 1:
            # Beyond the end: count up to where the page would start (no more rows than the
            # page itself would have skipped) to find the last page.
            found = capped_count(self.object_list, cap=(number - 1) * self.per_page).value
            number = max(1, math.ceil(found / self.per_page))
            rows = self._rows(number)
        return CappedPage(rows[: self.per_page], number, self, has_next=len(rows) > self.per_page)

    def _rows(self, number: int) -> list:
        start = (number - 1) * self.per_page
        return self.read(self.object_list, start, start + self.per_page + 1)


class CappedPage:
    def __init__(self, object_list: list, number: int, paginator: CappedPaginator, *, has_next: bool):
        self.object_list, self.number, self.paginator, self._has_next = object_list, number, paginator, has_next

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1
