"""CSV import throughput: 100,000 rows (10,000 in quick mode) through the same code as
`testigo import` (mapping, validation, fingerprints, bulk insert, audit per batch).

Prints JSON lines: rows/s (target >= 10,000), CPU seconds per 100,000 rows, the process's peak
resident memory and the speed of an idempotent re-run, each with the load average.
"""

from __future__ import annotations

import csv
import os
import random
import resource
import time
from datetime import datetime, timedelta

from _seed import QUICK, emit, setup_django

TARGET_ROWS_PER_S = 10_000


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


def main() -> None:
    data_dir = setup_django()
    from testigo.reports.models import Category, Report
    from testigo.surveys import importing, services

    Category.objects.create(slug="robo", name_es="Robo", name_en="Robbery")
    Category.objects.create(slug="extorsion", name_es="Extorsión", name_en="Extortion")
    services.create_survey(actor=None, name_es="Papel", form_id="papel", fields=[
        {"name": "victimas", "type": "integer", "label": {"es": "Víctimas", "en": "Victims"}}])
    n = 10_000 if QUICK else 100_000
    path = data_dir / "rows.csv"
    write_csv(path, n)
    imp = importing.create_import(actor=None, name="rows.csv", data=path.read_bytes())
    importing.set_mapping(actor=None, imp=imp, mapping_json={"survey": "papel", "columns": {
        "Título": "title", "Descripción": "description", "Fecha": "occurred_at", "Latitud": "lat",
        "Longitud": "lon", "Lugar": "place_name", "Categoría": "category", "Víctimas": "field:victimas"}})
    started, cpu_started = time.perf_counter(), time.process_time()
    imp = importing.run(import_id=imp.pk)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert imp.created_count == n and Report.objects.count() == n, (imp.created_count, imp.errors[:3])
    load = round(os.getloadavg()[0], 1)
    emit("import_csv_rows_per_s", round(n / elapsed), "rows/s", target=TARGET_ROWS_PER_S, n=n, load_average=load)
    # CPU seconds of this process (SQLite runs in it): what the import would take on an idle
    # machine; the shared hosts this runs on are often oversubscribed.
    emit("import_csv_cpu_s_per_100k_rows", round(cpu * 100_000 / n, 1), "s", n=n, load_average=load)
    emit("import_csv_peak_rss", round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "MB", n=n,
         load_average=load)
    started = time.perf_counter()
    again = importing.run(import_id=imp.pk)  # idempotent re-run: every row is a known fingerprint
    emit("import_csv_rerun_rows_per_s", round(n / (time.perf_counter() - started)), "rows/s", n=n,
         created=again.created_count, load_average=round(os.getloadavg()[0], 1))


if __name__ == "__main__":
    main()
