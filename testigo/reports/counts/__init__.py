"""The map's counts of reports: what each report contributes to the count pyramid, kept up to date
on every write path, and rebuilt from scratch when needed.

The pyramid itself (storage, reading a viewport) is geometry: testigo/geo/pyramid.py. This
package decides what the counts stand for:
- scope PUBLIC counts what `selectors.public_base()` lets out, at the public (fuzzed) location;
  scope STAFF counts every report at its true location.
- category 0 counts every report; category c counts the reports a single-category filter `c`
  matches: a report counts once under each of its categories and each of their parents (the
  filter takes a category with its children), de-duplicated.
- part is 0 for PUBLIC; for STAFF it is the status (its index in Report.Status) * 2 + 1 if
  confidential, so a staff status filter and the confidential permission both select parts.

Keeping (no database triggers: a bulk import would crawl):
- single-report saves, deletes and category changes through the ORM are tracked by signals
  (`keeping.connect_signals`, from ReportsConfig.ready);
- several changes in one go: `with tracking(ids):` applies them once, at the end;
- bulk inserts go through `reports.bulk.insert_reports`, which counts what it inserts itself.
`rebuild()` recomputes everything (`testigo map rebuild-counts`).

The same entries keep reports.StatusCount: every report, located or not, per category key and
part (scope TALLY, never on the map), which the inbox's status tabs read when the only filter is
a category (`status_totals`) instead of counting the category's reports on every request.

Modules: entries.py (what a report contributes, as deltas), keeping.py (tracking and signals),
sql.py (rebuilding and bulk additions in SQL).
"""

from testigo.geo import memindex
from testigo.geo.pyramid import STORED_LEVELS, TOP, clusters
from testigo.reports.counts.entries import ALL, PUBLIC, STAFF, STATUSES, part_of, staff_parts
from testigo.reports.counts.keeping import added, tracking
from testigo.reports.counts.sql import rebuild, status_totals

memindex.WATCHED.add(PUBLIC)  # the public map's points are held in memory (api/queries.py)

__all__ = ["ALL", "PUBLIC", "STAFF", "STATUSES", "STORED_LEVELS", "TOP", "added", "clusters", "part_of", "rebuild",
           "staff_parts", "status_totals", "tracking"]
