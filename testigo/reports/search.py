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
  (Snowball) and searched as a prefix, "extorsiones" -> `extorsion*`.
- PostgreSQL: GIN indexes on `to_tsvector('testigo_es', ...)` expressions (always in step, no
  trigger), a text search configuration copying `spanish` with `unaccent` before the stemmer;
  queries are `to_tsquery` prefixes of each word's stem, the same matching as on SQLite.

Words are ANDed; anything but letters and digits separates words, so FTS syntax in the input
(quotes, `*`, `-`, NEAR, OR, parentheses, colons, `&|!`) is never passed to the database as syntax.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

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


def fts5_query(query_words: list[str]) -> str:
    """An FTS5 MATCH expression: every word as a prefix of its stem. Where the stem is not a
    prefix of the word ("violencia" -> "violenci" is, a few are not), the word's own prefix is ORed
    in, so the word as typed is always found. Words are only letters and digits: no FTS syntax."""
    terms = []
    for word in query_words:
        root = stem(word) or word
        terms.append(f'"{root}"*' if word.startswith(root) else f'("{root}"* OR "{word}"*)')
    return " AND ".join(terms)


def tsquery(query_words: list[str]) -> str:
    """A to_tsquery text: the configuration stems each word; `:*` makes it a prefix."""
    return " & ".join(f"'{word}':*" for word in query_words)


class _Matches(Expression):
    """`to_tsvector(CONFIG, col || ' ' || col ...) @@ to_tsquery(CONFIG, %s)`: the document
    expression is exactly the one of the GIN index (pg_index_sql), so the planner can use it."""

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
        return (f"to_tsvector('{CONFIG}'::regconfig, {document}) @@ to_tsquery('{CONFIG}'::regconfig, %s)",
                [*params, self.query])


def apply(qs: QuerySet, text: str, *, public: bool, vendor: str | None = None) -> QuerySet:
    """`qs` narrowed to the reports whose text (public or staff, see the module) matches every
    word of `text`. The staff search also finds a report by its exact reference.

    The filter takes one of two shapes, told apart by a capped read of the index (`_rare_ids`):
    - a rare query (fewer than RARE_MATCHES reports): `id IN (those ids)`, each report looked up
      by its key, a few sorted: milliseconds whatever the table's size.
    - a common one: the database walks the list's order index and keeps the rows that match
      until it has a page. Reading hundreds of thousands of matches first and sorting them would
      take half a second at a million reports; neither planner can tell the two cases apart by
      itself (SQLite knows nothing of an FTS5 match's size; PostgreSQL's estimate of a prefix
      query is flat), so it is told.
    Either way the filter is `id IN (...)` or a predicate on the row, which a count can wrap."""
    vendor = vendor or default_connection.vendor
    kind = "public" if public else "staff"
    query_words = words(text)
    if not query_words:
        match = Q(pk__in=RawSQL("SELECT 0 WHERE 1 = 0", []))  # nothing to search for matches nothing
    else:
        rare = _rare_ids(kind, query_words, vendor)
        if rare is not None:
            match = Q(id__in=rare) if rare else Q(pk__in=RawSQL("SELECT 0 WHERE 1 = 0", []))
        elif vendor == "postgresql":
            match = Q(_Matches(COLUMNS[kind], tsquery(query_words)))
        else:
            match = Q(_UnindexedIn(_fts5_ids(kind, query_words)))
    if not public and len(text.split()) == 1:
        match |= Q(reference__in={text.strip(), text.strip().upper()})
    return qs.filter(match)


# Below this many matches a query is rare (see apply): looking each one up beats walking the order.
RARE_MATCHES = 2_000


def _rare_ids(kind: str, query_words: list[str], vendor: str) -> list[int] | None:
    """The ids matching the query when there are fewer than RARE_MATCHES, else None."""
    if vendor == "postgresql":
        where = f" AND {PUBLIC_WHERE}" if kind == "public" else ""
        document = " || ' ' || ".join(COLUMNS[kind])
        sql = (f"SELECT id FROM reports_report WHERE to_tsvector('{CONFIG}'::regconfig, {document}) "
               f"@@ to_tsquery('{CONFIG}'::regconfig, %s){where}")
        params = [tsquery(query_words)]
    else:
        raw = _fts5_ids(kind, query_words)
        sql, params = raw.sql, list(raw.params)
    with default_connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT {RARE_MATCHES}", params)
        ids = [row[0] for row in cursor.fetchall()]
    return ids if len(ids) < RARE_MATCHES else None


def _fts5_ids(kind: str, query_words: list[str]) -> RawSQL:
    table = TABLES[kind]
    return RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [fts5_query(query_words)])


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


# --- The indexes: created by migration 0008, checked after every migrate, rebuilt on request.

def _sqlite_triggers(kind: str) -> dict[str, str]:
    table, columns = TABLES[kind], COLUMNS[kind]
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    insert = f"INSERT INTO {table}(rowid, {names}) VALUES (new.id, {new});"
    delete = f"INSERT INTO {table}({table}, rowid, {names}) VALUES ('delete', old.id, {old});"
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in ("id", *columns))
    return {
        f"{table}_ai": f"CREATE TRIGGER {table}_ai AFTER INSERT ON reports_report BEGIN {insert} END",
        f"{table}_ad": f"CREATE TRIGGER {table}_ad AFTER DELETE ON reports_report BEGIN {delete} END",
        # Only when the indexed text changed: a status change or a save of unchanged text costs nothing.
        f"{table}_au": (f"CREATE TRIGGER {table}_au AFTER UPDATE OF id, {names} ON reports_report "
                        f"WHEN {changed} BEGIN {delete} {insert} END"),
    }


def _sqlite_table(kind: str) -> str:
    return (f"CREATE VIRTUAL TABLE {TABLES[kind]} USING fts5({', '.join(COLUMNS[kind])}, "
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
    use: triggers (SQLite) and expression indexes (PostgreSQL) follow every write."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        for table in TABLES.values():
            if connection.vendor == "postgresql":
                cursor.execute(f"REINDEX INDEX {table}")
            else:
                cursor.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")


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
