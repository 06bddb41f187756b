"""Survey exports at scale (issue #16): 10,000 submissions (QUICK: 1,000) of a real household
form, pyxform's tutorial (tests/surveys/xlsform_corpus/pyxform, household members in a repeat),
each with 5 members, each linked to a report. Times `exports.write_csv_zip` and
`exports.write_xlsx` to a file, then runs each again under tracemalloc for its peak of Python
memory: the export streams, so the peak must not grow with the number of rows.

One JSON line per measure: survey_export.csv_zip_10k, survey_export.xlsx_10k (seconds) and their
.peak_memory (MB). SQLite only: the export reads the submissions 500 at a time with one query
each, as on PostgreSQL.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

FORM = _seed.ROOT / "tests" / "surveys" / "xlsform_corpus" / "pyxform" / "example_xls__tutorial.xls"
ROWS_PER_REPEAT = 5
TARGETS = {"csv_zip": (5, 50), "xlsx": (20, 50)}  # seconds, MB of peak Python memory (measured: 0.8 s, 6.7 s, 3 MB)
SAMPLE = {"int": "34", "decimal": "2.5", "date": "2026-03-01", "dateTime": "2026-03-01T10:00:00.000-06:00",
          "geopoint": "14.0723 -87.1921 1000 5"}


def answers(nodes: list[dict], n: int) -> dict:
    """Answers for every question of an outline, the way ODK Collect sends them."""
    out: dict = {}
    for node in nodes:
        if node["kind"] == "repeat":
            out[node["name"]] = [answers(node["children"], n) for _ in range(ROWS_PER_REPEAT)]
        elif node["kind"] == "group":
            out[node["name"]] = answers(node["children"], n)
        elif node.get("choices"):
            out[node["name"]] = node["choices"][n % len(node["choices"])]["name"]
        else:
            out[node["name"]] = SAMPLE.get(node.get("datatype", ""), f"respuesta {n}")
    return out


def seed_submissions(n: int):
    from testigo.core import roles
    from testigo.reports.models import Report
    from testigo.surveys import services
    from testigo.surveys.models import Submission

    survey = services.import_xlsform(actor=roles.SYSTEM, data=FORM.read_bytes(), filename=FORM.name)
    _seed.seed(n)
    reports = list(Report.objects.order_by("id").values_list("id", flat=True)[:n])
    batch = []
    for i, report_id in enumerate(reports):
        data = answers(survey.outline["nodes"], i)
        data["meta"] = {"instanceID": f"uuid:bench-{i}"}
        batch.append(Submission(survey=survey, instance_id=f"uuid:bench-{i}", report_id=report_id, xml=b"",
                                xml_sha256="0" * 64, data=data, form_version=survey.xform_version))
        if len(batch) == 1000:
            Submission.objects.bulk_create(batch)
            batch.clear()
    Submission.objects.bulk_create(batch)
    return survey


def measure(fmt: str, survey, out_path: Path) -> tuple[float, float]:
    from testigo.surveys import exports
    from testigo.surveys.models import Submission

    write = exports.write_csv_zip if fmt == "csv_zip" else exports.write_xlsx
    started = time.perf_counter()
    with out_path.open("wb") as out:
        write(survey, Submission.objects.all(), out)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    with out_path.open("wb") as out:
        write(survey, Submission.objects.all(), out)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return elapsed, peak


def main() -> None:
    data_dir = _seed.setup_django()
    n = 1_000 if _seed.QUICK else 10_000
    started = time.perf_counter()
    survey = seed_submissions(n)
    _seed.emit("survey_export.seed_time", round(time.perf_counter() - started, 1), "s", n=n)
    label = f"{n // 1000}k"
    for fmt, (seconds_target, memory_target) in TARGETS.items():
        out_path = data_dir / f"export.{fmt}"
        elapsed, peak = measure(fmt, survey, out_path)
        size = round(out_path.stat().st_size / 2**20, 1)
        _seed.emit(f"survey_export.{fmt}_{label}", round(elapsed, 2), "s", target=seconds_target, n=n,
                   rows=n * (1 + ROWS_PER_REPEAT), size_mb=size)
        _seed.emit(f"survey_export.{fmt}_{label}.peak_memory", round(peak, 1), "MB", target=memory_target, n=n)


if __name__ == "__main__":
    main()
