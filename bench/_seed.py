"""Shared by the benchmarks: a throw-away database and a fast bulk seed of realistic reports.

Reports are spread like real ones: most in dense city clusters, the rest thin over the country
and a few anywhere on Earth. Rows go in with raw executemany (SQLite) or COPY (PostgreSQL), with
tile keys computed in Python, so a million reports seed in about two minutes on SQLite (2 cores, plus
one more for the map's count pyramid).
"""

from __future__ import annotations

import atexit
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUICK = os.environ.get("TESTIGO_BENCH_QUICK", "") not in ("", "0")
CITIES = [  # (lat, lon, spread in degrees, weight)
    (14.0723, -87.1921, 0.06, 30), (15.5042, -88.0250, 0.05, 20), (15.7597, -86.7822, 0.03, 6),
    (14.4517, -87.6375, 0.02, 4), (13.3000, -87.1833, 0.03, 4), (15.4333, -87.9167, 0.02, 3),
    (13.6929, -89.2182, 0.05, 10), (14.6349, -90.5069, 0.06, 12), (12.1150, -86.2362, 0.05, 8),
    (9.9281, -84.0907, 0.05, 6),
]
COUNTRY = (12.9, -89.4, 16.0, -83.1)  # south, west, north, east
STATUSES = ["published"] * 6 + ["new", "in_review", "verified", "rejected"]
# Report text for the search bench (bench/_million_search.py): a few incident words with accents,
# from common (one report in 3) to rare (one in ~10,000), so searches have realistic selectivity.
INCIDENTS = ["Extorsión", "Robo", "Amenaza", "Homicidio", "Balacera", "Desaparición", "Asalto", "Secuestro",
             "Violencia doméstica", "Desalojo"]
INCIDENT_WEIGHTS = [30, 25, 15, 10, 8, 5, 4, 2, 0.9, 0.01]
PLACES = ["Tegucigalpa", "Comayagüela", "San Pedro Sula", "La Ceiba", "Choloma", "El Progreso", "Danlí",
          "Juticalpa", "Santa Rosa de Copán", "Choluteca"]
DETAILS = ["hombres armados", "en moto", "frente a la escuela", "cerca del mercado", "de noche",
           "a un comerciante", "en el autobús", "a una familia", "con amenazas por teléfono", "en la colonia"]
N_CATEGORIES = 12


def report_count() -> int:
    override = os.environ.get("TESTIGO_BENCH_REPORTS", "")  # e.g. 200000 on a small machine
    return int(override) if override else (20_000 if QUICK else 1_000_000)


def emit(name: str, value, unit: str, target=None, n=None, **extra) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, "target": target, "n": n, **extra}), flush=True)


def setup_django(database_url: str | None = None) -> Path:
    """Point Django at a fresh database in a temp data dir (or `database_url`) and migrate it."""
    data_dir = Path(tempfile.mkdtemp(prefix="testigo-bench-"))
    (data_dir / "static").mkdir()
    atexit.register(shutil.rmtree, data_dir, True)  # a million reports take ~1 GB of disk
    os.environ["TESTIGO_DATA_DIR"] = str(data_dir)
    os.environ["TESTIGO_DATABASE_URL"] = database_url or f"sqlite:///{data_dir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testigo.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data_dir


def run_on_both(bench: str, run, script: str) -> None:
    """A bench's main: `run(backend)` on SQLite in this process, then on PostgreSQL in a fresh one
    (`script --backend postgres URL`, see on_postgres), which setup_django points at its database."""
    if len(sys.argv) > 2 and sys.argv[1] == "--backend":
        setup_django(sys.argv[3] if len(sys.argv) > 3 else None)
        run(sys.argv[2])
        return
    setup_django(None)
    run("sqlite")
    on_postgres(bench, script)


def on_postgres(bench: str, script: str) -> None:
    """Run `script --backend postgres URL` in a throw-away database next to the one named in
    TESTIGO_BENCH_POSTGRES_URL, or say that it was skipped."""
    import subprocess

    url = os.environ.get("TESTIGO_BENCH_POSTGRES_URL", "")
    if not url:
        emit(f"{bench}.postgres", None, "", skipped="TESTIGO_BENCH_POSTGRES_URL is not set")
        return
    import psycopg

    name = f"testigo_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        subprocess.run([sys.executable, script, "--backend", "postgres", url.rsplit("/", 1)[0] + "/" + name],
                       check=True)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _point(rng: random.Random) -> tuple[float, float]:
    roll = rng.random()
    if roll < 0.80:
        lat, lon, spread, _w = rng.choices(CITIES, weights=[c[3] for c in CITIES])[0]
        return (max(-90.0, min(90.0, rng.gauss(lat, spread))), max(-180.0, min(180.0, rng.gauss(lon, spread))))
    if roll < 0.98:
        s, w, n, e = COUNTRY
        return rng.uniform(s, n), rng.uniform(w, e)
    return rng.uniform(-85, 85), rng.uniform(-180, 180)


def _rows(n: int, rng: random.Random):
    from testigo.geo.tiles import tile_key

    now = datetime.now(UTC)
    for i in range(n):
        lat, lon = _point(rng)
        plat, plon = lat + rng.uniform(-0.004, 0.004), lon + rng.uniform(-0.004, 0.004)
        status = rng.choice(STATUSES)
        received = now - timedelta(minutes=rng.randint(0, 60 * 24 * 730))
        incident = rng.choices(INCIDENTS, INCIDENT_WEIGHTS)[0]
        place, detail = PLACES[rng.randrange(10)], DETAILS[rng.randrange(10)]
        title = f"{incident} en {place}"
        description = f"{incident} {detail}. Informe {i}: los vecinos piden ayuda."
        yield {
            "reference": f"B-{i:08d}",
            "title": title, "description": description,
            "status": status, "visibility": "public" if rng.random() < 0.9 else "restricted",
            "occurred_at": received - timedelta(hours=2), "received_at": received, "updated_at": received,
            "published_at": received + timedelta(hours=5) if status == "published" else None,
            "lat": lat, "lon": lon, "tile_key": tile_key(lat, lon),
            "public_title": title, "public_description": description,
            "public_lat": plat, "public_lon": plon, "public_tile_key": tile_key(plat, plon),
            "place_name": "", "source": rng.choice(["web", "web", "sms", "whatsapp", "api"]),
            "reporter_name": "Nombre", "reporter_contact": "+504 9999-0000",
        }


def _columns(connection):
    from testigo.reports.models import Report

    fields = [f for f in Report._meta.concrete_fields if f.column != "id"]
    defaults = {}
    for f in fields:
        if f.has_default():
            defaults[f.attname] = f.get_db_prep_save(f.get_default(), connection)
        elif f.null:
            defaults[f.attname] = None
        elif f.get_internal_type() in ("CharField", "TextField"):
            defaults[f.attname] = ""
    return fields, defaults


def seed(n: int, seed_value: int = 7) -> float:
    """Insert n reports (+ categories and links) and count them for the map (one rebuild of the
    count pyramid, as `testigo map rebuild-counts` does); returns the seconds it took."""
    from django.db import connection

    from testigo.reports.models import Category

    started = time.perf_counter()
    parents = [Category.objects.create(slug=f"p{i}", name_es=f"Padre {i}", name_en=f"Parent {i}") for i in range(3)]
    cats = parents + [Category.objects.create(slug=f"c{i}", name_es=f"Cat {i}", name_en=f"Cat {i}",
                                              parent=parents[i % 3]) for i in range(N_CATEGORIES - 3)]
    cat_ids = [c.id for c in cats if c.parent_id]
    rng = random.Random(seed_value)
    fields, defaults = _columns(connection)
    cols = [f.column for f in fields]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:  # each batch is one transaction and a checkpoint (_insert_batch)
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM reports_report")
        first_id = cursor.fetchone()[0] + 1
        indexes = _drop_indexes(cursor, connection, ["reports_report", "reports_report_categories"])
        _drop_triggers(cursor, connection, "reports_report")

        def values():
            for row in _rows(n, rng):
                yield [_db(f, row, defaults, connection) for f in fields]

        _bulk(cursor, connection, "reports_report", cols, values(), quote)
        links = ((first_id + i, c) for i in range(n) for c in rng.sample(cat_ids, rng.choice((1, 1, 2))))
        _bulk(cursor, connection, "reports_report_categories", ["report_id", "category_id"], links, quote)
        for sql in indexes:  # one sorted build per index beats a million random index inserts
            cursor.execute(sql)
    from testigo.reports import search

    search.ensure_triggers(connection)  # puts the text index's triggers back and fills it in one pass
    counted = time.perf_counter()
    from testigo.reports import counts

    rows = counts.rebuild()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What autovacuum does soon after a bulk load on a live server: fresh statistics, and
            # a visibility map so index-only scans need not visit the table. (Counted in the seed
            # time; docs/map.md tells admins to run it after a large import.)
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")  # fresh statistics, as a live database would have
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    emit("seed.count_pyramid", round(time.perf_counter() - counted, 1), "s", n=n, rows=rows)
    return time.perf_counter() - started


def _db(field, row, defaults, connection):
    if field.attname in row:
        value = row[field.attname]
        return field.get_db_prep_save(value, connection) if isinstance(value, datetime) else value
    return defaults[field.attname]


def _bulk(cursor, connection, table, cols, rows, quote, batch=20_000):
    names = ", ".join(quote(c) for c in cols)
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(cols))})"
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            _insert_batch(cursor, connection, sql, chunk)
            chunk = []
    if chunk:
        _insert_batch(cursor, connection, sql, chunk)


def _insert_batch(cursor, connection, sql, chunk) -> None:
    """One transaction per batch, then a checkpoint. Under autocommit, executemany commits every
    row on its own, and testigo's SQLite backend turns automatic checkpoints off (it checkpoints
    every CHECKPOINT_EVERY of its own commits, which row-level autocommits never count): seeding a
    million reports so wrote a 15 GB write-ahead log in 940 s (issue #19). Now the log never holds
    more than one batch."""
    from django.db import transaction

    with transaction.atomic():
        cursor.executemany(sql, chunk)
    if connection.vendor == "sqlite":
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _drop_indexes(cursor, connection, tables: list[str]) -> list[str]:
    """Drop the secondary (non-unique) indexes of `tables`; return the SQL that recreates them."""
    if connection.vendor == "postgresql":
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
                       "AND indexdef NOT LIKE 'CREATE UNIQUE%%'", [tables])
    else:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                       "AND sql NOT LIKE 'CREATE UNIQUE%%' AND tbl_name IN (%s, %s)", tables)
    rows = cursor.fetchall()
    for name, _sql in rows:
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [sql for _name, sql in rows]


def _drop_triggers(cursor, connection, table: str) -> None:
    """SQLite: drop the text search index's triggers on `table`; a bulk load then rebuilds the
    index once (search.ensure_triggers) instead of updating it a row at a time."""
    if connection.vendor != "sqlite":
        return
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
                   "AND name LIKE 'reports_search_%%'", [table])
    for (name,) in cursor.fetchall():
        cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
