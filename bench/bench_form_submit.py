"""Server time to create a report through the public form (POST with CSRF token, redirect).

Django test Client in-process, SQLite file (WAL) in a temp directory; n=200 (quick: 50) text-only
submissions, plus a tenth as many with a small photo (decoded, re-encoded, stored).
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

os.environ["TESTIGO_DATA_DIR"] = tempfile.mkdtemp(prefix="testigo-bench-form-")
(Path(os.environ["TESTIGO_DATA_DIR"]) / "static").mkdir()  # served files; none collected here
os.environ.setdefault("TESTIGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testigo.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402

QUICK = os.environ.get("TESTIGO_BENCH_QUICK", "") not in {"", "0"}
N = 50 if QUICK else 200
TARGET_MEDIAN_MS, TARGET_P95_MS = 50, 150


def photo() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 30)).save(out, "JPEG", quality=80)
    return SimpleUploadedFile("foto.jpg", out.getvalue(), content_type="image/jpeg")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(client: Client, data: dict, n: int, with_photo: bool) -> list[float]:
    times = []
    for i in range(n):
        payload = {**data, "title": f"Informe de prueba {i}"}
        if with_photo:
            payload["photos"] = [photo()]
        start = time.perf_counter()
        response = client.post("/report/", payload)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 302:
            raise SystemExit(f"bench_form_submit: POST -> {response.status_code}")
    return times


def main() -> None:
    call_command("migrate", verbosity=0)
    from testigo.reports.models import Category

    assert connection.cursor().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    category = Category.objects.create(slug="robo", name_es="Robo", name_en="Robbery")
    client = Client(enforce_csrf_checks=True)
    client.get("/report/")
    data = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value, "category": category.pk,
            "description": "Dos hombres armados asaltaron el bus de la ruta 5 cerca del mercado.",
            "occurred_date": (timezone.localdate() - timedelta(days=1)).isoformat(), "occurred_time": "18:30",
            "place_name": "Colonia Kennedy, Tegucigalpa", "lat": "14.0723", "lon": "-87.1921"}
    run(client, data, 3, with_photo=False)  # warm-up: imports, template compilation
    for label, with_photo, n in (("text", False, N), ("photo", True, max(N // 10, 5))):
        times = run(client, data, n, with_photo)
        print(json.dumps({"name": f"form_submit.{label}.median", "value": round(statistics.median(times), 2),
                          "unit": "ms", "target": f"<= {TARGET_MEDIAN_MS}", "n": n}))
        print(json.dumps({"name": f"form_submit.{label}.p95", "value": round(percentile(times, 0.95), 2),
                          "unit": "ms", "target": f"<= {TARGET_P95_MS}", "n": n}))


if __name__ == "__main__":
    main()
