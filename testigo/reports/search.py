"""Full-text search of report text, with Spanish stemming and accent- and case-insensitive matching.

People type "extorsion" for "extorsión", "EXTORSIONES" for "extorsión" and "tegucigalpa" for
"Tegucigalpa": every one of those must find the report, on both backends, at a million reports.

Two indexes, never one: the PUBLIC index holds only public_title, public_description and
place_name; the STAFF index holds title, description and place_name. A word that only the private
description holds can so never find a report through the public search.

- SQLite: two FTS5 external-content tables over reports_report (tokenizer unicode61 with
  remove_diacritics 2: "extorsión", "Extorsion" and "EXTORSIÓN" are one token), kept in step by
  triggers, so every writer keeps them right (the ORM, bulk_update, imports in raw SQL,
  redaction, deletion, merge). FTS5 has no Spanish stemmer: each query word is stemmed here
  (Snowball) and replaced by the index's own words that match it (read from its vocabulary):
  those with the same stem and, for a stem of MIN_PREFIX letters or more, those it begins,
  "extorsiones" -> `("extorsion" OR "extorsiones")`.
- PostgreSQL: GIN indexes on `to_tsvector('testigo_es', ...)` expressions (always in step, no
  trigger), a text search configuration copying `spanish` with `unaccent` before the stemmer;
  queries are `to_tsquery` prefixes of each word's stem (the stem itself when shorter than
  MIN_PREFIX), the same matching as on SQLite.

Words are ANDed; anything but letters and digits separates words, so FTS syntax in the input
(quotes, `*`, `-`, NEAR, OR, parentheses, colons, `&|!`) is never passed to the database as syntax.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from contextlib import contextmanager
from functools import lru_cache

from django.db import DatabaseError
from django.db import connection as default_connection
from django.db.models import BooleanField, Expression, F, Q, QuerySet
from django.db.models.expressions import RawSQL

MAX_WORDS = 8
CONFIG = "testigo_es"
# Index name/table -> the columns it holds. PUBLIC must never name a private column.
PUBLIC_COLUMNS = ("public_title", "public_description", "place_name")
STAFF_COLUMNS = ("title", "description", "place_name")
TABLES = {"public": "reports_search_public", "staff": "reports_search_staff"}
COLUMNS = {"public": PUBLIC_COLUMNS, "staff": STAFF_COLUMNS}
# SQLite's staff index also holds each report's status, in its own column that the words typed
# never reach (every staff query is filtered to the text columns): a status tab over a common
# word is then answered by the index (`"in review" AND (words)`), not by reading every match's row.
FILTER_COLUMNS = {"public": (), "staff": ("status",)}
INDEXED = {kind: COLUMNS[kind] + FILTER_COLUMNS[kind] for kind in COLUMNS}
# PostgreSQL's public index holds only what the public may see at all: published and public.
PUBLIC_WHERE = "status = 'published' AND visibility = 'public'"
# Spanish words too common to search for, dropped from every query on both backends: a prefix
# query on "de" would read nearly every report of the index.
STOP_WORDS = frozenset("""
a al algo como con contra cual cuando de del desde donde durante e el ella ellas ellos en entre era
es esa ese eso esta este esto estos fue fueron ha hay la las le les lo los mas me mi muy no nos o
para pero por porque que se sea ser si sin sobre su sus tambien te tu un una uno unos y ya yo
""".split())
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The query's words: lower case, without accents (ñ is n, as in both indexes), stop words
    dropped, at most MAX_WORDS. Anything but letters and digits separates words."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    found = [w for w in _WORD.findall(plain) if w not in STOP_WORDS]
    return list(dict.fromkeys(found))[:MAX_WORDS]


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("spanish")


def stem(word: str) -> str:
    return _stemmer().stemWord(word)


# A stem shorter than this is matched whole, never as a prefix: "robo" (stem "rob") finds "robos"
# and "robar" but not "Roberto" or "robusto". From this length on, a stem is also the beginning of
# longer words, so a word still being typed ("Comaya") finds "Comayagüela".
MIN_PREFIX = 4
# A word whose stem begins more index words than this is searched as an FTS5 prefix instead of
# the list of its words (SQLite).
MAX_TERMS = 64


def _prefix_ok(root: str) -> bool:
    return len(root) >= MIN_PREFIX


def fts5_query(query_words: list[str]) -> str:
    """An FTS5 MATCH expression without reading the index's vocabulary: every word as a prefix of
    its stem (a short stem as itself, see MIN_PREFIX). Where the stem is not a prefix of the word
    ("violencia" -> "violenci" is, a few are not), the word's own prefix is ORed in, so the word
    as typed is always found. Words are only letters and digits: no FTS syntax."""
    terms = []
    for word in query_words:
        root = stem(word) or word
        star = "*" if _prefix_ok(root) else ""
        if word.startswith(root):
            terms.append(f'"{root}"{star}' if star else f'("{root}" OR "{word}")')
        else:
            terms.append(f'("{root}"{star} OR "{word}"*)')
    return " AND ".join(terms)


def _vocabulary(kind: str, connection) -> str:
    """A per-connection fts5vocab table over the index (in the temp schema: nothing in the
    database file, no migration); it lists the index's words and how many reports hold each."""
    name = f"{TABLES[kind]}_vocab"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{name} USING fts5vocab(main, {TABLES[kind]}, 'row')")
    return f"temp.{name}"


def fts5_terms(kind: str, query_words: list[str], connection=None) -> tuple[str, int]:
    """(MATCH expression, upper bound of the reports it matches), every word replaced by the
    index's own words that match it: the words whose stem is the query word's stem, and when the
    stem is long enough (MIN_PREFIX) every word it begins. Exact words, not prefixes: FTS5 reads a
    prefix by merging the lists of every word it begins before returning the first row, exact
    words are read lazily, newest first, a page at a time. The bound is the smallest, over the
    query's words, sum of the reports holding one of its index words (from the vocabulary)."""
    connection = connection or default_connection
    try:
        vocabulary = _vocabulary(kind, connection)
    except DatabaseError:  # no vocabulary (a read-only database): the words as prefixes, size unknown
        return fts5_query(query_words), RARE_MATCHES
    parts, bound = [], None
    with connection.cursor() as cursor:
        for word in query_words:
            root = stem(word) or word
            found: dict[str, int] = {}
            for begins in dict.fromkeys((root, word)):
                # Words beginning with a short stem and longer than any Spanish ending are skipped
                # in SQL: "1" must not read the thousands of numbers beginning with 1.
                longest = "" if _prefix_ok(root) else f" AND length(term) <= {len(begins) + 10}"
                cursor.execute(f"SELECT term, doc FROM {vocabulary} WHERE term >= %s AND term < %s{longest} "
                               f"LIMIT {MAX_TERMS * 4 + 1}", [begins, begins + "\U0010ffff"])
                rows = cursor.fetchall()
                if len(rows) > MAX_TERMS * 4:
                    found = dict.fromkeys(range(MAX_TERMS + 1), 0)  # too many to list: a prefix (below)
                    break
                for term, doc in rows:
                    if term == word or stem(term) == root or (_prefix_ok(root) and term.startswith(root)):
                        found[term] = doc
            if len(found) > MAX_TERMS:
                parts.append(fts5_query([word]))
                count = RARE_MATCHES  # unknown: never taken for rare
            elif not found:
                return "", 0
            else:
                parts.append("(" + " OR ".join(f'"{term}"' for term in sorted(found)) + ")")
                count = sum(found.values())
            bound = count if bound is None else min(bound, count)
    return " AND ".join(parts), bound or 0


def tsquery(query_words: list[str]) -> str:
    """A to_tsquery text: the configuration stems each word; `:*` makes it a prefix of the stem
    when the stem is long enough (MIN_PREFIX), else the stem is matched whole."""
    return " & ".join(f"'{word}':*" if _prefix_ok(stem(word) or word) else f"'{word}'" for word in query_words)


class _Matches(Expression):
    """`to_tsvector(CONFIG, col || ' ' || col ...) @@ to_tsquery(CONFIG, %s)`: the document
    expression is exactly the one of the GIN index (pg_index_sql), so the planner can use it.

    Except in a page (a query with an order and a slice) of a common query (apply only uses this
    for those): there the match is written as the operator's function, which no index serves, so PostgreSQL
    walks the list's order index (the public order, or the inbox's (status, id)) and tests each
    report until it has the page, instead of reading every match from the GIN index and sorting
    them all. Its estimate of a prefix query's matches is flat (a common word counts as rare),
    so it cannot tell by itself (issue #19). Counts (no order) keep the GIN index."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, columns: tuple[str, ...], query: str) -> None:
        super().__init__()
        self.columns = [F(c) for c in columns]
        self.query = query

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def as_sql(self, compiler, connection):
        parts = [compiler.compile(c) for c in self.columns]
        document = " || ' ' || ".join(sql for sql, _params in parts)
        params = [p for _sql, ps in parts for p in ps]
        vector, query = f"to_tsvector('{CONFIG}'::regconfig, {document})", f"to_tsquery('{CONFIG}'::regconfig, %s)"
        outer = compiler.query
        if outer.is_sliced and (outer.order_by or (outer.default_ordering and outer.get_meta().ordering)):
            # A page: the operator's function, which no index serves and which the planner takes
            # for a match of one row in three (a function's default), not the prefix's flat guess.
            return f"ts_match_vq({vector}, {query})", [*params, self.query]
        return f"{vector} @@ {query}", [*params, self.query]


def apply(qs: QuerySet, text: str, *, public: bool, vendor: str | None = None, paged: bool = False,
          statuses: list[str] | tuple = (), unordered: bool = False) -> QuerySet:
    """`qs` narrowed to the reports whose text (public or staff, see the module) matches every
    word of `text`. The staff search also finds a report by its exact reference. `statuses`: the
    statuses qs is already narrowed to (the inbox's tab), which SQLite's staff index then
    answers too, so that a status rare among a common word's matches is found without reading
    every match's row (and counted as rare when it is). `unordered`: the caller reads no order,
    only a capped count (the public list's): a common SQLite search is then joined like the
    inbox's and counted in the index's order, without building the set of every match.

    The filter takes one of these shapes, told apart by a capped read of the index (`_rare_ids`):
    - a rare query (fewer than RARE_MATCHES reports): `id IN (those ids)`, each report looked up
      by its key, a few sorted: milliseconds whatever the table's size.
    - a common one on SQLite, in the inbox (`paged` staff search): the search table joined to the
      reports, newest match first (the index's own order, `rowid DESC`: see `staff_order`), so a
      page reads the index's newest matches and stops, and a capped count stops after its cap:
      neither reads every match, whatever the table's size. (Building the set of every match, a
      third of the table for a common word, took ~200 ms per query at a million reports, and the
      inbox makes seven.)
    - a common one otherwise: the database walks the list's order index and keeps the rows that
      match until it has a page. Neither planner can tell the cases apart by itself (SQLite knows
      nothing of an FTS5 match's size; PostgreSQL's estimate of a prefix query is flat), so it is told.
    Either way the filter is a predicate on the row (or the join), which a count can wrap."""
    vendor = vendor or default_connection.vendor
    kind = "public" if public else "staff"
    query_words = words(text)
    references = [] if public or len(text.split()) != 1 else _reference_ids(qs, text)
    nothing = Q(pk__in=RawSQL("SELECT 0 WHERE 1 = 0", []))
    if not query_words:
        return qs.filter(Q(id__in=references) if references else nothing)
    if vendor == "postgresql":
        # With the inbox's status tab: rare when few matches have that status, whatever the word's
        # matches (the GIN index and the status index together, one bitmap), so the page looks
        # those up by key instead of sorting every match of the status (issue #19, 50,000 reports:
        # 13 ms for a status a tenth of the matches have, growing with the table).
        wanted = tuple(sorted(set(statuses))) if not public else ()
        rare = _once(("rare", kind, tuple(query_words), wanted),
                     lambda: _rare_ids(kind, query_words, vendor, statuses=wanted))
        if rare is not None:
            return qs.filter(Q(id__in=rare + references) if rare or references else nothing)
        match = Q(_Matches(COLUMNS[kind], tsquery(query_words)))
        return qs.filter(match | Q(id__in=references) if references else match)
    fts, bound = _once(("terms", kind, tuple(query_words)), lambda: fts5_terms(kind, query_words))
    if not fts:
        return qs.filter(Q(id__in=references) if references else nothing)
    fts = _narrowed(kind, fts, statuses)
    rare = _once(("rare", kind, fts), lambda: _rare_ids(kind, query_words, vendor, fts=fts) if bound >= RARE_MATCHES
                 else _fts5_all(kind, fts))
    if rare is not None:
        return qs.filter(Q(id__in=rare + references) if rare or references else nothing)
    if references:  # a reference typed is rare, a common text with it is not: the reference wins
        return qs.filter(id__in=references)
    if paged and (not public or unordered):
        table = TABLES[kind]
        return qs.extra(tables=[table], where=[f'"{table}" MATCH %s AND "{table}".rowid = "reports_report"."id"'],
                        params=[fts])
    if paged:  # the public list's page: its order's index walked, each report asked of the index
        return qs.filter(_MatchesRow(TABLES[kind], fts))
    return qs.filter(_UnindexedIn(_fts5_ids(kind, fts)))


def _narrowed(kind: str, fts: str, statuses) -> str:
    """The words kept to the text columns (where the index also holds other columns: a word typed
    must never match a report's status), with the statuses as index terms when given."""
    if not FILTER_COLUMNS[kind]:
        return fts
    fts = f"{{{' '.join(COLUMNS[kind])}}} : ({fts})"
    if statuses and "status" in FILTER_COLUMNS[kind]:
        # "in_review" is indexed as the tokens "in" "review": the phrase matches it, and only it.
        wanted = " OR ".join(f'"{" ".join(_WORD.findall(status))}"' for status in sorted(set(statuses)))
        fts = f"status : ({wanted}) AND {fts}"
    return fts


_memory = threading.local()


@contextmanager
def remembered():
    """Within the block (one inbox request), each query's vocabulary read and rare-or-common check
    run once: the list and its status tabs search the same words (the tabs without the status)."""
    if getattr(_memory, "store", None) is not None:
        yield
        return
    _memory.store = {}
    try:
        yield
    finally:
        _memory.store = None


def _once(key: tuple, compute):
    store = getattr(_memory, "store", None)
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


def joined(qs: QuerySet) -> bool:
    """Whether qs is a common SQLite staff search, joined to its search table (see apply)."""
    return TABLES["staff"] in qs.query.extra_tables


def index_order(qs: QuerySet) -> tuple:
    """For a common SQLite search joined to its table (either kind): the index's own order, newest
    match first, which makes the planner drive the query by the index; () for any other queryset."""
    for table in TABLES.values():
        if table in qs.query.extra_tables:
            return (RawSQL(f'"{table}".rowid', []).desc(),)
    return ()


def staff_order(qs: QuerySet) -> tuple:
    """The order of a paged staff search: newest arrival first (`-id`); for a common search on
    SQLite (joined to its search table, see apply) the search table's own rowid, the same order,
    which FTS5 returns without sorting."""
    table = TABLES["staff"]
    if joined(qs):
        return (RawSQL(f'"{table}".rowid', []).desc(),)
    return (F("id").desc(),)


# A grouped count of a common search reads at most this many matches per cap (capped_counts_by).
GROUPED_READS_PER_CAP = 20


def capped_counts_by(qs: QuerySet, field: str, values: list, cap: int) -> dict:
    """Capped counts of a common SQLite search per value of `field` (the inbox's status tabs), from
    one pass over its newest matches instead of one query per value: each query would read the
    matches until its value had cap + 1 of them. The pass stops once every value has, or after
    cap * GROUPED_READS_PER_CAP matches; a value it settles is returned (CappedCount), the others
    (rare among the matches) are left to the caller's own count. Empty for any other search."""
    from testigo.core.paging import CappedCount

    if not joined(qs) or not values:
        return {}
    limit, read = cap * GROUPED_READS_PER_CAP, cap * 2
    while True:  # the newest `read` matches, grouped; more while a value lacks its cap
        newest = qs.order_by(*staff_order(qs)).values(field)[:read]
        sql, params = newest.query.sql_with_params()
        seen = dict.fromkeys(values, 0)
        with default_connection.cursor() as cursor:
            cursor.execute(f'SELECT "{field}", COUNT(*) FROM ({sql}) newest GROUP BY "{field}"', params)
            total = 0
            for value, n in cursor.fetchall():
                total += n
                if value in seen:
                    seen[value] = n
        exhausted = total < read  # every match was read
        if exhausted or min(seen.values()) > cap or read >= limit:
            break
        # Enough for the rarest value short of its cap, at the rate it was seen so far (and a margin).
        short = min(max(seen[v], 1) for v in seen if seen[v] <= cap)
        read = min(limit, max(read * 2, int(read * (cap + 1) / short * 1.2)))
    return {value: CappedCount(cap, exact=False) if n > cap else CappedCount(n)
            for value, n in seen.items() if n > cap or exhausted}


def _reference_ids(qs: QuerySet, text: str) -> list[int]:
    return list(qs.order_by().filter(reference__in={text.strip(), text.strip().upper()}).values_list("id", flat=True)[:2])


# Below this many matches a query is rare (see apply): looking each one up beats walking the order.
RARE_MATCHES = 2_000


def _rare_ids(kind: str, query_words: list[str], vendor: str, fts: str = "",
              statuses: tuple = ()) -> list[int] | None:
    """The ids matching the query (with one of `statuses`, PostgreSQL, when given) when there are
    fewer than RARE_MATCHES, else None."""
    if vendor == "postgresql":
        where = f" AND {PUBLIC_WHERE}" if kind == "public" else ""
        if statuses:
            where += f" AND status IN ({', '.join(['%s'] * len(statuses))})"
        document = " || ' ' || ".join(COLUMNS[kind])
        sql = (f"SELECT id FROM reports_report WHERE to_tsvector('{CONFIG}'::regconfig, {document}) "
               f"@@ to_tsquery('{CONFIG}'::regconfig, %s){where}")
        params = [tsquery(query_words), *statuses]
    else:
        raw = _fts5_ids(kind, fts or fts5_query(query_words))
        sql, params = raw.sql, list(raw.params)
    with default_connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT {RARE_MATCHES}", params)
        ids = [row[0] for row in cursor.fetchall()]
    return ids if len(ids) < RARE_MATCHES else None


def _fts5_all(kind: str, fts: str) -> list[int]:
    raw = _fts5_ids(kind, fts)
    with default_connection.cursor() as cursor:
        cursor.execute(raw.sql, list(raw.params))
        return [row[0] for row in cursor.fetchall()]


def _fts5_ids(kind: str, fts: str) -> RawSQL:
    table = TABLES[kind]
    return RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [fts])


class _UnindexedIn(Expression):
    """`+"reports_report"."id" IN (subquery)`: the unary plus keeps SQLite from driving the query
    by the id (looking up every match, then sorting them all): it walks the order index instead,
    testing each row against the set of matches (see apply)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, subquery: RawSQL) -> None:
        super().__init__()
        self.column, self.subquery = F("id"), subquery

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, exprs):
        self.column, self.subquery = exprs

    def as_sql(self, compiler, connection):
        column, column_params = compiler.compile(self.column)
        subquery, params = compiler.compile(self.subquery)
        return f"+{column} IN {subquery}", [*column_params, *params]


class _MatchesRow(Expression):
    """`EXISTS (SELECT 1 FROM <index> WHERE <index> MATCH %s AND rowid = "reports_report"."id")`:
    whether this one report matches, asked of the FTS5 index by its rowid (each word's list sought
    to that rowid). A page in the public order (SQLite, a common query) walks the order's index and
    asks this of each report until it has the page: nothing is read beyond the page's
    neighbourhood, where `+id IN (every match)` (_UnindexedIn) first built the set of every match
    of the word, a third of the published reports for a common one (issue #19)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, table: str, fts: str) -> None:
        super().__init__()
        self.table, self.fts, self.column = table, fts, F("id")

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.column)
        table = self.table
        return (f'EXISTS (SELECT 1 FROM "{table}" WHERE "{table}" MATCH %s AND "{table}".rowid = {column})',
                [self.fts, *params])


# --- The indexes: created by migration 0008, checked after every migrate, rebuilt on request.

def _sqlite_triggers(kind: str) -> dict[str, str]:
    table, columns = TABLES[kind], INDEXED[kind]
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    insert = f"INSERT INTO {table}(rowid, {names}) VALUES (new.id, {new});"
    delete = f"INSERT INTO {table}({table}, rowid, {names}) VALUES ('delete', old.id, {old});"
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in ("id", *columns))
    return {
        f"{table}_ai": f"CREATE TRIGGER {table}_ai AFTER INSERT ON reports_report BEGIN {insert} END",
        f"{table}_ad": f"CREATE TRIGGER {table}_ad AFTER DELETE ON reports_report BEGIN {delete} END",
        # Only when what it holds changed: a save of unchanged text and status costs nothing.
        f"{table}_au": (f"CREATE TRIGGER {table}_au AFTER UPDATE OF id, {names} ON reports_report "
                        f"WHEN {changed} BEGIN {delete} {insert} END"),
    }


def _sqlite_table(kind: str) -> str:
    return (f"CREATE VIRTUAL TABLE {TABLES[kind]} USING fts5({', '.join(INDEXED[kind])}, "
            "content='reports_report', content_rowid='id', tokenize='unicode61 remove_diacritics 2')")


def pg_index_sql(kind: str) -> str:
    document = " || ' ' || ".join(COLUMNS[kind])
    where = f" WHERE {PUBLIC_WHERE}" if kind == "public" else ""
    return (f"CREATE INDEX IF NOT EXISTS {TABLES[kind]} ON reports_report "
            f"USING gin (to_tsvector('{CONFIG}'::regconfig, {document})){where}")


# The Spanish stemmer without its stop-word list: STOP_WORDS, dropped from queries on both
# backends alike, is the only one (with PostgreSQL's own, "otro" found a report on SQLite only).
PG_CONFIG_SQL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{CONFIG}') THEN
            CREATE TEXT SEARCH DICTIONARY {CONFIG}_stem (TEMPLATE = snowball, Language = spanish);
            CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = spanish);
            ALTER TEXT SEARCH CONFIGURATION {CONFIG}
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {CONFIG}_stem;
            ALTER TEXT SEARCH CONFIGURATION {CONFIG}
                ALTER MAPPING FOR asciiword, asciihword, hword_asciipart WITH {CONFIG}_stem;
        END IF;
    END $$""",
]


# What a restore drops before loading a dump that holds them (core/backups/database.py).
PG_DROP_SQL = [f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG} CASCADE",
               f"DROP TEXT SEARCH DICTIONARY IF EXISTS {CONFIG}_stem CASCADE"]


def create(schema_editor) -> None:
    """Create both indexes and fill them from the reports (migration 0008)."""
    if schema_editor.connection.vendor == "postgresql":
        for sql in [*PG_CONFIG_SQL, pg_index_sql("public"), pg_index_sql("staff")]:
            schema_editor.execute(sql)
        return
    for kind in TABLES:
        schema_editor.execute(_sqlite_table(kind))
        for sql in _sqlite_triggers(kind).values():
            schema_editor.execute(sql)
    rebuild(schema_editor.connection)


def recreate_sqlite(schema_editor, kind: str) -> None:
    """Drop one SQLite index with its triggers and create it again in its current shape, filled
    (reports' migration 0013: the staff index gained the status column). Nothing on PostgreSQL."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in _sqlite_triggers(kind):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLES[kind]}")
    schema_editor.execute(_sqlite_table(kind))
    for sql in _sqlite_triggers(kind).values():
        schema_editor.execute(sql)
    table = TABLES[kind]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
        cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")


def drop(schema_editor) -> None:
    for kind, table in TABLES.items():
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}")
            continue
        for name in _sqlite_triggers(kind):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {table}")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}")
        schema_editor.execute(f"DROP TEXT SEARCH DICTIONARY IF EXISTS {CONFIG}_stem")


def rebuild(connection=None) -> None:
    """Refill both indexes from the reports (`testigo search rebuild`). Never needed in normal
    use: triggers (SQLite) and expression indexes (PostgreSQL) follow every write.

    On SQLite the refill ends with FTS5's 'optimize': a big refill leaves the index in several
    segments (one per ~1 MB of text held in memory), and every query then reads each word's list
    once per segment; merged, once. (On PostgreSQL REINDEX builds the GIN index whole already.)"""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        for table in TABLES.values():
            if connection.vendor == "postgresql":
                cursor.execute(f"REINDEX INDEX {table}")
            else:
                cursor.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
                cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")


def after_migrate(using: str = "default", **_kwargs) -> None:
    from django.db import connections

    ensure_triggers(connections[using])


def ensure_triggers(connection=None) -> bool:
    """Put back SQLite triggers a later migration dropped; returns whether any was missing.

    Django alters a SQLite table by copying it into a new one, which drops its triggers: without
    this, a future migration of reports_report would silently stop the index following writes.
    The index is rebuilt then, as writes between the copy and now were not indexed."""
    connection = connection or default_connection
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE 'reports_search_%'")
        present = {row[0] for row in cursor.fetchall()}
        if not set(TABLES.values()) <= present:
            return False  # before migration 0008 (or after it was reversed)
        missing = [sql for kind in TABLES for name, sql in _sqlite_triggers(kind).items() if name not in present]
        for sql in missing:
            cursor.execute(sql)
    if missing:
        rebuild(connection)
    return bool(missing)
