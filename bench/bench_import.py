"""CSV import throughput: 100,000 rows (10,000 in quick mode) through the same code as
`testigo import` (mapping, validation, fingerprints, bulk insert, audit per batch).

Prints JSON lines: rows/s (target >= 15,000 on SQLite, >= 10,000 on PostgreSQL, issue #19), CPU
seconds per 100,000 rows of the writing process and of the forked one converting the rows, the
peak resident memory of each, and the speed of an idempotent re-run, each with the load average.
The reference, measured in the same run: the same rows (read back from the tables the import
wrote) written by plain executemany (SQLite) / COPY (PostgreSQL) into copies of the same tables
with the same indexes (on SQLite also the same full-text triggers, into copies of the search
tables), one transaction per batch of 5,000, with nothing computed: no conversion, projection,
fingerprints, dedupe, map counts or audit. SQLite always; PostgreSQL too (names import_csv_postgres_*) when TESTIGO_BENCH_POSTGRES_URL is set, in a throw-away database.
"""

from __future__ import annotations

import csv
import os
import random
import resource
import sys
import time
from datetime import datetime, timedelta

from _seed import QUICK, emit, on_postgres, setup_django

TARGET_ROWS_PER_S = {"sqlite": 15_000, "postgres": 10_000}
# What the reference copies: the rows an import writes, table by table.
WRITTEN = ("reports_report", "reports_report_categories", "surveys_importrow")


def write_csv(path, n: int) -> None:
    rng = random.Random(3)
    start = datetime(2025, 1, 1)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Título", "Descripción", "Fecha", "Latitud", "Longitud", "Lugar", "Categoría", "Víctimas"])
        for i in range(n):
            when = start + timedelta(minutes=rng.randrange(500_000))
            writer.writerow([f"Registro {i}", f"Hecho registrado en papel número {i}",
                             when.strftime("%d/%m/%Y %H:%M"), f"{14 + rng.random():.5f}",
                             f"{-87.5 + rng.random():.5f}", "Tegucigalpa", rng.choice(["Robo", "Extorsión"]),
                             rng.randrange(5)])


def run(backend: str, url: str | None) -> None:
    data_dir = setup_django(url)
    prefix = "import_csv" if backend == "sqlite" else f"import_csv_{backend}"
    from testigo.core import roles
    from testigo.reports.models import Category, Report
    from testigo.surveys import dateorder, importing, services

    Category.objects.create(slug="robo", name_es="Robo", name_en="Robbery")
    Category.objects.create(slug="extorsion", name_es="Extorsión", name_en="Extortion")
    services.create_survey(actor=roles.SYSTEM, name_es="Papel", form_id="papel", fields=[
        {"name": "victimas", "type": "integer", "label": {"es": "Víctimas", "en": "Victims"}}])
    n = 10_000 if QUICK else 100_000
    path = data_dir / "rows.csv"
    write_csv(path, n)
    imp = importing.create_import(actor=roles.SYSTEM, name="rows.csv", data=path.read_bytes())
    # The day/month order is read from the file's dates, as the mapping page and `testigo import` do.
    importing.set_mapping(actor=roles.SYSTEM, imp=imp, mapping_json=dateorder.settle({"survey": "papel", "columns": {
        "Título": "title", "Descripción": "description", "Fecha": "occurred_at", "Latitud": "lat",
        "Longitud": "lon", "Lugar": "place_name", "Categoría": "category", "Víctimas": "field:victimas"}}, path))
    started, cpu_started = time.perf_counter(), os.times()
    imp = importing.run(import_id=imp.pk)
    elapsed, cpu = time.perf_counter() - started, os.times()
    assert imp.created_count == n and Report.objects.count() == n, (imp.created_count, imp.errors[:3])
    load = round(os.getloadavg()[0], 1)
    emit(f"{prefix}_rows_per_s", round(n / elapsed), "rows/s", target=f">= {TARGET_ROWS_PER_S[backend]}", n=n,
         load_average=load)
    plain_cpu = time.process_time()
    plain = reference(n)
    plain_cpu = time.process_time() - plain_cpu
    emit(f"{prefix}_reference_rows_per_s", round(n / plain), "rows/s", n=n, load_average=round(os.getloadavg()[0], 1),
         reference="plain executemany/COPY of the same rows into copies of the same tables and indexes")
    emit(f"{prefix}_time_vs_reference", round(elapsed / plain, 2), "x", n=n, load_average=load)
    # This process's CPU for the reference (with SQLite, the database's own work too), comparable
    # with the writer's CPU below: on a shared, oversubscribed host CPU seconds vary less than wall time.
    emit(f"{prefix}_reference_cpu_s_per_100k_rows", round(plain_cpu * 100_000 / n, 1), "s", n=n, load_average=load)
    # CPU seconds of this process (the writer; SQLite runs in it, PostgreSQL does not) and of the forked child that
    # converts the rows meanwhile: on an idle two-core machine the import takes about the larger
    # of the two; the shared hosts this runs on are often oversubscribed.
    writer = cpu.user + cpu.system - cpu_started.user - cpu_started.system
    converter = cpu.children_user + cpu.children_system - cpu_started.children_user - cpu_started.children_system
    emit(f"{prefix}_writer_cpu_s_per_100k_rows", round(writer * 100_000 / n, 1), "s", n=n, load_average=load)
    emit(f"{prefix}_converter_cpu_s_per_100k_rows", round(converter * 100_000 / n, 1), "s", n=n,
         load_average=load)
    # Peak resident memory of each process. The converter's count includes the pages it shares
    # with the writer since the fork, so the two added up overstate what the import uses.
    emit(f"{prefix}_peak_rss", round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "MB", n=n,
         load_average=load)
    emit(f"{prefix}_converter_peak_rss", round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024), "MB",
         n=n, load_average=load)
    started = time.perf_counter()
    again = importing.run(import_id=imp.pk)  # the same import run again: its rows are skipped unconverted
    emit(f"{prefix}_rerun_rows_per_s", round(n / (time.perf_counter() - started)), "rows/s", n=n,
         created=again.created_count, load_average=round(os.getloadavg()[0], 1))
    # The same file uploaded again as a new import: every row is converted, then found already imported.
    second = importing.create_import(actor=roles.SYSTEM, name="rows.csv", data=path.read_bytes())
    importing.set_mapping(actor=roles.SYSTEM, imp=second, mapping_json=imp.mapping)
    started = time.perf_counter()
    second = importing.run(import_id=second.pk)
    emit(f"{prefix}_reupload_rows_per_s", round(n / (time.perf_counter() - started)), "rows/s", n=n,
         created=second.created_count, duplicates=second.duplicate_count, load_average=round(os.getloadavg()[0], 1))


def reference(n: int) -> float:
    """Seconds to write the rows the import wrote again, plainly (see the module's docstring)."""
    from django.db import connection

    copies = {table: f"bench_plain_{table}" for table in WRITTEN}
    extra = []
    with connection.cursor() as cursor:
        for table, copy in copies.items():
            extra += _copy_table(cursor, connection.vendor, table, copy)
        rows, names = {}, {}
        for table in WRITTEN:
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY id')
            rows[table], names[table] = cursor.fetchall(), [column[0] for column in cursor.description]
    raw = connection.connection  # the driver's own connection: no Django in the timed loop
    links_of: dict[int, list] = {}
    for row in rows["reports_report_categories"]:
        links_of.setdefault(row[names["reports_report_categories"].index("report_id")], []).append(row)
    fingerprints = {row[names["surveys_importrow"].index("report_id")]: row for row in rows["surveys_importrow"]}
    reports = rows["reports_report"]
    assert len(reports) == n, len(reports)
    started = time.perf_counter()
    for start in range(0, n, 5000):
        batch = reports[start:start + 5000]
        ids = [row[0] for row in batch]
        written = {"reports_report": batch,
                   "reports_report_categories": [link for pk in ids for link in links_of.get(pk, ())],
                   "surveys_importrow": [fingerprints[pk] for pk in ids]}
        _write_plain(raw, connection.vendor, {copies[t]: (names[t], written[t]) for t in WRITTEN})
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        for copy in [*copies.values(), *extra]:
            cursor.execute(f'DROP TABLE "{copy}"')
    return elapsed


def _copy_table(cursor, vendor: str, table: str, copy: str) -> list[str]:
    """An empty copy of `table` with the same columns, keys, indexes and (SQLite) triggers, the
    full-text tables those triggers keep (reports/search.py) copied too, so the reference pays the
    same search indexing as the import. Returns the extra tables made, to drop afterwards."""
    if vendor == "postgresql":
        cursor.execute(f'CREATE TABLE "{copy}" (LIKE "{table}" INCLUDING ALL)')
        return []
    renamed = {table: copy}
    extra = []
    cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE %s",
                   [f"%content='{table}'%"])
    for name, sql in cursor.fetchall():  # external-content FTS5 tables over `table`
        renamed[name] = f"bench_plain_{name}"
        extra.append(renamed[name])
        cursor.execute(_renamed(sql.replace(f"content='{table}'", f"content='{copy}'"), {name: renamed[name]}))
    cursor.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL "
                   "ORDER BY type = 'index', type = 'trigger'", [table])
    for kind, name, sql in cursor.fetchall():
        names = {**renamed, name: f"bench_plain_{name}"} if kind != "table" else renamed
        cursor.execute(_renamed(sql, names))
    return extra


def _renamed(sql: str, names: dict[str, str]) -> str:
    """`sql` with each of `names` (whole identifiers, quoted or not) replaced."""
    import re

    pattern = re.compile(r'"?\b(' + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r')\b"?')
    return pattern.sub(lambda m: f'"{names[m.group(1)]}"', sql)


def _write_plain(raw, vendor: str, tables: dict[str, tuple[list[str], list[tuple]]]) -> None:
    """One transaction: each table's rows by executemany (SQLite) or COPY (PostgreSQL)."""
    if vendor == "postgresql":
        with raw.transaction(), raw.cursor() as cursor:
            for table, (names, rows) in tables.items():
                columns = ", ".join(f'"{name}"' for name in names)
                with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
        return
    raw.execute("BEGIN IMMEDIATE")
    for table, (names, rows) in tables.items():
        marks = ", ".join("?" * len(names))
        raw.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
    raw.execute("COMMIT")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--backend":
        run(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
        return
    # SQLite in this process (its only child is then the converter, whose peak memory is
    # measured); PostgreSQL in a fresh one (setup_django points it at its own database).
    run("sqlite", None)
    on_postgres("import_csv", __file__)


if __name__ == "__main__":
    main()
